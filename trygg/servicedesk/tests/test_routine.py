"""Orders follow their routine: buttons named as actions, a confirmed cancellation, "done"
only with the steps ticked or a reason, and a phone's deadline counted from its hand-in."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderEvent
from trygg.servicedesk.services import InvalidOrder, StepsNotDone, change_status

from .conftest import WEDNESDAY, Desk, login

pytestmark = pytest.mark.django_db


def _page(http, order: Order) -> str:
    return http.get(f"/orders/{order.pk}/").content.decode()


def test_the_buttons_say_what_they_do_in_swedish(desk: Desk) -> None:
    order = desk.phone_order()
    team = _page(login(desk.welfare), order)
    for action in ("Ta emot", "Påbörja", "Fråga beställaren", "Markera som klar"):
        assert action in team
    assert "Avbryt beställningen" in team
    for state in (">Mottagen<", ">Pågår<", ">Avbruten<", ">Klar<"):
        assert state not in team  # a state on a button read as where the order already was
    orderer = _page(login(desk.leader_a), order)
    assert "Avbryt beställningen" in orderer
    assert "Markera som klar" not in orderer
    # Only a link to the confirmation page, which asks for its own note: none here.
    assert 'id="status-note"' not in orderer
    assert 'id="status-note"' in team
    change_status(desk.welfare, order, OrderStatus.WAITING_FOR_ORDERER)
    assert "Återuppta arbetet" in _page(login(desk.welfare), order)


def test_the_orderer_confirms_a_cancellation(desk: Desk) -> None:
    order = desk.phone_order()
    http = login(desk.leader_a)
    confirm_url = f"/orders/{order.pk}/status/cancelled/"
    assert f'href="{confirm_url}"' in _page(http, order)  # a step of its own, not a submit
    # A cancel posted without the confirmation cancels nothing: it asks.
    response = http.post(f"/orders/{order.pk}/status/", {"status": "cancelled"})
    assert response.status_code == 302
    assert response["Location"] == confirm_url
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    page = http.get(confirm_url).content.decode()
    assert "Avbryt beställningen" in page
    assert 'name="confirm" required' in page
    assert "Behåll beställningen" in page
    response = http.post(
        f"/orders/{order.pk}/status/",
        {"status": "cancelled", "confirm": "on", "note": "Fel modell"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert OrderEvent.objects.get(order=order, to_status=OrderStatus.CANCELLED).note == (
        "Fel modell"
    )


def test_a_cancellation_page_for_an_order_already_started_sends_back(desk: Desk) -> None:
    order = desk.phone_order()
    change_status(desk.welfare, order, OrderStatus.IN_PROGRESS)
    http = login(desk.leader_a)
    response = http.get(f"/orders/{order.pk}/status/cancelled/")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert http.get(f"/orders/{order.pk}/status/accepted/").status_code == 404


def test_done_with_unticked_steps_asks_for_a_reason_and_records_it(desk: Desk) -> None:
    order = desk.phone_order()
    http = login(desk.welfare)
    confirm_url = f"/orders/{order.pk}/status/done/"
    assert f'href="{confirm_url}"' in _page(http, order)
    response = http.post(f"/orders/{order.pk}/status/", {"status": "done"})
    assert response["Location"] == confirm_url
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    page = http.get(confirm_url).content.decode()
    assert "Ta emot telefonen" in page
    assert "Lämna ut" in page
    assert 'name="reason" rows="3" maxlength="300" required' in page
    http.post(
        f"/orders/{order.pk}/status/",
        {"status": "done", "reason": "Telefonen var redan konfigurerad av leverantören"},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE
    history = _page(http, order)
    assert "Telefonen var redan konfigurerad av leverantören" in history
    assert "Klar utan stegen" in history


def test_done_with_every_step_ticked_needs_no_reason(desk: Desk) -> None:
    order = desk.tick_all(desk.phone_order())
    http = login(desk.welfare)
    page = _page(http, order)
    assert 'name="status" value="done"' in page  # a plain button: nothing to ask
    http.post(f"/orders/{order.pk}/status/", {"status": "done"})
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE
    assert OrderEvent.objects.get(order=order, to_status=OrderStatus.DONE).note == ""


def test_the_service_refuses_done_without_steps_or_reason(desk: Desk) -> None:
    order = desk.phone_order()
    with pytest.raises(StepsNotDone) as caught:
        change_status(desk.welfare, order, OrderStatus.DONE, reason="   ")
    assert caught.value.steps == desk.type("phone_configuration").steps


# The phone's deadline -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handed_in", "due"),
    [
        # Ordered Wednesday 11 March 2026; 3 working days from the hand-in.
        ("2026-03-11", dt.date(2026, 3, 16)),
        ("2026-03-06", dt.date(2026, 3, 11)),  # Friday before: due the day it is ordered
        ("2026-03-07", dt.date(2026, 3, 12)),  # a Saturday: the desk has it Monday
    ],
)
def test_a_phone_is_due_three_working_days_after_its_hand_in(
    desk: Desk, handed_in: str, due: dt.date
) -> None:
    assert desk.phone_order(handed_in_on=handed_in, now=WEDNESDAY).due_on == due


def test_the_reported_case_is_refused_rather_than_due_before_the_hand_in(desk: Desk) -> None:
    # Ordered Monday 7 December 2026 with a hand-in on the 14th: it was due the 10th.
    with pytest.raises(InvalidOrder) as caught:
        desk.phone_order(handed_in_on="2026-12-14", now=dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC))
    assert "has not come yet" in caught.value.errors["handed_in_on"][0]
    assert not Order.objects.exists()
    placed = desk.phone_order(
        handed_in_on="2026-12-14", now=dt.datetime(2026, 12, 14, 9, tzinfo=dt.UTC)
    )
    assert placed.due_on == dt.date(2026, 12, 17)


def test_the_order_form_refuses_a_hand_in_to_come_in_swedish(desk: Desk) -> None:
    http = login(desk.leader_a)
    phone = desk.type("phone_configuration")
    tomorrow = desk.municipality.today() + dt.timedelta(days=1)
    response = http.post(
        f"/orders/new/{phone.pk}/",
        {
            "staff_member": "Anna Nilsson",
            "phone_model": "iPhone SE",
            "imei": "356938035643809",
            "handed_in_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 400
    assert "har inte kommit än" in response.content.decode()
    assert not Order.objects.exists()
