"""Installing a lock is a service-desk order (`lock_installation`) that ends with the lock
placed on the client's door: refused for a door that has one, placed by the
welfare-technology team from the order's page, recorded as the order's result."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.locks import installation, inventory
from trygg.locks.installation import InstallationError
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey
from trygg.servicedesk import services as desk_services
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderType

from .conftest import Home, login, new_client

pytestmark = pytest.mark.django_db


def _order(home: Home, client: object) -> Order:
    order_type = OrderType.objects.get(
        municipality=home.place.municipality, code=installation.ORDER_TYPE_CODE
    )
    return desk_services.place_order(
        home.team_leader,
        order_type,
        {"client": str(client.pk), "booking_contact": "Dottern, 070-174 06 77"},  # type: ignore[attr-defined]
        provider=home.place.provider,
        clients=home.place.provider.clients.all(),
    )


def test_an_installation_for_a_door_with_a_lock_is_refused(home: Home):
    with pytest.raises(desk_services.InvalidOrder) as caught:
        _order(home, home.client)
    assert "has a digital lock on the door already" in str(caught.value.errors["client"])
    assert not Order.objects.exists()


def test_the_team_places_the_lock_and_the_order_has_its_result(home: Home):
    client = new_client(home)
    order = _order(home, client)
    spare = inventory.register_lock(
        home.place.tech, home.place.municipality, serial_number="PH-9001", model_name="Phoniro"
    )
    today = home.place.municipality.today()
    result = installation.install_from_order(home.place.tech, order, on=today, lock=spare)
    spare.refresh_from_db()
    client.refresh_from_db()
    assert spare.client == client
    assert spare.placed_on == today
    assert client.digital_lock
    assert result.summary["serial"] == "PH-9001"
    step = order.steps.get(title=installation.STEP_PLACED)
    assert step.done_by == home.place.tech
    # The team's staff hold keys to the new door.
    reconcile_keys()
    assert DigitalKey.objects.filter(holder=home.worker, lock=spare, ended_at__isnull=True)


def test_a_new_serial_number_is_registered_and_placed(home: Home):
    order = _order(home, new_client(home))
    installation.install_from_order(
        home.place.tech, order, on=home.place.municipality.today(), serial_number="CL-77"
    )
    assert order.client.door_locks.get().serial_number == "CL-77"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a lock"),
        ({"serial_number": "X-1", "on": dt.timedelta(days=1)}, "not before"),
    ],
)
def test_bad_input_places_nothing(home: Home, fields, message):
    order = _order(home, new_client(home))
    on = home.place.municipality.today() + fields.pop("on", dt.timedelta(0))
    with pytest.raises(InstallationError, match=message):
        installation.install_from_order(home.place.tech, order, on=on, **fields)
    assert not order.results.exists()


def test_a_lock_on_another_door_is_not_placed_again(home: Home):
    order = _order(home, new_client(home))
    with pytest.raises(InstallationError, match="take it down first"):
        installation.install_from_order(
            home.place.tech, order, on=home.place.municipality.today(), lock=home.other_lock
        )
    assert not order.results.exists()
    home.other_lock.refresh_from_db()
    assert home.other_lock.client == home.other_client


def test_only_the_welfare_technology_team_places_locks(home: Home):
    order = _order(home, new_client(home))
    with pytest.raises(PermissionError):
        installation.install_from_order(
            home.team_leader, order, on=home.place.municipality.today(), serial_number="X"
        )
    assert login(home.team_leader).get(f"/locks/install/{order.pk}/").status_code == 403


def test_a_closed_order_places_nothing(home: Home):
    order = _order(home, new_client(home))
    desk_services.change_status(home.team_leader, order, OrderStatus.CANCELLED)
    with pytest.raises(InstallationError, match="closed"):
        installation.install_from_order(
            home.place.tech, order, on=home.place.municipality.today(), serial_number="X"
        )


def test_the_order_page_leads_to_placing_the_lock(home: Home):
    order = _order(home, new_client(home))
    http = login(home.place.tech)
    page = http.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/locks/install/{order.pk}/"' in page
    response = http.post(
        f"/locks/install/{order.pk}/",
        {"serial_number": "PH-42", "on": home.place.municipality.today().isoformat()},
    )
    assert response.status_code == 302
    page = http.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="lock-placed"' in page
    assert "PH-42" in page
    response = http.post(f"/locks/install/{order.pk}/", {"on": "2026-01-01"})
    assert response.status_code == 400
