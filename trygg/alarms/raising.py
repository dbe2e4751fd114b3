"""Alarms that apps above this one raise on a unit: a look-in not done in its window, a fall
an infrared camera saw, a camera reported faulty.

They take the safety alarm's path from here on: the client and provider come from the unit's
placement at the moment, and the dispatcher routes, escalates and announces them to the
console and the alarm phones like any other (`alarm.raised` in the outbox). The caller
holds the transaction: the alarms are written with whatever the caller writes, or not at all.

Trygg's own codes are named with `event_names.register_code`, so pages name the event in
the reader's language instead of showing the code.

Speed (docs/benchmarks.md, missed look-ins). A night's worst moment raises thousands at once
(every look-in of one time missed). The alarms are written as they are built in
`ingest.build_alarm` (same fields, same rules), but as tuples of values with the placements
read as tuples too, and inserted by `lib.bulkinsert.insert_values`: a model instance per
alarm, per placement and per client, made only to be inserted or read once, was most of
the time. A caller that holds only unit ids passes `UnitRef`s rather than loading the units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trygg.core import outbox
from trygg.core.models import Municipality
from trygg.devices.models import AlarmPlacement, AlarmUnit
from trygg.lib.bulkinsert import insert_values

from .ingest import OUTBOX_RAISED
from .models import (
    CARE_KINDS,
    RECORD_ONLY_KINDS,
    Alarm,
    AlarmCategory,
    AlarmKind,
    AlarmPriority,
    AlarmStatus,
)


@dataclass(frozen=True)
class UnitRef:
    """A unit by its id, with its municipality (whose clock dates the placement): what an
    alarm needs of it, for a batch that knows the ids and would load each unit only for
    this."""

    pk: int
    municipality: Municipality


@dataclass(frozen=True)
class Raise:
    """One alarm to raise. `unit` needs `municipality` loaded (its clock dates the
    placement); `at` is the moment whose placement holds the alarm (default: now)."""

    unit: AlarmUnit | UnitRef
    kind: AlarmKind
    code: str
    text: str = ""
    zone: str = ""
    at: dt.datetime | None = None
    # Orders the alarm among those of its rank on the console and the phones.
    priority: int = AlarmPriority.NORMAL


@dataclass(frozen=True)
class Raised:
    """An alarm as raised: its id and who held the unit."""

    pk: int
    unit_id: int
    kind: str
    priority: int
    status: str
    placement_id: int | None
    client_id: int | None
    provider_id: int | None


# The alarm's fields as written, in the order of `_row`; the rest keep their defaults (no
# signal: Trygg raised it; not routed, acknowledged or escalated yet).
_FIELDS = (
    "municipality_id",
    "unit_id",
    "placement_id",
    "client_id",
    "provider_id",
    "kind",
    "category",
    "code",
    "zone",
    "text",
    "status",
    "priority",
    "created_at",
    "closed_at",
)
_Row = tuple[
    int,  # municipality
    int,  # unit
    int | None,  # placement
    int | None,  # client
    int | None,  # provider
    str,  # kind
    str,  # category
    str,  # code
    str,  # zone
    str,  # text
    str,  # status
    int,  # priority
    dt.datetime,  # created
    dt.datetime | None,  # closed
]
# A placement as read: id, first and last day, the emergency alarm's provider, the client
# and the client's provider.
_Held = tuple[int, dt.date, dt.date | None, int | None, int | None, int | None]


def raise_alarms(raises: Sequence[Raise], now: dt.datetime | None = None) -> list[Raised]:
    """Insert the alarms and their outbox messages in a few statements, whatever the batch's
    size, and wake the dispatcher when the caller's transaction commits. Returns the
    alarms raised, with their ids, in the order of `raises`."""
    if not raises:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("raise_alarms runs inside the caller's transaction")
    now = now or timezone.now()
    # A batch shares a few moments and municipalities: each local day is worked out once.
    days: dict[tuple[int, dt.datetime], dt.date] = {}
    local: list[dt.date] = []
    for entry in raises:
        municipality = entry.unit.municipality
        key = (municipality.pk, entry.at or now)
        day = days.get(key)
        if day is None:
            day = days[key] = municipality.local_date(key[1])
        local.append(day)
    held = _placements([entry.unit.pk for entry in raises], local)
    rows = [
        _row(entry, _held_on(held, entry.unit.pk, day), now)
        for entry, day in zip(raises, local, strict=True)
    ]
    ids = insert_values(Alarm, _FIELDS, rows)
    raised = [
        Raised(pk, row[1], row[5], row[11], row[10], row[2], row[3], row[4])
        for pk, row in zip(ids, rows, strict=True)
    ]
    outbox.write_ids(
        OUTBOX_RAISED,
        [alarm.pk for alarm in raised if alarm.kind not in RECORD_ONLY_KINDS],
        now=now,
    )
    return raised


def _row(entry: Raise, placement: _Held | None, now: dt.datetime) -> _Row:
    """The alarm's values (`_FIELDS`), by `ingest.build_alarm`'s rules: the client and the
    client's provider from the placement (an emergency alarm's provider when it names no
    client), the category from the kind, and tests and restores recorded closed."""
    placement_id = client_id = provider_id = None
    if placement is not None:
        placement_id, _from, _to, holder_id, client_id, client_provider_id = placement
        provider_id = client_provider_id if client_id is not None else holder_id
    kind = entry.kind
    record_only = kind in RECORD_ONLY_KINDS
    return (
        entry.unit.municipality.pk,
        entry.unit.pk,
        placement_id,
        client_id,
        provider_id,
        kind,
        AlarmCategory.CARE if kind in CARE_KINDS else AlarmCategory.TECHNICAL,
        entry.code[:32],
        entry.zone[:32],
        entry.text[:200],
        AlarmStatus.CLOSED if record_only else AlarmStatus.OPEN,
        entry.priority,
        now,
        now if record_only else None,
    )


def _placements(unit_ids: list[int], days: list[dt.date]) -> dict[int, list[_Held]]:
    """The units' placements around the days, in one query, as `ingest.Placements` reads
    them (and in its order), but as tuples."""
    found: dict[int, list[_Held]] = {}
    rows = (
        AlarmPlacement.objects.filter(unit_id__in=set(unit_ids), active_from__lte=max(days))
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=min(days)))
        .values_list(
            "unit_id",
            "pk",
            "active_from",
            "active_to",
            "provider_id",
            "client_id",
            "client__provider_id",
        )
    )
    for unit_id, *placement in rows:
        found.setdefault(unit_id, []).append(tuple(placement))  # type: ignore[arg-type]
    return found


def _held_on(held: dict[int, list[_Held]], unit_id: int, day: dt.date) -> _Held | None:
    """The placement in force on `day` (`AlarmPlacement.is_active_on`), if any."""
    for placement in held.get(unit_id, ()):
        if placement[1] <= day and (placement[2] is None or placement[2] >= day):
            return placement
    return None
