"""The demo's tags: on the demo clients' doors, put up like real ones, once; the NFC-tag
orders that put some of them up."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality
from trygg.core.tests.factories import ClientFactory
from trygg.devices.models import NfcTag
from trygg.lib import tagcodes
from trygg.servicedesk import demo as desk_demo
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderEvent
from trygg.visits import demo, tag_orders
from trygg.visits.billing import add_months, month_start

from .conftest import Place

pytestmark = pytest.mark.django_db


def test_the_demo_puts_tags_on_the_doors_once(place: Place) -> None:
    for n in range(30):
        ClientFactory(provider=place.provider, team=place.north, last_name=f"Demo {n}")
    before = set(NfcTag.objects.values_list("pk", flat=True))

    made = demo.seed_tags(place.municipality)

    tags = NfcTag.objects.exclude(pk__in=before)
    assert made == {"tags": tags.count()}
    assert tags.count() >= 25
    for tag in tags:
        assert tagcodes.parse(tag.code) == tag.code
        assert tag.uid.startswith("04")
        assert len(tag.uid) == 14
        assert tag.is_in_place_on(place.municipality.today())
        assert tag.registered_by == place.welfare_tech
    # The two doors that had a tag keep it; some doors are left without, on purpose.
    assert NfcTag.objects.filter(client=place.client).count() == 1
    untagged = place.provider.clients.exclude(nfc_tags__isnull=False)
    assert untagged.exists()

    assert demo.seed_tags(place.municipality) == {}
    assert NfcTag.objects.count() == len(before) + tags.count()


def test_a_done_tag_order_of_the_demo_has_its_tags_at_the_clients_door() -> None:
    """As the real order ends: each tag ordered registered at the client's door through the
    order (its results), before the order was done; the open order has none yet. The
    service desk's own demo orders are still made, and no second set of tag orders."""
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    demo.seed_tags(municipality)

    made = demo.seed_tag_orders(municipality)

    orders = Order.objects.filter(order_type__code=tag_orders.ORDER_TYPE_CODE)
    assert made == {"tag orders": orders.count()}
    done = orders.filter(status=OrderStatus.DONE)
    assert done.count() == demo.DONE_TAG_ORDERS
    today = municipality.today()
    for order in done:
        assert order.client is not None
        assert order.done_at is not None
        results = list(order.results.all())
        assert len(results) == tag_orders.ordered(order) >= 1
        for result in results:
            tag = NfcTag.objects.get(pk=result.summary["tag_id"])
            assert tag.client_id == order.client_id
            assert tag.is_in_place_on(today)
            assert tag.placed_on == municipality.local_date(order.done_at)
            assert tag.placed_on < order.done_at.date() + dt.timedelta(days=1)
        assert not order.steps.filter(done_at__isnull=True).exists()
        assert OrderEvent.objects.get(order=order, to_status=OrderStatus.DONE).at == order.done_at
    assert {tag_orders.ordered(order) for order in done} == {1, 2}
    # The month of visits begins after the tags went up: every visit finds them in place.
    month = add_months(month_start(today), -1)
    assert all(municipality.local_date(order.done_at) < month for order in done)
    waiting = orders.exclude(status=OrderStatus.DONE).get()
    assert waiting.status == OrderStatus.IN_PROGRESS
    assert not waiting.results.exists()

    assert demo.seed_tag_orders(municipality) == {}
    assert desk_demo.seed_demo(municipality) > 20
    assert orders.count() == demo.DONE_TAG_ORDERS + 1
