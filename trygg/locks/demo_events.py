"""The demo's lock log: what the demo's locks said over the last fortnight, so the lock pages
and the client record have something to show. Each visit the back-office demo registered at
a locked door, by someone who holds a key to it, opened the door a few minutes before the
arrival and locked it after the departure; one unlock has no visit around it (flagged for
review) and one attempt was made with an expired token. Called by `demo.seed_demo` after
the locks are placed (the visits are seeded before the locks)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from trygg.core.models import Municipality
from trygg.devices.models import DoorLock
from trygg.visits.models import Visit

from . import services
from .constants import LockEventKind, Refusal
from .models import DigitalKey

DEMO_EVENT_SEED = 20261207
DAYS = 14


def seed_events(municipality: Municipality) -> int:
    """Store the demo locks' events, once; returns how many."""
    locks = list(DoorLock.objects.filter(municipality=municipality, client__isnull=False))
    keys = {
        (key.lock_id, key.holder_id): key
        for key in DigitalKey.objects.open().filter(lock__in=locks)
    }
    if not keys:
        return 0
    rng = random.Random(DEMO_EVENT_SEED)
    now = timezone.now()
    stored = 0
    for lock in locks:
        if lock.client_id is None:
            continue
        events: list[services.ReportedEvent] = []
        visits = Visit.objects.current().filter(
            client_id=lock.client_id, started_at__gte=now - dt.timedelta(days=DAYS)
        )
        for visit in visits.order_by("started_at")[:40]:
            key = keys.get((lock.pk, visit.staff_id))
            if key is None:
                continue
            opened = visit.started_at - dt.timedelta(seconds=rng.randint(40, 240))
            events.append(_event(f"demo-{visit.pk}-u", LockEventKind.UNLOCKED, opened, key))
            closed = visit.ended_at + dt.timedelta(seconds=rng.randint(20, 120))
            if closed < now:
                events.append(_event(f"demo-{visit.pk}-l", LockEventKind.LOCKED, closed, None))
        holders = [key for (lock_pk, _holder), key in keys.items() if lock_pk == lock.pk]
        if holders and lock == locks[0]:
            key = holders[0]
            # An unlock nobody registered a visit for, two days ago in the afternoon.
            stray = municipality.localtime(now - dt.timedelta(days=2)).replace(
                hour=14, minute=7, second=12, microsecond=0
            )
            events.append(_event("demo-stray-u", LockEventKind.UNLOCKED, stray, key))
            late = stray - dt.timedelta(hours=20)
            events.append(
                _event("demo-expired-f", LockEventKind.FAILED, late, key, Refusal.EXPIRED)
            )
        if events:
            stored += services.record_lock_events(lock, events, now=now).stored
    return stored


def _event(
    event_id: str,
    kind: str,
    at: dt.datetime,
    key: DigitalKey | None,
    refusal: str = "",
) -> services.ReportedEvent:
    return services.ReportedEvent(
        event_id=event_id,
        kind=kind,
        at=at,
        key_id=key.pk if key else None,
        holder=key.holder_id if key else None,
        key_version=1 if key else None,
        refusal=refusal,
    )
