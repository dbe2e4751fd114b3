"""Alarms that apps above this one raise on a unit: a look-in not done in its window, a fall
an infrared camera saw, a camera reported faulty.

They take the safety alarm's path from here on: the client and provider come from the unit's
placement at the moment, and the dispatcher routes, escalates and announces them to the
console and the alarm phones like any other (`alarm.raised` in the outbox). The caller
holds the transaction: the alarms are written with whatever the caller writes, or not at all.

Trygg's own codes are named with `event_names.register_code`, so pages name the event in
the reader's language instead of showing the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from trygg.core import outbox
from trygg.devices.models import AlarmUnit
from trygg.lib.bulkinsert import insert_rows
from trygg.receivers.incoming import EventKind, IncomingEvent

from .ingest import OUTBOX_RAISED, Placements, build_alarm, local_day
from .models import RECORD_ONLY_KINDS, Alarm, AlarmKind, AlarmPriority


@dataclass(frozen=True)
class Raise:
    """One alarm to raise. `unit` needs `municipality` loaded (its clock dates the
    placement); `at` is the moment whose placement holds the alarm (default: now)."""

    unit: AlarmUnit
    kind: AlarmKind
    code: str
    text: str = ""
    zone: str = ""
    at: dt.datetime | None = None
    # Orders the alarm among those of its rank on the console and the phones.
    priority: int = AlarmPriority.NORMAL


def raise_alarms(raises: Sequence[Raise], now: dt.datetime | None = None) -> list[Alarm]:
    """Insert the alarms and their outbox messages in a few statements, whatever the batch's
    size, and wake the dispatcher when the caller's transaction commits. Returns the
    alarms, with their ids."""
    if not raises:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("raise_alarms runs inside the caller's transaction")
    now = now or timezone.now()
    moments = [entry.at or now for entry in raises]
    placements = Placements(
        [entry.unit.pk for entry in raises],
        [local_day(entry.unit, moment) for entry, moment in zip(raises, moments, strict=True)],
    )
    alarms = [
        build_alarm(
            entry.unit,
            None,
            placements.at(entry.unit, moment),
            entry.kind,
            IncomingEvent(EventKind.ALARM, entry.code, zone=entry.zone, text=entry.text),
            now,
        )
        for entry, moment in zip(raises, moments, strict=True)
    ]
    for alarm, entry in zip(alarms, raises, strict=True):
        alarm.priority = entry.priority
    insert_rows(alarms)
    raised = [alarm.pk for alarm in alarms if alarm.kind not in RECORD_ONLY_KINDS]
    if raised:
        insert_rows(outbox.rows(OUTBOX_RAISED, raised, now=now))
        outbox.notify([OUTBOX_RAISED])
    return alarms
