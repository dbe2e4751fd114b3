"""The client's record shows the client's open and recent service-desk orders (issue 12), by
the desk's rule of who sees which order, each linked to its page and named in the log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, User
from trygg.core.tests.factories import ClientFactory, make_staff
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order
from trygg.servicedesk.services import change_status

from .conftest import Desk

pytestmark = pytest.mark.django_db


def login(user: User, language: str = "en") -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    return http


def orders_section(user: User, client: Client, language: str = "en") -> str:
    page = login(user, language).get(f"/clients/{client.pk}/").content.decode()
    found = re.search(r'<section[^>]*id="record-orders".*?</section>', page, re.S)
    return found.group(0) if found else ""


def logged_orders(user: User, client: Client) -> list[str] | None:
    (row,) = AccessLogEntry.objects.filter(user=user, client=client, action=AccessAction.DETAIL)
    return row.shown.get("orders")


def lock_fault(desk: Desk, user: User, client: Client, provider: object = None) -> Order:
    return desk.place(
        user,
        "lock_fault",
        {"client": str(client.pk), "fault": "The lock does not answer the app."},
        provider=provider,  # type: ignore[arg-type]
        now=timezone.now(),
    )


@pytest.fixture
def orders(desk: Desk) -> dict[str, Order]:
    """The client's orders: open, done last week, done long ago; the neighbour's; one the
    welfare-technology team placed for the client itself."""
    neighbour = ClientFactory(provider=desk.provider_a, last_name="Grannsson")
    open_order = lock_fault(desk, desk.leader_a, desk.client_a, desk.provider_a)
    done = lock_fault(desk, desk.leader_a, desk.client_a, desk.provider_a)
    change_status(desk.welfare, desk.tick_all(done), OrderStatus.DONE)
    old = lock_fault(desk, desk.leader_a, desk.client_a, desk.provider_a)
    change_status(desk.welfare, desk.tick_all(old), OrderStatus.DONE)
    long_ago = timezone.now() - dt.timedelta(days=400)
    Order.objects.filter(pk=old.pk).update(done_at=long_ago, updated_at=long_ago)
    return {
        "open": open_order,
        "done": done,
        "old": old,
        "neighbours": lock_fault(desk, desk.leader_a, neighbour, desk.provider_a),
        "municipal": lock_fault(desk, desk.welfare, desk.client_a),
    }


def row_of(html: str, order: Order) -> str:
    return html.split(f'id="record-order-{order.pk}"')[1].split("</tr>")[0]


def test_the_team_leader_sees_open_and_recently_closed_orders(
    desk: Desk, orders: dict[str, Order]
) -> None:
    html = orders_section(desk.leader_a, desk.client_a)
    opened = row_of(html, orders["open"])
    assert orders["open"].number in opened
    assert f'href="/orders/{orders["open"].pk}/"' in opened
    assert "Lock fault" in opened or orders["open"].order_type.name in opened
    assert "Done" in row_of(html, orders["done"])
    assert html.index(orders["open"].number) < html.index(orders["done"].number)
    assert orders["old"].number not in html  # closed long ago
    assert orders["neighbours"].number not in html
    assert orders["municipal"].number not in html  # the municipality's own order
    assert logged_orders(desk.leader_a, desk.client_a) == [
        orders["open"].number,
        orders["done"].number,
    ]
    assert login(desk.leader_a).get(f"/orders/{orders['open'].pk}/").status_code == 200


def test_the_welfare_technology_team_sees_every_order_for_the_client(
    desk: Desk, orders: dict[str, Order]
) -> None:
    html = orders_section(desk.welfare, desk.client_a)
    for key in ("open", "done", "municipal"):
        assert f'id="record-order-{orders[key].pk}"' in html
    assert "Only orders you placed" not in html


def test_an_alarm_operator_sees_only_the_orders_they_placed_and_is_told_so(
    desk: Desk, orders: dict[str, Order]
) -> None:
    html = orders_section(desk.operator, desk.client_a)
    assert "Only orders you placed yourself are shown." in html
    assert "No open orders for the client" in html
    assert logged_orders(desk.operator, desk.client_a) == []


def test_a_care_worker_who_orders_nothing_gets_no_order_section(
    desk: Desk, orders: dict[str, Order]
) -> None:
    assert orders_section(desk.care_worker_a, desk.client_a) == ""
    assert logged_orders(desk.care_worker_a, desk.client_a) is None


def test_another_provider_sees_neither_the_record_nor_its_orders(
    desk: Desk, orders: dict[str, Order]
) -> None:
    http = login(desk.manager_b)
    assert http.get(f"/clients/{desk.client_a.pk}/").status_code == 404
    assert http.get(f"/orders/{orders['open'].pk}/").status_code == 404
    assert not AccessLogEntry.objects.filter(user=desk.manager_b).exists()
    # Their own client's record shows none of provider A's orders.
    other = orders_section(desk.manager_b, desk.client_b)
    assert "No open orders for the client" in other
    assert all(order.number not in other for order in orders.values())


def test_swedish_readers_get_the_section_in_swedish(desk: Desk, orders: dict[str, Order]) -> None:
    html = orders_section(desk.leader_a, desk.client_a, "sv")
    assert "Beställningar" in html
    assert "Nyligen avslutade" in html
    assert "Recently closed" not in html


def test_a_manager_of_the_same_provider_with_a_new_client_sees_an_empty_section(
    desk: Desk,
) -> None:
    client = ClientFactory(provider=desk.provider_a)
    leader = make_staff(Role.TEAM_LEADER, provider=desk.provider_a)
    html = orders_section(leader, client)
    assert "No open orders for the client, and none closed in the last 180 days." in html


def test_an_opened_order_is_named_in_the_reviews_language_not_by_its_log_key(desk: Desk) -> None:
    order = lock_fault(desk, desk.leader_a, desk.client_a, desk.provider_a)
    assert login(desk.welfare).get(f"/orders/{order.pk}/").status_code == 200
    auditor = make_staff(Role.AUDITOR, municipality=desk.municipality)
    review = login(auditor, "sv").get("/audit/access-log/").content.decode().split("<main", 1)[1]
    assert f"Beställning: {order.number}" in review
    assert "order:" not in review
