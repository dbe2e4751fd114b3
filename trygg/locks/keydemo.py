"""Demo physical keys: key receipts for the demo clients with a keyless lock, their backup
keys kept at the district's alarm organisation (one lent out and overdue, one lent out now),
a lock fault reported yesterday evening with its ticket, and an installation order waiting
for its lock. `locks.demo.seed_demo` calls `seed_keys` once the locks are in place.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction
from django.utils import timezone

from trygg.alarms.models import District
from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, RoleAssignment, User
from trygg.devices.models import DoorKind, DoorLock
from trygg.servicedesk import access as desk_access
from trygg.servicedesk import services as desk_services
from trygg.servicedesk.models import OrderType

from . import backupkeys, faults, installation, keyaccess
from .constants import KeyHolder, SignedHow
from .models import BackupKey, BackupKeyLoan, KeyReceipt

RELATIVES = ("Anna", "Per", "Karin", "Lars", "Eva", "Johan")


def _user(municipality: Municipality, username: str) -> User | None:
    return User.objects.filter(
        username=username, role_assignments__municipality=municipality
    ).first()


def _municipal(municipality: Municipality, role: Role) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(municipality=municipality, role=role, provider__isnull=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return assignment.user if assignment else None


def demo_signature(seed: int) -> str:
    """A hand-like scribble in the signature box: a few loops along a slanting line."""
    points = []
    for i in range(60):
        t = i / 59
        x = 20 + 250 * t
        y = 70 - 20 * t + 22 * math.sin(t * (9 + seed % 4) * math.pi) * (1 - 0.5 * t)
        points.append(f"{'M' if i == 0 else 'L'}{round(x, 1):g} {round(y, 1):g}")
    return " ".join(points)


def seed_keys(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Once: receipts, backup keys and loans, a fault and an installation order."""
    if KeyReceipt.objects.filter(municipality=municipality).exists():
        return {}
    tech = _municipal(municipality, Role.WELFARE_TECH)
    keeper = _municipal(municipality, Role.ALARM_OPERATOR) or tech
    if tech is None or keeper is None:
        return {}
    today = today or municipality.today()
    now = timezone.now()
    districts = list(District.objects.filter(municipality=municipality))
    locks = list(
        DoorLock.objects.filter(municipality=municipality, door_kind=DoorKind.FLAT)
        .in_service(today)
        .select_related("client__provider", "client__team")
        .order_by("serial_number")
    )
    counts = {"key receipts": 0, "backup keys": 0, "loans": 0}
    with transaction.atomic():
        for n, lock in enumerate(locks, start=1):
            client = lock.client
            assert client is not None
            on_phone = n % 3 != 0
            handed = max(lock.placed_on or today, client.start_date)
            signer = client.full_name if n % 2 else f"{RELATIVES[n % 6]} {client.last_name}"
            receipt = KeyReceipt.objects.create(
                municipality=municipality,
                client=client,
                keys="Lägenhetsnyckel och porttagg" if n % 2 else "Två lägenhetsnycklar",
                key_count=2,
                holder=KeyHolder.ALARM_ORGANISATION,
                handed_over_on=min(handed, today),
                signed_by=signer,
                signed_how=SignedHow.PHONE if on_phone else SignedHow.PAPER,
                signature=demo_signature(n) if on_phone else "",
                registered_by=tech,
            )
            counts["key receipts"] += 1
            # The alarm organisation of the client's district, named as its support line.
            team = client.team.name if client.team is not None else ""
            district = next((d for d in districts if d.name == team), None)
            place = f"Larmorganisation {team or (district.name if district else '')}".strip()
            key = BackupKey.objects.create(
                municipality=municipality,
                client=client,
                label=f"R-{n:03d}",
                district=district,
                kept_at=f"{place}, nyckelskåp {1 + (n - 1) // 20}, krok {n}",
                receipt=receipt,
                registered_by=keeper,
            )
            counts["backup keys"] += 1
            # A returned loan in most keys' history.
            if n % 2 == 0:
                lent = now - dt.timedelta(days=n + 2, hours=3)
                BackupKeyLoan.objects.create(
                    key=key,
                    borrower=_user(municipality, "natt") or keeper,
                    reason="Låset svarade inte",
                    lent_by=keeper,
                    lent_at=lent,
                    due_at=lent + backupkeys.loan_period(),
                    returned_at=lent + dt.timedelta(hours=2),
                    returned_to=keeper,
                )
                counts["loans"] += 1
        keys = list(BackupKey.objects.filter(municipality=municipality).order_by("label"))
        borrower = _user(municipality, "omsorg") or keeper
        if keys:
            # Overdue: borrowed yesterday evening, to be back this morning.
            lent = now - dt.timedelta(hours=20)
            BackupKeyLoan.objects.create(
                key=keys[0],
                borrower=borrower,
                reason="Låsfel, kvällsbesök",
                lent_by=keeper,
                lent_at=lent,
                due_at=lent + backupkeys.loan_period(),
            )
            counts["loans"] += 1
        if len(keys) > 2:
            lent = now - dt.timedelta(hours=1)
            BackupKeyLoan.objects.create(
                key=keys[2],
                borrower=_user(municipality, "natt") or keeper,
                reason="Telefonen urladdad",
                lent_by=keeper,
                lent_at=lent,
                due_at=lent + backupkeys.loan_period(),
            )
            counts["loans"] += 1
    counts.update(_fault_and_installation(municipality, locks, today, now))
    return counts


def _fault_and_installation(
    municipality: Municipality, locks: list[DoorLock], today: dt.date, now: dt.datetime
) -> dict[str, int]:
    made = {"lock faults": 0, "installation orders": 0}
    reporter = _user(municipality, "omsorg")
    mine = [
        lock
        for lock in locks
        if reporter is not None
        and lock.client is not None
        and keyaccess.can_report_fault(reporter, lock.client)
        and lock.client.team_id in keyaccess.scope_for(reporter).team_ids
    ]
    if reporter is not None and mine:
        lock = mine[0]
        assert lock.client is not None
        yesterday_evening = municipality.localtime(now - dt.timedelta(days=1)).replace(
            hour=19, minute=12, second=0, microsecond=0
        )
        fault = faults.report_fault(
            reporter,
            lock,
            lock.client,
            symptom=faults.Symptom.WONT_OPEN,
            description="Appen hittar låset men dörren öppnas inte.",
            now=yesterday_evening,
        )
        faults.record_steps(
            reporter,
            fault,
            backup_key=faults.BackupKeyOutcome.WORKED,
            called="Låsfellinjen",
            door_opened=True,
            now=yesterday_evening + dt.timedelta(minutes=20),
        )
        made["lock faults"] += 1
    manager = _user(municipality, "chef")
    order_type = OrderType.objects.filter(
        municipality=municipality, code=installation.ORDER_TYPE_CODE, active=True
    ).first()
    if manager is not None and order_type is not None:
        candidate = (
            Client.objects.filter(municipality=municipality, digital_lock=False)
            .active_on(today)
            .filter(provider__in=desk_access.ordering_providers(manager, municipality.pk))
            .order_by("pk")
            .first()
        )
        if candidate is not None:
            desk_services.place_order(
                manager,
                order_type,
                {
                    "client": str(candidate.pk),
                    "wanted_on": (today + dt.timedelta(days=14)).isoformat(),
                    "booking_contact": "Dottern, 070-174 06 77",
                    "door": "Port med kod, tredje våningen.",
                },
                provider=candidate.provider,
                clients=Client.objects.filter(pk=candidate.pk),
            )
            made["installation orders"] += 1
    return made
