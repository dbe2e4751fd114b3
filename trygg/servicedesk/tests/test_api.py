"""Orders over the JSON API: list, get, create, change status, the catalogue."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from trygg.notifications.models import Notification
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderEvent

from .conftest import Desk, login

pytestmark = pytest.mark.django_db

BASE = "/api/v1/servicedesk"


def _post(http, url: str, data: dict):
    return http.post(url, json.dumps(data), content_type="application/json")


def test_it_lists_the_order_types_with_their_fields(desk: Desk) -> None:
    types = login(desk.leader_a).get(f"{BASE}/order-types").json()
    phone = next(t for t in types if t["code"] == "phone_configuration")
    assert phone["deadline_working_days"] == 3
    assert [f["name"] for f in phone["fields"]] == [
        "staff_member",
        "phone_model",
        "imei",
        "handed_in_on",
    ]
    assert phone["steps"]


def test_it_places_an_order(desk: Desk) -> None:
    response = _post(
        login(desk.leader_a),
        f"{BASE}/orders",
        {
            "type": "nfc_tags",
            "values": {"client": desk.client_a.pk, "count": 4},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("BS-")
    assert body["status"] == "submitted"
    assert body["provider_id"] == desk.provider_a.pk
    assert body["client_id"] == desk.client_a.pk
    assert body["allowed_statuses"] == ["cancelled"]


def test_bad_values_answer_422_per_field_and_save_nothing(desk: Desk) -> None:
    response = _post(
        login(desk.leader_a),
        f"{BASE}/orders",
        {"type": "nfc_tags", "values": {"client": desk.client_b.pk, "count": "många"}},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) == {"client", "count"}
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"type": "no_such_type", "values": {}}, "No order type"),
        ({"type": "log_extract", "provider_id": 999999, "values": {}}, "that provider"),
        ({"values": {}}, "type"),
    ],
)
def test_it_explains_what_is_wrong(desk: Desk, payload: dict, fragment: str) -> None:
    response = _post(login(desk.leader_a), f"{BASE}/orders", payload)
    assert response.status_code == 422
    assert fragment in response.content.decode()


def test_the_list_shows_only_visible_orders_and_flags_overdue(desk: Desk) -> None:
    mine = desk.phone_order(now=dt.datetime(2025, 11, 3, 9, tzinfo=dt.UTC))
    desk.phone_order(desk.manager_b, provider=desk.provider_b, now=dt.datetime.now(dt.UTC))
    body = login(desk.leader_a).get(f"{BASE}/orders").json()
    assert body["count"] == 1
    assert body["items"][0]["number"] == mine.number
    assert body["items"][0]["overdue"] is True
    assert login(desk.welfare).get(f"{BASE}/orders?overdue=true").json()["count"] == 1
    assert login(desk.welfare).get(f"{BASE}/orders").json()["count"] == 2


def test_an_order_is_overdue_from_the_municipality_s_midnight(
    desk: Desk, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a server kept in UTC, an order due Monday is late at 00:30 on Tuesday in
    Stockholm, though it is still Monday in UTC."""
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    order = desk.phone_order()
    Order.objects.filter(pk=order.pk).update(due_on=dt.date(2026, 3, 16))
    just_after_midnight = dt.datetime(2026, 3, 16, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: just_after_midnight)
    http = login(desk.welfare)
    body = http.get(f"{BASE}/orders").json()
    assert body["items"][0]["overdue"] is True
    assert http.get(f"{BASE}/orders?overdue=true").json()["count"] == 1
    assert http.get(f"{BASE}/orders/{order.pk}").json()["overdue"] is True


def test_status_changes_follow_the_rules(desk: Desk) -> None:
    order = desk.phone_order()
    url = f"{BASE}/orders/{order.pk}/status"
    leader = login(desk.leader_a)
    leader.cookies["trygg_language"] = "en"  # the message is asserted in English
    refused = _post(leader, url, {"status": "done"})
    assert refused.status_code == 400
    assert "cannot be made done" in refused.json()["detail"]
    assert _post(login(desk.welfare), url, {"status": "nonsense"}).status_code == 422
    desk.tick_all(order)
    done = _post(login(desk.welfare), url, {"status": "done", "note": "Klar"})
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert Notification.objects.filter(recipient=desk.leader_a).count() == 1
    again = _post(login(desk.welfare), url, {"status": "done"})
    assert again.status_code == 400
    assert Notification.objects.filter(recipient=desk.leader_a).count() == 1


def test_it_needs_a_session(desk: Desk, client) -> None:
    assert client.get(f"{BASE}/orders").status_code == 401


def test_done_with_unticked_steps_needs_a_reason_which_the_history_keeps(desk: Desk) -> None:
    order = desk.phone_order()
    url = f"{BASE}/orders/{order.pk}/status"
    team = login(desk.welfare)
    team.cookies["trygg_language"] = "en"
    refused = _post(team, url, {"status": "done"})
    assert refused.status_code == 400
    assert "Ta emot telefonen" in refused.json()["detail"]
    assert refused.json()["errors"]["reason"]
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    done = _post(team, url, {"status": "done", "reason": "Telefonen kom redan konfigurerad"})
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    note = OrderEvent.objects.get(order=order, to_status=OrderStatus.DONE).note
    assert "Telefonen kom redan konfigurerad" in note
    assert "Ta emot telefonen" in note
    assert "Lämna ut" in note


def test_a_phone_handed_in_later_than_today_is_refused(desk: Desk) -> None:
    http = login(desk.leader_a)
    http.cookies["trygg_language"] = "en"
    tomorrow = (desk.municipality.today() + dt.timedelta(days=1)).isoformat()
    values = {
        "staff_member": "Anna Nilsson",
        "phone_model": "iPhone SE",
        "imei": "356938035643809",
        "handed_in_on": tomorrow,
    }
    refused = _post(http, f"{BASE}/orders", {"type": "phone_configuration", "values": values})
    assert refused.status_code == 422
    assert "has not come yet" in refused.json()["errors"]["handed_in_on"][0]
    assert not Order.objects.exists()
    values["handed_in_on"] = desk.municipality.today().isoformat()
    placed = _post(http, f"{BASE}/orders", {"type": "phone_configuration", "values": values})
    assert placed.status_code == 201
    order = Order.objects.get()
    assert order.due_on == desk.municipality.add_working_days(
        desk.municipality.add_working_days(desk.municipality.today(), 0), 3
    )
