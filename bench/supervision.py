"""Heartbeat supervision at city scale: 300,000 units reporting every 5 minutes.

    python bench/supervision.py [--database-url URL] [--units N] [--duration S]
                                [--silent N] [--bursts N] [--burst-size N] [--big-burst N]

Creates N DC-09 units (300 s interval, 60 s grace) in a municipality of its own, their last
messages spread evenly over the last interval (bulk insert; earlier bench units are deleted
first). Then, in real time:

1. Steady state (`--duration` seconds). A feeder process sends every unit's heartbeat when
   it is due, through the alarms ingest in batches as the receivers do (1,000 messages a
   second at 300,000 units), except for `--silent` units that stop reporting, with
   deadlines spread over the run. The main process runs the supervision job as `trygg
   worker` does (`worker.run_job`, then a 1 s wait), measuring each run's wall time and
   process CPU (`time.process_time`: this process only; the feeder is another process,
   and on PostgreSQL the server's own CPU is not in it).
2. Bursts (feeder stopped). `--bursts` times, `--burst-size` units are made overdue at once
   (a network outage seen after a worker restart) and one run drains them; then one run
   with `--big-burst` units.

Prints: the baseline (one empty primary-key query, the same run), the job's CPU seconds
per real second, per-run time p50/p99 when nothing is due, when a few are (the silent
units' deadlines passing) and for bursts, and for each silent unit how late it was raised
after its deadline (last message + interval + grace), measured to the end of the run that
raised it (its commit): p50/p99/max against the target of 5 s (DESIGN.md). Also what the
feeder achieved (messages a second, its CPU) and any alarm for a unit that kept reporting.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import multiprocessing as mp
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from pages import configure, database_version  # noqa: E402  (bench/ is not a package)

INTERVAL, GRACE = 300, 60
TARGET_LATE_S = 5.0
MUNICIPALITY_CODE = "9SUP"
FEED_BATCH = 500  # the most one ingest call takes; the committer batches like this


@dataclass
class Run:
    started: dt.datetime
    ended: dt.datetime
    wall_ms: float
    cpu_ms: float
    raised: int


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# Setup ---------------------------------------------------------------------------------------


def create_units(n: int, start: dt.datetime) -> int:
    """N units last heard from evenly over the interval before `start`; the municipality id."""
    from django.db import connection, transaction

    from trygg.alarms.models import Alarm, Signal
    from trygg.core.models import Municipality, OutboxMessage
    from trygg.devices.models import AlarmPlacement, AlarmUnit

    municipality, _ = Municipality.objects.get_or_create(
        code=MUNICIPALITY_CODE,
        defaults={"name": "Benchmark supervision", "country": "SE"},
    )
    ops = connection.ops
    with transaction.atomic(), connection.cursor() as cursor:
        # Raw deletes: the ORM would collect 300,000 units and their alarms in Python first.
        unit_ids = f"SELECT id FROM {AlarmUnit._meta.db_table} WHERE municipality_id = %s"
        alarm_ids = f"SELECT id FROM {Alarm._meta.db_table} WHERE unit_id IN ({unit_ids})"
        for model, where in (
            (OutboxMessage, f"stream = 'alarm' AND subject_id IN ({alarm_ids})"),
            (Alarm, f"unit_id IN ({unit_ids})"),
            (Signal, f"unit_id IN ({unit_ids})"),
            (AlarmPlacement, f"unit_id IN ({unit_ids})"),
            (AlarmUnit, "municipality_id = %s"),
        ):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}", [municipality.pk])
        columns = (
            "municipality_id, model_name, serial_number, notes, created_at, updated_at, "
            "protocol, kind, dc09_account, scaip_controller_id, encryption_key, "
            "heartbeat_interval, heartbeat_grace, last_seen_at, supervision_due_at, "
            "connection_lost"
        )
        sql = (
            f"INSERT INTO {AlarmUnit._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * 16)})"
        )
        created = ops.adapt_datetimefield_value(start)
        rows = []
        for i in range(n):
            seen = start - dt.timedelta(seconds=INTERVAL * (1 - i / n))
            due = seen + dt.timedelta(seconds=INTERVAL + GRACE)
            rows.append(
                (
                    municipality.pk,
                    "Benchlarm 1",
                    f"BSUP-{i:07d}",
                    "",
                    created,
                    created,
                    "dc09",
                    "safety_alarm",
                    f"{0x1000000 + i:X}",
                    "",
                    "",
                    INTERVAL,
                    GRACE,
                    ops.adapt_datetimefield_value(seen),
                    ops.adapt_datetimefield_value(due),
                    False,
                )
            )
            if len(rows) == 10_000:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
    return int(municipality.pk)


def shift_to(municipality_id: int, delta: dt.timedelta) -> None:
    """Move every unit's last message and deadline by `delta`: the run starts now."""
    from django.db import connection
    from django.db.models import F

    from trygg.devices.models import AlarmUnit

    AlarmUnit.objects.filter(municipality_id=municipality_id).update(
        last_seen_at=F("last_seen_at") + delta, supervision_due_at=F("supervision_due_at") + delta
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {AlarmUnit._meta.db_table}")


def baseline_ms(samples: int = 300) -> float:
    """One empty primary-key query on a held connection: the unit of the ratio columns."""
    from trygg.devices.models import AlarmUnit

    AlarmUnit.objects.filter(pk=-1).exists()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        AlarmUnit.objects.filter(pk=-1).exists()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# The feeder (its own process) -----------------------------------------------------------------


def feeder(
    database_url: str, silent: list[int], ready: Any, start_at: Any, stop: Any, out: Any
) -> None:
    """Send each unit's heartbeat when due: unit i at start + 300 s * i/N, and every 300 s
    after, skipping the silent ones; received_at is the moment it is sent."""
    configure(database_url)
    from django.utils import timezone

    from trygg.alarms.ingest import ingest
    from trygg.devices.models import AlarmUnit
    from trygg.receivers.incoming import IncomingSignal

    accounts = list(
        AlarmUnit.objects.filter(municipality__code=MUNICIPALITY_CODE)
        .order_by("pk")
        .values_list("dc09_account", flat=True)
    )
    n = len(accounts)
    quiet = set(silent)
    ready.set()
    start = start_at.get()
    cpu0 = time.process_time()
    sent = failed = 0
    cursor = 0  # heartbeats scheduled so far, over all rounds
    max_lag = 0.0
    batch_ms: list[float] = []
    while not stop.is_set():
        elapsed = time.time() - start
        due = int(n * elapsed / INTERVAL)
        if due <= cursor:
            time.sleep(0.05)
            continue
        # How far behind schedule the oldest heartbeat not yet sent is.
        max_lag = max(max_lag, elapsed - cursor * INTERVAL / n)
        upto = min(due, cursor + FEED_BATCH)
        now = timezone.now()
        batch = [
            IncomingSignal(
                protocol="dc09",
                municipality_id=None,
                unit_ref=accounts[k % n],
                dedupe_key=f"hb-{k}",
                received_at=now,
                events=(),
                raw=f'"NULL"0000R0L0#{accounts[k % n]}[]'.encode(),
            )
            for k in range(cursor, upto)
            if k % n not in quiet
        ]
        t0 = time.perf_counter()
        outcomes = ingest(batch) if batch else []
        batch_ms.append((time.perf_counter() - t0) * 1000)
        sent += sum(1 for o in outcomes if o == "stored")
        failed += sum(1 for o in outcomes if o != "stored")
        cursor = upto
    out.put(
        {
            "sent": sent,
            "failed": failed,
            "seconds": time.time() - start,
            "cpu": time.process_time() - cpu0,
            "max_lag": max_lag,
            "batch_p50": pct(batch_ms, 0.5),
            "batch_p99": pct(batch_ms, 0.99),
            "batches": len(batch_ms),
        }
    )


# The job as the worker runs it ------------------------------------------------------------------


def run_job() -> Run:
    from django.utils import timezone

    from trygg import worker

    job = {job.name: job for job in worker.jobs()}["alarms.heartbeats"]
    started = timezone.now()
    c0, t0 = time.process_time(), time.perf_counter()
    raised = worker.run_job(job)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if raised is None:
        raise SystemExit("the supervision job failed; see the log above")
    return Run(started, timezone.now(), wall * 1000, cpu * 1000, raised)


def make_overdue(municipality_id: int, count: int) -> list[int]:
    """`count` units not lost made overdue now, as if silent for a while."""
    from django.utils import timezone

    from trygg.devices.models import AlarmUnit

    ids = list(
        AlarmUnit.objects.filter(municipality_id=municipality_id, connection_lost=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    moment = timezone.now() - dt.timedelta(seconds=1)
    for i in range(0, len(ids), 900):
        AlarmUnit.objects.filter(pk__in=ids[i : i + 900]).update(supervision_due_at=moment)
    return ids


# Main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'bench-supervision.sqlite3'}",
        help="Database to use (default: var/bench-supervision.sqlite3, created if missing).",
    )
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--duration", type=float, default=240.0, help="Steady state, seconds.")
    parser.add_argument("--silent", type=int, default=1000, help="Units that stop reporting.")
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--burst-size", type=int, default=2000)
    parser.add_argument("--big-burst", type=int, default=20_000)
    args = parser.parse_args()
    if args.duration < 90:
        raise SystemExit("--duration must be at least 90 s (the first deadlines are at 60 s)")

    configure(args.database_url)
    from django.core.management import call_command
    from django.db import close_old_connections, connection
    from django.utils import timezone

    from trygg.alarms.models import Alarm
    from trygg.devices.models import AlarmUnit

    call_command("migrate", interactive=False, verbosity=0)
    n = args.units
    t0 = time.monotonic()
    municipality_id = create_units(n, timezone.now())
    print(f"Created {n} units in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    ids = list(
        AlarmUnit.objects.filter(municipality_id=municipality_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Silent units: deadlines (60 s + 300 s * i/N after the start) spread over the run, the
    # last 20 s before its end.
    last = int(n * (args.duration - 20 - GRACE) / INTERVAL)
    step = max(1, last // args.silent)
    silent = list(range(0, last, step))[: args.silent]
    silent_ids = {ids[i] for i in silent}

    context = mp.get_context("spawn")
    ready, stop, start_at, out = context.Event(), context.Event(), context.Queue(), context.Queue()
    process = context.Process(
        target=feeder, args=(args.database_url, silent, ready, start_at, stop, out)
    )
    process.start()
    if not ready.wait(120):
        raise SystemExit("the feeder did not start")
    base = baseline_ms()
    # The units were written relative to the insert; move them to start now.
    start_wall = time.time() + 1.0
    start = dt.datetime.fromtimestamp(start_wall, tz=dt.UTC)
    first = AlarmUnit.objects.get(pk=ids[0])
    assert first.last_seen_at is not None
    shift_to(municipality_id, start - (first.last_seen_at + dt.timedelta(seconds=INTERVAL)))
    close_old_connections()
    start_at.put(start_wall)
    time.sleep(max(0.0, start_wall - time.time()))

    print(f"Steady state for {args.duration:.0f} s ...", file=sys.stderr)
    runs: list[Run] = []
    cpu_total = 0.0
    while time.time() - start_wall < args.duration:
        run = run_job()
        runs.append(run)
        cpu_total += run.cpu_ms / 1000
        time.sleep(1.0)  # the worker's tick: run_forever waits 1 s between rounds
    steady_seconds = time.time() - start_wall
    stop.set()
    feed = out.get(timeout=60)
    process.join(30)

    print("Bursts ...", file=sys.stderr)
    bursts: list[Run] = []
    for _ in range(args.bursts):
        make_overdue(municipality_id, args.burst_size)
        bursts.append(run_job())
    make_overdue(municipality_id, args.big_burst)
    big = run_job()

    # Lateness of each silent unit: from its deadline to the end of the run that raised it.
    starts = [r.started for r in runs]
    late: list[float] = []
    missed = 0
    for pk in silent_ids:
        unit = AlarmUnit.objects.get(pk=pk)
        alarm = (
            Alarm.objects.filter(unit_id=pk, kind="connection_lost").order_by("created_at").first()
        )
        if alarm is None or unit.last_seen_at is None:
            missed += 1
            continue
        deadline = unit.last_seen_at + dt.timedelta(seconds=INTERVAL + GRACE)
        raised_by = runs[bisect.bisect_right(starts, alarm.created_at) - 1]
        late.append((raised_by.ended - deadline).total_seconds())
    false_alarms = (
        Alarm.objects.filter(
            unit__municipality_id=municipality_id,
            kind="connection_lost",
            created_at__lt=dt.datetime.fromtimestamp(start_wall + steady_seconds, tz=dt.UTC),
        )
        .exclude(unit_id__in=silent_ids)
        .count()
    )

    idle = [r for r in runs if r.raised == 0]
    busy = [r for r in runs if r.raised > 0]
    print()
    print(
        f"Database: {database_version(connection)}; {n} units, {INTERVAL} s interval + "
        f"{GRACE} s grace; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"Baseline: one empty primary-key query {base:.3f} ms")
    print(
        f"Feeder (its own process, the alarms ingest): {feed['sent']} heartbeats in "
        f"{feed['seconds']:.0f} s = {feed['sent'] / feed['seconds']:.0f}/s "
        f"(schedule {n / INTERVAL:.0f}/s less the silent), {feed['failed']} failed; "
        f"batch p50 {feed['batch_p50']:.1f} ms p99 {feed['batch_p99']:.1f} ms over "
        f"{feed['batches']} batches; CPU {feed['cpu'] / feed['seconds']:.2f} s/s; "
        f"max lag behind schedule {feed['max_lag']:.1f} s"
    )
    print(
        f"Supervision job, steady state: {len(runs)} runs in {steady_seconds:.0f} s, CPU "
        f"{cpu_total / steady_seconds:.4f} s per second"
    )

    def line(label: str, group: list[Run]) -> None:
        walls = [r.wall_ms for r in group]
        cpus = [r.cpu_ms for r in group]
        raised = [r.raised for r in group]
        if not group:
            print(f"  {label}: no runs")
            return
        print(
            f"  {label}: {len(group)} runs, raised {min(raised)}-{max(raised)} a run; wall "
            f"p50 {pct(walls, 0.5):.1f} ms p99 {pct(walls, 0.99):.1f} ms "
            f"(p50 {pct(walls, 0.5) / base:.0f}x baseline); CPU p50 {pct(cpus, 0.5):.1f} ms"
        )

    line("nothing due", idle)
    line("silent units due", busy)
    line(f"burst of {args.burst_size}", bursts)
    print(
        f"  burst of {big.raised}: {big.wall_ms / 1000:.2f} s wall, {big.cpu_ms / 1000:.2f} s "
        f"CPU, {big.raised / (big.wall_ms / 1000):.0f} units/s"
    )
    verdict = "meets" if late and max(late) <= TARGET_LATE_S and not missed else "MISSES"
    print(
        f"Silent units: {len(silent_ids)}, raised {len(late)}, missed {missed}; late after "
        f"deadline p50 {pct(late, 0.5):.2f} s p99 {pct(late, 0.99):.2f} s max "
        f"{max(late, default=float('nan')):.2f} s: {verdict} the target of {TARGET_LATE_S:.0f} s"
    )
    print(f"Alarms for units that kept reporting (false alarms): {false_alarms}")


if __name__ == "__main__":
    main()
