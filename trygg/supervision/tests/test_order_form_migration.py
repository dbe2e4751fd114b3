"""Migration supervision/0002: a municipality's safety-camera type from the old catalogue
(one box for letter and key receipt, the old checklist) takes the routine's form, so
cameras can be ordered there again; its open orders follow, keeping their ticks, and are
then worked, reported back and completed as new ones; closed orders stay as they were."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from trygg.servicedesk import services as desk
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderStep, OrderType
from trygg.supervision import orders
from trygg.supervision.constants import PlanState

from .conftest import Night, login

BEFORE = [("supervision", "0001_initial")]
LANGUAGES = ["Engelska", "Persiska", "Arabiska", "Somaliska"]


def _field(name: str, label: str, kind: str, required: bool = False, **extra: Any) -> dict:
    return {"name": name, "label": label, "kind": kind, "required": required, **extra}


# The catalogue's safety-camera type before the routine's form (commit 877ad9a^).
OLD_FIELDS = [
    _field("client", "Brukare", "client", True),
    _field("supervision_times", "Önskade tillsynstider", "text", True, help="T.ex. 22:00, 01:00"),
    _field("start_date", "Önskat startdatum", "date", True),
    _field("keys", "Nycklar och porttagg", "text", True),
    _field("booking_contact", "Kontakt för bokning av installation", "text", True),
    _field(
        "sign_languages",
        "Skyltar på språk utöver svenska",
        "choice",
        choices=LANGUAGES,
        multiple=True,
    ),
    _field("preconditions", "Informationsbrev lämnat och nyckelkvittens signerad", "boolean"),
]
OLD_STEPS = [
    "Boka installation",
    "Registrera kamera på brukaren",
    "Installera och sätt upp skyltar",
    "Funktionstesta",
    "Uppdatera inventarielistan",
    "Meddela kamerans serienummer",
]
OWN_STEP = "Kontrollera wifi hos brukaren"  # the municipality's own, kept
NEW_STEPS = [
    "Boka installation med kontaktpersonen",
    "Registrera kameran i inventariet",
    "Installera kameran",
    "Lämna informationsbrev",
    "Sätt upp skyltar",
    "Funktionstesta",
    "Uppdatera inventarielistan",
    "Återkoppla med kamerans serienummer",
]


def _old_order(night: Night, order_type: OrderType, number: int, status: str) -> Order:
    start = night.municipality.today() + dt.timedelta(days=7)
    order = Order.objects.create(
        municipality=night.municipality,
        number=f"B-2026-{number:05d}",
        order_type=order_type,
        provider=night.provider,
        orderer=night.leader,
        client=night.client,
        spec=OLD_FIELDS,
        values={
            "client": night.client.pk,
            "supervision_times": "22:00, 01:00",
            "start_date": start.isoformat(),
            "keys": "Lägenhetsnyckel och porttagg",
            "booking_contact": "Dottern Eva, 070-174 06 50",
            "sign_languages": ["Arabiska"],
            "preconditions": True,
        },
        status=status,
        placed_at=timezone.now() - dt.timedelta(days=3),
        due_on=start,
    )
    ticked = OLD_STEPS if status == OrderStatus.DONE else OLD_STEPS[:3:2]
    for position, title in enumerate([*OLD_STEPS, OWN_STEP], start=1):
        done = title in ticked
        OrderStep.objects.create(
            order=order,
            position=position,
            title=title,
            done_at=order.placed_at + dt.timedelta(days=1) if done else None,
            done_by=night.tech if done else None,
        )
    return order


def _steps(order: Order) -> list[tuple[str, bool]]:
    return [(s.title, s.done_at is not None) for s in order.steps.order_by("position")]


@pytest.mark.django_db(transaction=True)
def test_an_old_camera_order_type_and_its_open_orders_take_the_routines_form(
    night: Night,
) -> None:
    order_type = OrderType.objects.get(municipality=night.municipality, code="safety_camera")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        OrderType.objects.filter(pk=order_type.pk).update(
            fields=OLD_FIELDS,
            steps=[*OLD_STEPS, OWN_STEP],
            description="Förutsättningar: beviljad nattillsyn i verksamhetssystemet, "
            "informationsbrev lämnat, nyckelkvittens signerad.",
        )
        open_order = _old_order(night, order_type, 1, OrderStatus.IN_PROGRESS)
        closed = _old_order(night, order_type, 2, OrderStatus.DONE)
        closed_steps = _steps(closed)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    order_type.refresh_from_db()
    assert [f["name"] for f in order_type.fields] == [
        "client",
        "supervision_times",
        "start_date",
        "keys",
        "booking_contact",
        "letter_swedish",
        "letter_languages",
        "sign_languages",
    ]
    assert order_type.steps == [*NEW_STEPS, OWN_STEP]
    assert order_type.description.startswith("Skickas när nattillsynen är fördelad")

    # The open order: the old box said the letter was given; ticks kept, the combined step's
    # tick on both its halves, the letter step new and unticked.
    open_order.refresh_from_db()
    assert open_order.values["letter_swedish"] is True
    assert "preconditions" not in open_order.values
    assert open_order.spec == order_type.fields
    assert _steps(open_order) == [
        ("Boka installation med kontaktpersonen", True),
        ("Registrera kameran i inventariet", False),
        ("Installera kameran", True),
        ("Lämna informationsbrev", False),
        ("Sätt upp skyltar", True),
        ("Funktionstesta", False),
        ("Uppdatera inventarielistan", False),
        ("Återkoppla med kamerans serienummer", False),
        (OWN_STEP, False),
    ]
    halves = open_order.steps.filter(title__in=["Installera kameran", "Sätt upp skyltar"])
    assert {(s.done_by_id, s.done_at) for s in halves} == {
        (night.tech.pk, open_order.placed_at + dt.timedelta(days=1))
    }
    # Closed orders are history, as they were.
    closed.refresh_from_db()
    assert closed.values["preconditions"] is True
    assert _steps(closed) == closed_steps

    # The pages open, and the open order is worked to the end as the routine has it: the
    # steps by hand, the serial number from the inventory by the report-back form.
    tech = login(night.tech)
    for order in (open_order, closed):
        assert tech.get(f"/orders/{order.pk}/").status_code == 200
        assert login(night.leader).get(f"/orders/{order.pk}/").status_code == 200
    for step in open_order.steps.filter(done_at__isnull=True):
        tech.post(f"/orders/{open_order.pk}/steps/{step.pk}/", {"done": "on"})
    camera = night.camera()
    today = night.municipality.today()
    plan = orders.report_back(
        night.tech, open_order, orders.ReportBack(camera, today, ["Arabiska"], "I hallen", True)
    )
    assert plan.state == PlanState.AWAITING_JOURNAL
    assert plan.letter_languages == ["Svenska"]
    assert not open_order.steps.filter(done_at__isnull=True).exists()
    desk.change_status(night.tech, open_order, OrderStatus.DONE)

    # And the municipality can order cameras again: the letter's box is on the form.
    plan.ended_on = today
    plan.save(update_fields=["ended_on"])
    placed = desk.place_order(
        night.leader,
        order_type,
        {
            "client": str(night.client.pk),
            "supervision_times": "23:00",
            "start_date": (today + dt.timedelta(days=3)).isoformat(),
            "keys": "Lägenhetsnyckel",
            "booking_contact": "Dottern Eva, 070-174 06 50",
            "letter_swedish": "on",
        },
        provider=night.provider,
        clients=night.provider.clients.all(),
    )
    assert [s.title for s in placed.steps.order_by("position")] == [*NEW_STEPS, OWN_STEP]
