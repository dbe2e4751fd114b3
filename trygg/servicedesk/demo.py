"""Demo orders: the default catalogue and about 25 orders in every state, some overdue; the
log extracts among them made, as the worker makes them.

Orders are placed through `place_order`, so numbers, due dates and validation are the real
thing; their later history is written directly with back-dated times, because the demo
shows a month that has already happened (and must not e-mail anyone while seeding).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, RoleAssignment, User

from . import hooks
from .catalogue import ensure_default_catalogue
from .constants import FieldKind, OrderStatus
from .fields import FieldSpec
from .hooks import ResultRequest
from .models import (
    Order,
    OrderAttachment,
    OrderComment,
    OrderEvent,
    OrderResult,
    OrderStep,
    OrderType,
)
from .services import place_order

DEMO_ORDERS = 25
# Orders whose preconditions or results an app above checks (a safety camera needs a
# granted night service and a key receipt; a done NFC-tag order has its tags registered at
# the client's door): that app's own demo places them as its routine has it.
_OWN_DEMO = frozenset({"safety_camera", "new_signs", "camera_fault", "nfc_tags"})
_SEED = 20260401

_TEXT_SAMPLES: dict[str, list[str]] = {
    "supervision_times": ["22:00, 01:00, 04:00", "23:00, 03:00", "22:30, 02:00, 05:00"],
    "keys": ["Nyckel och porttagg i nyckelskåpet", "Nyckel hos anhörig, porttagg på kontoret"],
    "booking_contact": ["Teamledaren, 08-123 456 78", "Anhörig, 070-170 00 00"],
    "person": ["Sara Lind", "Omar Haddad", "Ingrid Berg", "Mikael Ek", "Leila Karimi"],
    "email": ["sara.lind@example.se", "omar.haddad@example.se", ""],
    "staff_member": ["Anna Nilsson", "Jonas Svensson", "Fatima Ali", "Erik Johansson"],
    "phone_model": ["Samsung Galaxy XCover 7", "iPhone SE", "Samsung Galaxy A35"],
    "imei": ["356938035643809", "490154203237518", "353918057326122"],
}
_TEXTAREA_SAMPLES = [
    "Låset svarar inte på appen, batteriet bytt i mars.",
    "Dörren går inte att låsa upp från utsidan sedan i morse.",
    "Ring gärna innan ni kommer.",
    "",
]
# The states the 25 orders end up in, most recent first; open ones placed long ago are
# overdue.
_OUTCOMES = [
    OrderStatus.SUBMITTED,
    OrderStatus.SUBMITTED,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.SUBMITTED,
    OrderStatus.WAITING_FOR_ORDERER,
    OrderStatus.DONE,
    OrderStatus.IN_PROGRESS,
    OrderStatus.DONE,
    OrderStatus.ACCEPTED,
    OrderStatus.DONE,
    OrderStatus.CANCELLED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.DONE,
    OrderStatus.SUBMITTED,
    OrderStatus.DONE,
    OrderStatus.WAITING_FOR_ORDERER,
    OrderStatus.DONE,
    OrderStatus.DONE,
    OrderStatus.ACCEPTED,
    OrderStatus.DONE,
    OrderStatus.CANCELLED,
    OrderStatus.DONE,
    OrderStatus.DONE,
    OrderStatus.DONE,
]
_PATHS: dict[str, list[str]] = {
    OrderStatus.SUBMITTED: [],
    OrderStatus.ACCEPTED: [OrderStatus.ACCEPTED],
    OrderStatus.IN_PROGRESS: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS],
    OrderStatus.WAITING_FOR_ORDERER: [OrderStatus.ACCEPTED, OrderStatus.WAITING_FOR_ORDERER],
    OrderStatus.DONE: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DONE],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


def _value(rng: random.Random, spec: FieldSpec, placed: dt.date, clients: list[Client]) -> Any:
    if spec.kind == FieldKind.CLIENT:
        return rng.choice(clients).pk if clients else None
    if spec.kind == FieldKind.DATE:
        if not spec.required and rng.random() < 0.5:
            return ""
        return (placed + dt.timedelta(days=rng.randint(1, 14))).isoformat()
    if spec.kind == FieldKind.NUMBER:
        return rng.randint(1, 4)
    if spec.kind == FieldKind.BOOLEAN:
        return rng.random() < 0.6
    if spec.kind == FieldKind.CHOICE:
        if spec.multiple:
            return rng.sample(list(spec.choices), k=rng.randint(1 if spec.required else 0, 2))
        return rng.choice(spec.choices)
    if spec.kind == FieldKind.TEXTAREA:
        text = rng.choice(_TEXTAREA_SAMPLES)
        return text or ("Se bifogad information." if spec.required else "")
    return rng.choice(_TEXT_SAMPLES.get(spec.name, ["Enligt överenskommelse"]))


def _history(
    order: Order,
    path: list[str],
    actor: User,
    start: dt.datetime,
    now: dt.datetime,
    rng: random.Random,
) -> None:
    at = start
    current = order.status
    steps = list(order.steps.all())
    for status in path:
        at = min(at + dt.timedelta(hours=rng.randint(2, 30)), now)
        OrderEvent.objects.create(
            order=order, at=at, actor=actor, from_status=current, to_status=status
        )
        current = status
    done_steps = (
        len(steps)
        if current == OrderStatus.DONE
        else (len(steps) // 2 if current == OrderStatus.IN_PROGRESS else 0)
    )
    for step in steps[:done_steps]:
        # The steps Trygg ticked when it made the result keep Trygg as who did them.
        OrderStep.objects.filter(pk=step.pk, done_at__isnull=True).update(done_at=at, done_by=actor)
    Order.objects.filter(pk=order.pk).update(
        status=current,
        done_at=at if current == OrderStatus.DONE else None,
        assigned_to=actor if path and current != OrderStatus.CANCELLED else None,
        result_due_at=None,  # made when placed, or nothing is made for a cancelled order
    )
    if current == OrderStatus.WAITING_FOR_ORDERER:
        OrderComment.objects.create(
            order=order, author=actor, text="Vi behöver ett telefonnummer till kontaktpersonen."
        )


def _make_result(order: Order, at: dt.datetime) -> None:
    """What the worker would have made a minute after the order was placed (the log
    extract), dated so."""
    make = hooks.hooks_for(order.order_type.code).make_result
    if make is None:
        return
    result = make(order, ResultRequest())
    OrderResult.objects.filter(pk=result.pk).update(made_at=at)
    OrderAttachment.objects.filter(result=result).update(uploaded_at=at)
    OrderComment.objects.filter(order=order, author__isnull=True).update(created_at=at)
    OrderStep.objects.filter(order=order, done_by__isnull=True, done_at__isnull=False).update(
        done_at=at
    )


def seed_demo(municipality: Municipality, now: dt.datetime | None = None) -> int:
    """The default catalogue and, once, ~25 orders placed by the municipality's demo staff
    and the municipality's log extract of last month. Returns how many orders were created
    (0 when there were already some, or no staff)."""
    ensure_default_catalogue(municipality)
    # Another app's demo may have placed its own orders first (the apps seed in order).
    if (
        Order.objects.filter(municipality=municipality)
        .exclude(order_type__code__in=sorted(_OWN_DEMO))
        .exists()
    ):
        return 0
    assignments = RoleAssignment.objects.filter(municipality=municipality).select_related(
        "user", "provider"
    )
    orderers = [
        a
        for a in assignments
        if a.role in (Role.TEAM_LEADER, Role.PROVIDER_MANAGER) and a.user.is_active
    ]
    fulfillers = [a.user for a in assignments if a.role == Role.WELFARE_TECH and a.user.is_active]
    fulfillers = fulfillers or [
        a.user for a in assignments if a.role == Role.MUNICIPAL_ADMIN and a.user.is_active
    ]
    if not orderers or not fulfillers:
        return 0
    orderers.sort(key=lambda a: a.pk)
    rng = random.Random(_SEED)
    now = now or timezone.now()
    types = list(
        OrderType.objects.filter(municipality=municipality, active=True).exclude(
            code__in=sorted(_OWN_DEMO)
        )
    )
    clients_by_provider: dict[int, list[Client]] = {}
    created = 0
    with transaction.atomic():
        for i, outcome in enumerate(_OUTCOMES[:DEMO_ORDERS]):
            assignment = orderers[i % len(orderers)]
            assert assignment.provider is not None
            provider = assignment.provider
            if provider.pk not in clients_by_provider:
                clients_by_provider[provider.pk] = list(
                    Client.objects.filter(provider=provider).order_by("pk")[:200]
                )
            clients = clients_by_provider[provider.pk]
            order_type = types[i % len(types)]
            specs = order_type.field_specs
            if any(s.kind == FieldKind.CLIENT for s in specs) and not clients:
                continue
            # Spread over the last five weeks, the newest first, in office hours.
            placed_at = now - dt.timedelta(days=i * 1.4, hours=rng.randint(0, 6))
            placed = municipality.local_date(placed_at)
            data = {s.name: _value(rng, s, placed, clients) for s in specs}
            if order_type.code == "log_extract" and data.get("extract_date"):
                # An extract is of a working day that has been, as the order form demands.
                back = -rng.randint(1, 5)
                data["extract_date"] = municipality.add_working_days(placed, back).isoformat()
            if order_type.code == "phone_configuration":
                # Handed in the day it was ordered or a day or two before, never after.
                handed_in = placed - dt.timedelta(days=rng.randint(0, 2))
                data["handed_in_on"] = handed_in.isoformat()
            order = place_order(
                assignment.user,
                order_type,
                data,
                provider=provider,
                clients=Client.objects.filter(pk__in=[c.pk for c in clients]),
                now=placed_at,
            )
            if outcome != OrderStatus.CANCELLED:
                _make_result(order, placed_at + dt.timedelta(minutes=1))
            path = _PATHS[outcome]
            if path:
                _history(order, path, rng.choice(fulfillers), placed_at, now, rng)
            created += 1
        # And the municipality's own monthly extract of every provider, for billing: the
        # last working day of the month before.
        log_extract = next((t for t in types if t.code == "log_extract"), None)
        if log_extract is not None:
            placed_at = now - dt.timedelta(hours=2)
            month = municipality.local_date(placed_at).replace(day=1)
            order = place_order(
                fulfillers[0],
                log_extract,
                {"extract_date": municipality.add_working_days(month, -1).isoformat()},
                provider=None,
                clients=Client.objects.none(),
                now=placed_at,
            )
            _make_result(order, placed_at + dt.timedelta(minutes=1))
            created += 1
    return created
