"""Heartbeat supervision: a unit silent past its deadline raises one technical
"connection lost" alarm; its next message restores it (in `ingest.ingest`).

The healthchecks way (`hc/api/management/commands/sendalerts.py`). Every message a unit
sends stores its next deadline in `AlarmUnit.supervision_due_at` (last message + interval +
grace). The worker runs `raise_lost_connections` every second: the partial index
`alarmunit_supervision_due` holds exactly the units that are supervised and not already
lost, so finding the overdue ones is a range read of the index's head, however many units
there are. Each overdue unit is claimed by a conditional
`UPDATE … SET connection_lost = true WHERE … connection_lost = false AND
supervision_due_at <= now`, and its alarm and its `alarm.raised` message in the core
outbox are written in the same transaction, so several `trygg worker` processes can run
side by side and each unit is raised exactly once.

Batches. A mobile network outage silences thousands of units within seconds of each other.
One run claims them `limit` at a time, a handful of statements per batch (lock, update,
placements, alarms, outbox) whatever the batch size, and drains until nothing is due.

A unit whose alarm cannot be written (bad data: say its municipality's time zone) would
fail its whole batch on every run and hold back the units batched with it. After a failed
batch the run goes through its units one at a time; the one that fails is logged and its
deadline pushed `FAILED_UNIT_RETRY` forward, as healthchecks does, instead of failing every
second for ever.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from trygg.core import outbox
from trygg.devices.models import AlarmUnit
from trygg.lib.bulkinsert import insert_rows
from trygg.receivers.incoming import EventKind, IncomingEvent

# The ingest's helpers, so a lost connection gets its placement, client and provider
# exactly as the ingest's alarms do (the placement in force on the unit's local day).
from .ingest import OUTBOX_RAISED, Placements, build_alarm, local_day
from .models import CONNECTION_RESTORED_CODE, Alarm, AlarmKind

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A lost connection needs someone (a technician) like any other alarm: the dispatcher routes
# it from the same topic.
OUTBOX_TOPIC = OUTBOX_RAISED
FAILED_UNIT_RETRY = dt.timedelta(minutes=5)
# The lost connection and its restore share the code, so the pair can be matched.
_LOST = IncomingEvent(EventKind.TECHNICAL, CONNECTION_RESTORED_CODE, text="Connection lost")
# Only what the alarm needs: the municipality (and its time zone, for the local day) and
# the deadline (the moment the unit went silent).
_FIELDS = ("municipality", "municipality__time_zone", "supervision_due_at")


class _LostRace(Exception):
    """The update claimed fewer units than were locked: cannot happen under the locks
    (see `_claim`), but if it does nothing is written and the units go one at a time."""


def raise_lost_connections(now: dt.datetime | None = None, *, limit: int = BATCH_SIZE) -> int:
    """Raise a connection-lost alarm for every unit silent past its deadline at `now`;
    returns how many were raised. Each batch of `limit` units is one transaction."""
    now = now or timezone.now()
    raised = 0
    # The idle case, nearly every second: one indexed read, no write transaction (which on
    # SQLite would take the database's single write lock from the ingest every second).
    while _overdue(now).exists():
        locked: list[int] = []
        try:
            with transaction.atomic():
                units = _claim(_overdue(now), now, limit, locked)
                _record(units, now)
        except (OperationalError, InterfaceError):
            raise  # the database, not a unit: the worker logs it and the next run retries
        except Exception:
            if not locked:
                raise
            logger.exception("Supervision batch of %d units failed; one at a time", len(locked))
            raised += _one_at_a_time(locked, now)
            continue
        raised += len(units)
        if len(units) < limit:
            break  # drained (or the rest is locked by another worker, which raises it)
    return raised


def _overdue(now: dt.datetime) -> QuerySet[AlarmUnit]:
    # The index's condition (supervised and not lost) spelled out as it is in the index, so
    # both planners prove the query implies it and read the index (test_heartbeats checks
    # the plans).
    return AlarmUnit.objects.filter(
        supervision_due_at__isnull=False, connection_lost=False, supervision_due_at__lte=now
    )


def _claim(
    candidates: QuerySet[AlarmUnit], now: dt.datetime, limit: int, locked: list[int]
) -> list[AlarmUnit]:
    """Claim up to `limit` overdue units for this transaction: marked lost, returned.

    Why this cannot double-raise or raise a unit just heard from. PostgreSQL: the rows are
    locked FOR UPDATE SKIP LOCKED (a second worker takes the next ones instead of waiting),
    and a row the ingest changed and committed meanwhile is re-checked against the WHERE
    before it is locked, so one it just moved forward is not returned. A row the ingest holds
    locked is skipped; one we hold makes the ingest wait, and once we commit it sees
    `connection_lost` set and records the restore. SQLite: the IMMEDIATE transaction holds
    the one write lock from its first statement, so nothing changes between this read and
    the update. On top of the locks, the update repeats the conditions: a unit counts as
    lost only if it is still not lost and still overdue in the row the update sees. Without
    `supervision_due_at <= now` there, a unit heard from after the read would be marked lost
    although it is reporting, and stay so, without a restore, until its next message.
    """
    units = list(
        candidates.select_related("municipality")
        .only(*_FIELDS)
        .order_by("supervision_due_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )
    locked.extend(unit.pk for unit in units)
    if not units:
        return []
    claimed = _overdue(now).filter(pk__in=locked).update(connection_lost=True)
    if claimed != len(units):
        raise _LostRace(f"{claimed} of {len(units)} locked units claimed")
    return units


def _record(units: list[AlarmUnit], now: dt.datetime) -> None:
    """The alarms and their outbox messages: three statements for the batch (four on
    PostgreSQL from `lib.bulkinsert.COPY_FROM` units, the outbox rows' ids reserved before
    their COPY; more on SQLite, which splits inserts by its parameter limit)."""
    if not units:
        return
    # Who held the unit when it went silent: the placement on the deadline's local day.
    moments = [unit.supervision_due_at or now for unit in units]  # never None when claimed
    placements = Placements(
        [unit.pk for unit in units],
        [local_day(unit, moment) for unit, moment in zip(units, moments, strict=True)],
    )
    alarms = [
        build_alarm(unit, None, placements.at(unit, moment), AlarmKind.CONNECTION_LOST, _LOST, now)
        for unit, moment in zip(units, moments, strict=True)
    ]
    Alarm.objects.bulk_create(alarms)
    # The ingest's fast insert, as for its own messages; the dispatcher is woken on commit.
    insert_rows(outbox.rows(OUTBOX_TOPIC, [alarm.pk for alarm in alarms], now=now))
    outbox.notify([OUTBOX_TOPIC])


def _one_at_a_time(pks: list[int], now: dt.datetime) -> int:
    raised = 0
    for pk in pks:
        try:
            with transaction.atomic():
                units = _claim(_overdue(now).filter(pk=pk), now, 1, [])
                _record(units, now)
            raised += len(units)
        except (OperationalError, InterfaceError):
            raise
        except _LostRace:
            continue  # another worker claimed it between our lock and update
        except Exception:
            logger.exception(
                "Supervision of alarm unit %s failed; next try in %s", pk, FAILED_UNIT_RETRY
            )
            # Only if still overdue and not lost: a message since then has set a deadline.
            _overdue(now).filter(pk=pk).update(supervision_due_at=now + FAILED_UNIT_RETRY)
    return raised
