"""The service desk's NFC-tag order ends with its tags registered to the client: the
fulfiller registers them from the order's page through the tag page, the step "Registrera
taggar" is ticked by the registration that makes the count ordered (with who and when), and
until then the order is done only with a reason."""

from __future__ import annotations

import re

import pytest

from trygg.devices.models import NfcTag
from trygg.lib import tagcodes
from trygg.servicedesk import access as desk_access
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType
from trygg.servicedesk.services import StepsNotDone, change_status, complete_step, place_order
from trygg.visits import tag_orders

from .conftest import Place
from .office import login

pytestmark = pytest.mark.django_db
PAGE = "/visits/tags/"


def main(html: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return found.group(1)


def tag_order(place: Place, count: int = 2) -> Order:
    ensure_default_catalogue(place.municipality)
    order_type = OrderType.objects.get(municipality=place.municipality, code="nfc_tags")
    order = place_order(
        place.leader,
        order_type,
        {"client": str(place.second_client.pk), "count": str(count), "note": ""},
        provider=place.provider,
        clients=desk_access.order_clients(place.leader, place.municipality.pk),
    )
    # Delivered: the other steps are the team's to tick.
    for step in order.steps.exclude(title=tag_orders.REGISTER_STEP):
        complete_step(place.welfare_tech, step)
    return order


def register_step(order: Order) -> tuple[object, object]:
    step = order.steps.get(title=tag_orders.REGISTER_STEP)
    return step.done_at, step.done_by


def test_the_orders_page_leads_the_fulfiller_to_the_tag_page(place: Place) -> None:
    order = tag_order(place)
    page = login(place.welfare_tech).get(f"/orders/{order.pk}/")
    body = main(page.text)
    assert "0 of 2 tags registered" in body
    assert f'href="/visits/tags/?order={order.pk}"' in body
    # The orderer sees the count, not the button.
    orderer = main(login(place.leader).get(f"/orders/{order.pk}/").text)
    assert "0 of 2 tags registered" in orderer
    assert "?order=" not in orderer
    tags_page = login(place.welfare_tech).get(PAGE, {"order": order.pk})
    assert tags_page.status_code == 200
    assert f'name="order" value="{order.pk}"' in tags_page.text
    assert place.second_client.last_name in main(tags_page.text)
    assert login(place.leader).get(PAGE, {"order": order.pk}).status_code == 403


def test_registering_as_many_as_ordered_ticks_the_step(place: Place) -> None:
    order = tag_order(place)
    http = login(place.welfare_tech)
    first, second = tagcodes.generate(), tagcodes.generate()
    posted = http.post(f"{PAGE}register/", {"order": order.pk, "code": first, "door": "main"})
    assert posted.status_code == 302
    assert posted["Location"] == f"/visits/tags/?order={order.pk}"
    assert register_step(order) == (None, None)
    with pytest.raises(StepsNotDone):
        change_status(place.welfare_tech, order, "done")
    posted = http.post(f"{PAGE}register/", {"order": order.pk, "code": second, "door": "back"})
    assert posted["Location"] == f"/orders/{order.pk}/#steps"
    done_at, done_by = register_step(order)
    assert done_at is not None
    assert done_by == place.welfare_tech
    assert set(NfcTag.objects.filter(client=place.second_client, retired_on=None)) >= {
        NfcTag.objects.get(code=first),
        NfcTag.objects.get(code=second),
    }
    page = main(http.get(f"/orders/{order.pk}/").text)
    assert "2 of 2 tags registered" in page
    assert first in page
    assert second in page
    change_status(place.welfare_tech, order, "done")
    order.refresh_from_db()
    assert order.status == "done"


def test_the_step_is_not_ticked_by_hand_but_a_reason_closes_the_order(place: Place) -> None:
    order = tag_order(place, count=3)
    step = order.steps.get(title=tag_orders.REGISTER_STEP)
    ticked = login(place.welfare_tech).post(f"/orders/{order.pk}/steps/{step.pk}/", {"done": "on"})
    assert ticked.status_code == 302
    assert register_step(order) == (None, None)
    tag_orders.register_for_order(place.welfare_tech, order, code=tagcodes.generate())
    change_status(place.welfare_tech, order, "done", reason="Brukaren ville bara ha en tagg")
    event = order.events.latest("at")
    assert "Brukaren ville bara ha en tagg" in event.note


def test_a_refused_tag_records_nothing_on_the_order(place: Place) -> None:
    order = tag_order(place)
    posted = login(place.welfare_tech).post(
        f"{PAGE}register/", {"order": order.pk, "code": place.tag.code, "door": "main"}
    )
    assert posted.status_code == 400
    assert "used at another door" in main(posted.text)
    assert not order.results.exists()


def test_a_closed_order_registers_no_more_tags(place: Place) -> None:
    order = tag_order(place, count=1)
    tag_orders.register_for_order(place.welfare_tech, order, code=tagcodes.generate())
    change_status(place.welfare_tech, order, "done")
    http = login(place.welfare_tech)
    assert http.get(PAGE, {"order": order.pk}).status_code == 403
    code = tagcodes.generate()
    posted = http.post(f"{PAGE}register/", {"order": order.pk, "code": code, "door": "back"})
    assert posted.status_code == 403
    assert not NfcTag.objects.filter(code=code).exists()
