"""Each night's look-ins, made ahead of time, and the missed ones raised as alarms.

The worker makes tonight's look-ins for every running plan (`make_lookins`, idempotent:
one row per plan and agreed time), and raises every look-in still due when its window has
closed (`raise_missed`): the partial index on `window_ends_at` where the status is due
answers exactly that question; each batch is claimed by a conditional UPDATE (on
PostgreSQL the rows are locked with SKIP LOCKED first, so two workers never share one) and
its alarms are raised in the same transaction, so a look-in is missed once and raises one
alarm, or neither happens.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from trygg import worker
from trygg.alarms.models import AlarmKind
from trygg.alarms.raising import Raise, UnitRef, raise_alarms
from trygg.core.models import Municipality

from .constants import CODE_MISSED, LookInStatus
from .models import LookIn, SupervisionPlan
from .times import moment_of, night_of

logger = logging.getLogger(__name__)

MISSED_BATCH = 1000
MAKE_BATCH = 2000


def plan_lookins(plan: SupervisionPlan, night: dt.date) -> list[LookIn]:
    """The look-ins of `plan` on `night` as unsaved rows (paused nights as paused); needs
    `times` and `pauses` prefetched and `municipality` loaded."""
    if not plan.runs_on(night):
        return []
    zone = plan.municipality.zone
    paused = any(p.covers(night) for p in plan.pauses.all())
    window = dt.timedelta(minutes=plan.window_minutes)
    rows = []
    for time in plan.times.all():
        at = moment_of(night, time.at, zone)
        rows.append(
            LookIn(
                plan=plan,
                municipality_id=plan.municipality_id,
                client_id=plan.client_id,
                team_id=plan.night_team_id or plan.client.team_id,
                night=night,
                scheduled_at=at,
                window_ends_at=at + window,
                status=LookInStatus.PAUSED if paused else LookInStatus.DUE,
                physical=plan.camera_faulty_since is not None,
            )
        )
    return rows


def make_lookins(
    now: dt.datetime | None = None,
    *,
    plans: list[int] | None = None,
    agreed_at: dt.datetime | None = None,
) -> int:
    """Make the current night's look-ins of every running plan (or of `plans`) that are
    not made yet; returns how many were made. With `agreed_at` (a plan just confirmed or
    changed), times whose window had already begun then are made cancelled: nobody could
    have done them, so they are not missed. The worker passes none: a look-in it makes
    late (it was down) is still due, and missed if its window has closed."""
    now = now or timezone.now()
    made = 0
    for municipality in Municipality.objects.filter(
        pk__in=SupervisionPlan.objects.filter(ended_on__isnull=True).values("municipality_id")
    ):
        night = night_of(now, municipality.zone)
        queryset = (
            SupervisionPlan.objects.filter(
                municipality=municipality,
                journal_confirmed_at__isnull=False,
                start_date__lte=night,
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=night))
            .select_related("client")
            .prefetch_related("times", "pauses")
        )
        if plans is not None:
            queryset = queryset.filter(pk__in=plans)
        existing: defaultdict[int, set[dt.datetime]] = defaultdict(set)
        for plan_id, at in LookIn.objects.filter(
            municipality=municipality, night=night, retry_of__isnull=True
        ).values_list("plan_id", "scheduled_at"):
            existing[plan_id].add(at)
        rows: list[LookIn] = []
        for plan in queryset.iterator(chunk_size=MAKE_BATCH):
            plan.municipality = municipality
            for row in plan_lookins(plan, night):
                if row.scheduled_at in existing[plan.pk]:
                    continue
                if agreed_at is not None and row.scheduled_at < agreed_at:
                    row.status = LookInStatus.CANCELLED
                rows.append(row)
        with transaction.atomic():
            LookIn.objects.bulk_create(rows, batch_size=MAKE_BATCH, ignore_conflicts=True)
        made += len(rows)
    return made


def raise_missed(now: dt.datetime | None = None) -> int:
    """Mark every look-in whose window has closed while still due as missed and raise an
    alarm for each (code `lookin_missed`) through the alarm routing; returns how many."""
    now = now or timezone.now()
    total = 0
    zones: dict[int, Municipality] = {}
    while True:
        with transaction.atomic():
            candidates = LookIn.objects.filter(
                status=LookInStatus.DUE, window_ends_at__lte=now
            ).order_by("window_ends_at")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            # Plain tuples, not model instances: a batch is thousands of rows. The cameras
            # are named by id with their municipality (`UnitRef`), not loaded.
            batch = list(
                candidates.values_list(
                    "pk",
                    "scheduled_at",
                    "window_ends_at",
                    "plan__camera_id",
                    "municipality_id",
                    "plan__camera__municipality_id",
                )[:MISSED_BATCH]
            )
            if not batch:
                return total
            for municipality_id in {row[4] for row in batch} | {row[5] for row in batch}:
                if municipality_id not in zones:
                    zones[municipality_id] = Municipality.objects.get(pk=municipality_id)
            alarms = raise_alarms(
                [
                    Raise(
                        UnitRef(camera_id, zones[camera_zone]),
                        AlarmKind.ALARM,
                        CODE_MISSED,
                        text=f"{scheduled.astimezone(zones[municipality_id].zone):%H:%M}",
                        at=window_end,
                    )
                    for _pk, scheduled, window_end, camera_id, municipality_id, camera_zone in batch
                ],
                now,
            )
            claimed = _mark_missed(
                [(row[0], alarm.pk) for row, alarm in zip(batch, alarms, strict=True)]
            )
            if claimed != len(batch):
                # Another worker marked some of them first (SQLite has no SKIP LOCKED):
                # nothing of this batch is kept, and the next pass reads what is left.
                transaction.set_rollback(True)
                continue
        total += len(batch)
        logger.info("Look-ins missed: %d raised as alarms", len(batch))


def _mark_missed(pairs: list[tuple[int, int]]) -> int:
    """Set the look-ins (still due) missed and link each to its alarm; returns how many were
    still due. PostgreSQL: one statement over two arrays (`UPDATE … FROM unnest`). SQLite:
    one conditional UPDATE, then one prepared statement stepped per pair (executemany): an
    `UPDATE … FROM (VALUES …)` was planned there as a scan of the table per value row."""
    table = LookIn._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS l SET status = %s, alarm_id = v.alarm"  # noqa: S608 (names)
                " FROM unnest(%s::bigint[], %s::bigint[]) AS v (lookin, alarm)"
                " WHERE l.id = v.lookin AND l.status = %s",
                [
                    LookInStatus.MISSED.value,
                    [pk for pk, _alarm in pairs],
                    [alarm for _pk, alarm in pairs],
                    LookInStatus.DUE.value,
                ],
            )
            return cursor.rowcount
    claimed = LookIn.objects.filter(
        pk__in=[pk for pk, _alarm in pairs], status=LookInStatus.DUE
    ).update(status=LookInStatus.MISSED)
    if claimed != len(pairs):
        return claimed
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET alarm_id = %s WHERE id = %s",  # noqa: S608 (no user input)
            [(alarm, pk) for pk, alarm in pairs],
        )
    return claimed


@worker.register("supervision.lookins", every=60)
def make_tonights_lookins() -> int:
    return make_lookins()


@worker.register("supervision.missed", every=1)
def raise_missed_lookins() -> int:
    return raise_missed()
