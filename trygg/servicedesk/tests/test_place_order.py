"""Placing an order: the type's form decides what is required, and bad input saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from trygg.core.tests.factories import MunicipalityFactory
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderEvent, OrderStep, OrderType
from trygg.servicedesk.services import InvalidOrder, OrderError

from .conftest import WEDNESDAY, Desk

pytestmark = pytest.mark.django_db


def test_it_places_an_order_with_number_steps_and_history(desk: Desk) -> None:
    order = desk.phone_order()
    assert order.number == "BS-2026-00001"
    assert order.status == OrderStatus.SUBMITTED
    assert order.provider == desk.provider_a
    assert order.due_on == dt.date(2026, 3, 16)  # Wednesday + 3 working days
    assert order.values["imei"] == "356938035643809"
    assert order.values["handed_in_on"] == "2026-03-11"
    assert [s.title for s in order.steps.all()] == desk.type("phone_configuration").steps
    assert list(order.events.values_list("to_status", flat=True)) == [OrderStatus.SUBMITTED]
    assert desk.phone_order().number == "BS-2026-00002"


def test_numbers_run_per_municipality_and_year(desk: Desk) -> None:
    desk.phone_order()
    next_year = desk.phone_order(now=dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC))
    assert next_year.number == "BS-2027-00001"


def test_required_fields_are_reported_per_field_and_nothing_is_saved(desk: Desk) -> None:
    with pytest.raises(InvalidOrder) as caught:
        desk.place(
            desk.leader_a,
            "user_account",
            {"person": "", "change": "Kanske", "start_date": "den första"},
            provider=desk.provider_a,
        )
    errors = caught.value.errors
    assert set(errors) == {"person", "change", "start_date"}
    assert "required" in errors["person"][0]
    assert "valid choice" in errors["change"][0]
    assert "valid date" in errors["start_date"][0]
    assert not Order.objects.exists()
    assert not OrderStep.objects.exists()
    assert not OrderEvent.objects.exists()


def test_it_rejects_a_negative_count_and_an_unknown_language(desk: Desk) -> None:
    with pytest.raises(InvalidOrder) as caught:
        desk.place(
            desk.leader_a,
            "new_signs",
            {"client": desk.client_a.pk, "languages": ["Svenska", "Klingon"], "count": -2},
            provider=desk.provider_a,
        )
    assert set(caught.value.errors) == {"languages", "count"}
    assert not Order.objects.exists()


def test_a_client_of_another_provider_cannot_be_named(desk: Desk) -> None:
    with pytest.raises(InvalidOrder) as caught:
        desk.place(
            desk.leader_a,
            "nfc_tags",
            {"client": desk.client_b.pk, "count": 2},
            provider=desk.provider_a,
        )
    assert set(caught.value.errors) == {"client"}
    order = desk.place(
        desk.leader_a,
        "nfc_tags",
        {"client": desk.client_a.pk, "count": 2},
        provider=desk.provider_a,
    )
    assert order.client == desk.client_a
    assert order.values == {"client": desk.client_a.pk, "count": 2, "note": None}


def test_an_inactive_type_is_not_offered(desk: Desk) -> None:
    OrderType.objects.filter(code="nfc_tags").update(active=False)
    with pytest.raises(OrderError):
        desk.place(
            desk.leader_a, "nfc_tags", {"client": desk.client_a.pk, "count": 1}, now=WEDNESDAY
        )


def test_an_order_keeps_the_form_it_was_placed_with(desk: Desk) -> None:
    order = desk.phone_order()
    order_type = desk.type("phone_configuration")
    order_type.fields = [{"name": "other", "label": "Annat", "kind": "text"}]
    order_type.save()
    order.refresh_from_db()
    assert [s.name for s in order.field_specs][:2] == ["staff_member", "phone_model"]


def test_the_default_catalogue_is_created_once_and_edits_survive() -> None:
    municipality = MunicipalityFactory()
    first = ensure_default_catalogue(municipality)
    assert {t.code for t in first} == {
        "log_extract",
        "safety_camera",
        "new_signs",
        "user_account",
        "nfc_tags",
        "phone_configuration",
        "camera_fault",
        "lock_fault",
        "lock_installation",
    }
    OrderType.objects.filter(code="lock_fault").update(name="Låsfel")
    again = ensure_default_catalogue(municipality)
    assert len(again) == len(first)
    assert OrderType.objects.get(municipality=municipality, code="lock_fault").name == "Låsfel"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x"}, "must be a list"),
        ([{"name": "Bad Name", "label": "X", "kind": "text"}], "lower-case"),
        ([{"name": "x", "label": "X", "kind": "colour"}], "unknown kind"),
        ([{"name": "x", "label": "X", "kind": "choice"}], "no choices"),
        ([{"name": "x", "label": "X", "kind": "text", "requird": True}], "unknown keys"),
        (
            [
                {"name": "a", "label": "A", "kind": "client"},
                {"name": "b", "label": "B", "kind": "client"},
            ],
            "at most one client",
        ),
    ],
)
def test_the_admin_refuses_a_broken_field_spec(desk: Desk, fields: object, message: str) -> None:
    order_type = desk.type("nfc_tags")
    order_type.fields = fields
    with pytest.raises(ValidationError) as caught:
        order_type.full_clean()
    assert message in str(caught.value).lower()


def test_a_new_swedish_municipality_starts_with_the_default_catalogue() -> None:
    municipality = MunicipalityFactory(country="SE")
    codes = set(OrderType.objects.filter(municipality=municipality).values_list("code", flat=True))
    assert {"log_extract", "user_account", "phone_configuration", "lock_fault"} <= codes
    deadlines = dict(
        OrderType.objects.filter(municipality=municipality).values_list(
            "code", "deadline_working_days"
        )
    )
    assert deadlines["user_account"] == 3
    assert deadlines["phone_configuration"] == 3
    assert deadlines["log_extract"] == 2
