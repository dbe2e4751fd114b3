"""Order types with hooks: the log extract's date checked when ordered (pages and API), the
queue the worker makes results from, and what the order shows of them."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from trygg.servicedesk import hooks, services
from trygg.servicedesk.constants import Audience, OrderStatus
from trygg.servicedesk.models import Order, OrderResult, OrderType

from .conftest import WEDNESDAY, Desk, login

pytestmark = pytest.mark.django_db

API = "/api/v1/servicedesk"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def picky_signs() -> Iterator[list[Any]]:
    """Hooks on the new-signs type for the duration of a test: at most 3 signs."""
    seen: list[Any] = []

    def validate(
        order_type: OrderType, values: Mapping[str, Any], placed: dt.date
    ) -> dict[str, list[str]]:
        seen.append((order_type.code, dict(values), placed))
        if values.get("count", 0) > 3:
            return {"count": ["At most 3 signs."], "": ["Ask for fewer."]}
        return {}

    before = hooks.hooks_for("new_signs")
    hooks.register("new_signs", hooks.OrderTypeHooks(validate=validate))
    yield seen
    hooks.register("new_signs", before)


def signs(desk: Desk, count: int) -> Order:
    return desk.place(
        desk.leader_a,
        "new_signs",
        {"client": desk.client_a.pk, "languages": ["Svenska"], "count": count},
        provider=desk.provider_a,
    )


def test_a_types_check_runs_with_the_cleaned_values_and_the_day(
    desk: Desk, picky_signs: list[Any]
) -> None:
    signs(desk, 2)
    [(code, values, placed)] = picky_signs
    assert code == "new_signs"
    assert values["count"] == 2  # cleaned: a number, not the text posted
    assert placed == dt.date(2026, 3, 11)


def test_a_types_check_reports_per_field_and_saves_nothing(
    desk: Desk, picky_signs: list[Any]
) -> None:
    with pytest.raises(services.InvalidOrder) as caught:
        signs(desk, 5)
    assert caught.value.errors == {"count": ["At most 3 signs."], "__all__": ["Ask for fewer."]}
    assert not Order.objects.exists()


def test_the_check_is_not_run_when_the_form_itself_is_wrong(
    desk: Desk, picky_signs: list[Any]
) -> None:
    with pytest.raises(services.InvalidOrder):
        signs(desk, -1)
    assert picky_signs == []


def test_an_order_trygg_makes_a_result_for_is_queued_and_leaves_the_queue_when_closed(
    desk: Desk,
) -> None:
    extract = desk.place(desk.leader_a, "log_extract", {}, provider=desk.provider_a)
    assert extract.result_due_at == WEDNESDAY
    assert desk.phone_order().result_due_at is None
    services.change_status(desk.welfare, extract, OrderStatus.CANCELLED)
    extract.refresh_from_db()
    assert extract.result_due_at is None


def test_a_closed_order_found_in_the_queue_is_dropped_from_it(desk: Desk) -> None:
    extract = desk.place(desk.leader_a, "log_extract", {}, provider=desk.provider_a)
    Order.objects.filter(pk=extract.pk).update(status=OrderStatus.DONE)  # as by an old bug
    assert services.claim_due_result("log_extract") is None
    extract.refresh_from_db()
    assert extract.result_due_at is None


def test_the_order_form_names_the_nearest_working_days(desk: Desk) -> None:
    order_type = desk.type("log_extract")
    response = login(desk.leader_a).post(
        f"/orders/new/{order_type.pk}/", {"extract_date": "2025-03-08"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "8 mars 2025 är en lördag och ingen arbetsdag." in page
    assert "Närmaste arbetsdagar är fredag 7 mars 2025 och måndag 10 mars 2025." in page
    assert not Order.objects.exists()


def test_the_api_answers_422_with_the_reason_per_field(desk: Desk) -> None:
    response = login(desk.leader_a).post(
        f"{API}/orders",
        json.dumps({"type": "log_extract", "values": {"extract_date": "2025-06-20"}}),
        content_type="application/json",
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == ["extract_date"]
    assert "Midsommarafton" in errors["extract_date"][0]
    assert not Order.objects.exists()


def test_the_municipality_orders_an_extract_of_every_provider(desk: Desk) -> None:
    assert desk.type("log_extract").audience == Audience.EVERYONE
    response = login(desk.operator).post(
        f"{API}/orders",
        json.dumps({"type": "log_extract", "values": {}}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert order.provider is None
    from trygg.alarms.extracts import make_due_log_extracts

    assert make_due_log_extracts() == 1
    body = login(desk.operator).get(f"{API}/orders/{order.pk}").json()
    [result] = body["results"]
    assert result["kind"] == "log_extract"
    assert result["made_by_id"] is None
    assert [p["name"] for p in result["summary"]["providers"]] == ["Omsorg A", "Omsorg B"]
    assert [f["name"][-4:] for f in result["files"]] == [".csv", "xlsx"]
    assert (
        result["files"][0]["url"] == f"/orders/{order.pk}/attachments/{result['files'][0]['id']}/"
    )


def test_the_migration_opens_existing_log_extract_types_to_the_municipality(desk: Desk) -> None:
    order_type = desk.type("log_extract")
    OrderType.objects.filter(pk=order_type.pk).update(audience=Audience.PROVIDERS)
    camera = desk.type("safety_camera")
    migration = importlib.import_module("trygg.servicedesk.migrations.0002_order_results")
    migration.log_extract_for_everyone(apps, None)
    order_type.refresh_from_db()
    camera.refresh_from_db()
    assert order_type.audience == Audience.EVERYONE
    assert camera.audience == Audience.PROVIDERS  # other types keep what they had


def test_the_page_names_trygg_for_what_it_wrote_and_made(desk: Desk) -> None:
    extract = desk.place(desk.leader_a, "log_extract", {}, provider=desk.provider_a)
    services.make_result_again(desk.welfare, extract)
    from trygg.alarms.extracts import make_log_extract

    Order.objects.filter(pk=extract.pk).update(result_due_at=None)
    make_log_extract(extract, hooks.ResultRequest())
    assert OrderResult.objects.filter(order=extract).count() == 2
    page = login(desk.leader_a).get(f"/orders/{extract.pk}/").content.decode()
    assert "Ett tidigare utdrag" in page
    assert page.count("· Trygg ·") >= 2  # the worker's files, with no uploader


def test_making_a_result_again_needs_a_type_that_has_one(desk: Desk) -> None:
    phone = desk.phone_order()
    with pytest.raises(services.OrderError, match="nothing by itself"):
        services.make_result_again(desk.welfare, phone)
    response = login(desk.welfare).post(f"/orders/{phone.pk}/result/", follow=True)
    assert response.status_code == 200
    assert not OrderResult.objects.exists()
