"""Demo door locks: `trygg seed --demo` calls `seed_demo`.

Every demo client marked with a digital lock (the alarm demo marks some alarm customers so)
gets a lock on their own door, placed by the welfare-technology team, having made contact
once (battery and firmware; one lock is running low). The demo care worker (`omsorg`, team
Norr) has clients with locks in their team, so they hold keys and fetch tokens during the
day shift (07-16); `trygg locks try-door --user omsorg --lock DEMO-LOCK-001` opens one
through the lock simulator.

No signing key is in the demo: the key store makes one on first use, on the server that
runs the demo, in its own DATA_DIR.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, RoleAssignment, User
from trygg.devices.models import DoorLock

from . import inventory, services
from .demo_events import seed_events
from .keydemo import seed_keys
from .keys import reconcile_keys

DEMO_LOCK_SEED = 20261215
# The demo care workers' teams get at least this many clients with a lock each, so every
# provider's phone has a door to open and every manager a lock to look after.
TEAM_LOCKS = {"omsorg": 3, "omsorg.norrsken": 2, "omsorg.lindgarden": 1}
LOW_BATTERY_LOCK = 2  # the second lock reports a low battery


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> int:
    """Register and place the demo's locks, once. Returns how many it made (0 when the
    municipality has locks already, or lacks the demo's people)."""
    if DoorLock.objects.filter(municipality=municipality).exists():
        seed_keys(municipality, today)
        return 0
    tech = (
        User.objects.filter(
            role_assignments__municipality=municipality,
            role_assignments__role=Role.WELFARE_TECH,
            role_assignments__provider__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    if tech is None:
        return 0
    today = today or municipality.today()
    rng = random.Random(DEMO_LOCK_SEED)
    with transaction.atomic():
        for username, wanted in TEAM_LOCKS.items():
            _locks_in_team_of(username, wanted, municipality, today)
        clients = list(
            Client.objects.filter(municipality=municipality, digital_lock=True)
            .active_on(today)
            .order_by("pk")
        )
        for number, client in enumerate(clients, start=1):
            lock = inventory.register_lock(
                tech,
                municipality,
                serial_number=f"DEMO-LOCK-{number:03d}",
                model_name="Demolås",
                firmware="2.4.1",
            )
            since = max(client.start_date, today - dt.timedelta(days=rng.randint(30, 700)))
            lock = inventory.place_lock(tech, lock, on=since, client=client)
            battery = 14 if number == LOW_BATTERY_LOCK else rng.randint(35, 100)
            services.lock_contact(lock, battery=battery)
    reconcile_keys(
        lock_ids=DoorLock.objects.filter(municipality=municipality).values_list("pk", flat=True)
    )
    seed_events(municipality)
    seed_keys(municipality, today)  # receipts, backup keys, a fault, an installation order
    return len(clients)


def _locks_in_team_of(
    username: str, wanted: int, municipality: Municipality, today: dt.date
) -> None:
    """Make sure the care worker's team has clients with digital locks."""
    team_ids = list(
        RoleAssignment.teams.through.objects.filter(
            roleassignment__user__username=username,
            roleassignment__municipality=municipality,
        ).values_list("team_id", flat=True)
    )
    if not team_ids:
        return
    in_team = Client.objects.filter(municipality=municipality, team_id__in=team_ids).active_on(
        today
    )
    missing = wanted - in_team.filter(digital_lock=True).count()
    if missing > 0:
        chosen = list(
            in_team.filter(digital_lock=False).order_by("pk").values_list("pk", flat=True)[:missing]
        )
        Client.objects.filter(pk__in=chosen).update(digital_lock=True, key_location="")
