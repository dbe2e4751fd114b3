"""Demo phones for the demo municipality: `trygg seed --demo` calls `seed_demo`.

Synthetic like the rest of the demo: IMEIs pass the check digit but use a made-up type
allocation code, and phone numbers come from the range Sweden's regulator (PTS) reserves
for fiction (070-174 06 05..99).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.models import Municipality, RoleAssignment, User

from . import services
from .constants import PhoneAction, PhoneStatus
from .identifiers import make_imei
from .models import Phone, PhoneEvent

DEMO_PHONE_SEED = 20260611
DEMO_PHONES = 40
MODELS = (
    "Samsung Galaxy XCover7",
    "Samsung Galaxy XCover7",
    "Samsung Galaxy A35",
    "iPhone SE (3rd generation)",
    "Nokia XR21",
)
# Type allocation codes start with a reporting-body prefix; 99 is not used by a real phone.
_FAKE_TAC = "99"
_PHONE_ROLES = (Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR)


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> int:
    """Register ~40 phones for the municipality's demo staff, once: a few handed in for
    configuration (one of them overdue), one ready for pickup, one lost with a wipe
    requested. Returns how many phones it made; 0 when the municipality already has some."""
    if Phone.objects.filter(municipality=municipality).exists():
        return 0
    today = today or municipality.today()
    rng = random.Random(DEMO_PHONE_SEED)
    holders: dict[int, RoleAssignment] = {}
    for assignment in (
        RoleAssignment.objects.filter(
            municipality=municipality, provider__isnull=False, role__in=_PHONE_ROLES
        )
        .select_related("user", "provider")
        .order_by("provider_id", "role", "user_id")
    ):
        holders.setdefault(assignment.user_id, assignment)  # one phone each, at one provider
    chosen = list(holders.values())[:DEMO_PHONES]
    if not chosen:
        return 0
    numbers = rng.sample(range(5, 100), min(len(chosen), 95))
    with transaction.atomic():
        phones = Phone.objects.bulk_create(
            [
                Phone(
                    municipality=municipality,
                    provider=a.provider,
                    assigned_to=a.user,
                    model_name=rng.choice(MODELS),
                    imei=make_imei(_FAKE_TAC + f"{rng.randrange(10**12):012d}"),
                    serial_number=f"R{rng.randrange(16**9):09X}",
                    phone_number=f"070-174 06 {numbers[i % len(numbers)]:02d}",
                    status=PhoneStatus.IN_USE,
                    picked_up_on=today - dt.timedelta(days=rng.randint(30, 700)),
                )
                for i, a in enumerate(chosen)
            ]
        )
        now = timezone.now()
        PhoneEvent.objects.bulk_create(
            PhoneEvent(phone=p, at=now, action=PhoneAction.REGISTER, to_status=PhoneStatus.IN_USE)
            for p in phones
        )
        _stories(municipality, phones, today)
    return len(phones)


def _stories(municipality: Municipality, phones: list[Phone], today: dt.date) -> None:
    """Move a few phones along, through the services, so history and notifications are
    real: what a visitor to the demo sees on the list and in their messages."""
    tech = _first(municipality, Role.WELFARE_TECH, provider=None)
    if tech is None or len(phones) < 6:
        return
    by_provider: dict[int, list[Phone]] = {}
    for phone in phones:
        by_provider.setdefault(phone.provider_id, []).append(phone)
    first = next(iter(by_provider.values()))
    manager = _first(municipality, Role.PROVIDER_MANAGER, provider=first[0].provider_id)
    if manager is None or len(first) < 6:
        return
    fresh, overdue, configuring, ready, lost = first[1:6]
    services.change_phone(manager, fresh, PhoneAction.HAND_IN, note="Ny användare")
    # Handed in a week of working days ago and still not done: shows the overdue badge.
    services.change_phone(
        manager,
        overdue,
        PhoneAction.HAND_IN,
        note="Skärmen spricker",
        today=municipality.add_working_days(today, -6),
    )
    services.change_phone(
        manager,
        configuring,
        PhoneAction.HAND_IN,
        note="Uppdatering",
        today=municipality.add_working_days(today, -1),
    )
    services.change_phone(tech, configuring, PhoneAction.START_CONFIGURING)
    services.change_phone(
        manager, ready, PhoneAction.HAND_IN, today=municipality.add_working_days(today, -2)
    )
    services.change_phone(tech, ready, PhoneAction.MARK_READY)
    holder = lost.assigned_to
    assert holder is not None
    services.report_lost(holder, lost, note="Tappad på bussen efter kvällspasset")
    services.change_phone(manager, lost, PhoneAction.REQUEST_WIPE)


def _first(municipality: Municipality, role: Role, *, provider: int | None) -> User | None:
    assignments = RoleAssignment.objects.filter(municipality=municipality, role=role)
    if provider is None:
        assignments = assignments.filter(provider__isnull=True)
    else:
        assignments = assignments.filter(provider_id=provider)
    assignment = assignments.select_related("user").order_by("user_id").first()
    return assignment.user if assignment else None
