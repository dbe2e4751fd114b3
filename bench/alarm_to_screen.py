"""Alarm to screen: from a DC-09 frame arriving at the receiver to the event on a console.

    python bench/alarm_to_screen.py [--database-url URL] [--processes single,multi]
                                    [--rate 100] [--seconds 30] [--consoles 1,20]
                                    [--units 2000] [--runs 3] [--markdown] [--timeline DIR]

The system runs as in production, as subprocesses of this script on a throwaway database:

- single: `trygg serve --no-migrate --port W` with DC09_PORT and SCAIP_PORT set, so the
  web app (uvicorn), the DC-09 receiver and the worker (with the alarm dispatcher) share one
  process, and on SQLite the in-process event bus;
- multi (PostgreSQL only): `trygg receive dc09`, `trygg worker` and `trygg serve
  --no-receivers --no-worker`, three processes, so the outbox wake-up and the alarm event
  cross processes through LISTEN/NOTIFY.

The database: SQLite in a new temporary directory (removed afterwards unless --keep), or
the PostgreSQL database of --database-url. It is migrated and seeded: a municipality of its
own (code 9971), a provider, a responder team with a shift around the clock, an
escalation policy that does not escalate during a run, an alarm operator with a known
password, and --units DC-09 units (accounts 5001, 5002, ...) each placed with a client.
The bench municipality's signals and alarms are deleted before each run.

A run: start the processes, log in as the operator over HTTP (GET /login/ for the CSRF
cookie, POST the form), open --consoles connections to /alarms/stream/ and wait for each
one's `ready` event; then send SIA-DCS "QA" alarms (emergency alarm) at --rate a second,
each from the next unit in turn (a new zone on every round, so none is a retransmission)
over a TCP connection of its own, waiting for the ACK, for a warm-up of 2 s (checked, not
measured) and then --seconds. Each console records, per `alarm` event with action
"raised", the time it arrived (time.time()). After the run the database is read back: each
alarm's Signal.received_at is the moment the receiver read the frame (the same machine
clock), and latency = console arrival - received_at, pooled over the consoles.

Milestones after received_at, to show which stage is slow: ingest (Alarm.created_at: the
committer's transaction began), ACK (the unit has its ACK: that transaction committed),
routed (Alarm.routed_at: the dispatcher's pass began), NOTIFY (PostgreSQL only: this script
LISTENs too and notes when the "raised" notification arrives, i.e. the dispatcher's
transaction committed), SSE (the `sent` the server stamps on the event as it writes it to
the stream), console (arrived). The ingest transactions and dispatcher passes are counted
from the distinct created_at and routed_at values, with the alarms in each.

Every ACKed alarm must reach every console; misses are reported. Each configuration is run
--runs times, and the run with the median console p99 is the one shown. Target (DESIGN.md
§6): p99 < 500 ms from frame received to the event on a subscribed console.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import datetime as dt
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository on the path first (E402): this runs as a script from bench/.
from bench.alarm_to_screen_clients import (  # noqa: E402
    DRAIN_S,
    Console,
    Sent,
    listen_bus,
    login,
    send_alarm,
    watch,
)
from bench.alarm_to_screen_system import (  # noqa: E402
    FIRST_ACCOUNT,
    System,
    clear_alarms,
    configure,
    database_version,
    setup,
    start_system,
    stop_all,
)

TARGET_P99_MS = 500.0
WARMUP_S = 2.0
MILESTONES = ("ingest", "ACK", "routed", "NOTIFY", "SSE", "console")


# One run -------------------------------------------------------------------------------


@dataclass
class Run:
    database: str
    processes: str
    consoles: int
    rate: float
    seconds: float
    sent: int = 0
    acked: int = 0
    stored: int = 0
    delivered: list[int] = field(default_factory=list)  # per console, of the ACKed measured
    missed: int = 0  # ACKed measured alarms a console never got, summed over consoles
    twice: int = 0
    other_answers: Counter[str] = field(default_factory=Counter)
    other_events: Counter[str] = field(default_factory=Counter)
    console_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)  # alarms per ingest transaction
    pass_sizes: list[int] = field(default_factory=list)  # alarms per dispatcher pass
    # Per measured alarm: received (epoch s), then ms after it at each milestone (the
    # slowest console for SSE and console); for --timeline.
    timeline: list[tuple[float, ...]] = field(default_factory=list)
    stages_ms: dict[str, list[float]] = field(default_factory=dict)
    server_cpu: float = 0.0  # CPU seconds of the Trygg processes / window seconds
    loadgen_cpu: float = 0.0
    machine_busy: float = 0.0
    load: float = 0.0  # load average (1 min) when the run began

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.latencies_ms if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    return 0


def _machine_ticks() -> tuple[int, int]:
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Seen:
    """What the load generator saw: the alarms it sent, the consoles, the bus (PostgreSQL)."""

    alarms: list[Sent]
    consoles: list[Console]
    notified: dict[int, float]  # alarm id -> time.time() the "raised" NOTIFY arrived


async def drive(
    run: Run, system: System, cookie: str, units: int, zones: Counter[str], postgres: bool
) -> Seen:
    """Open the consoles, send the alarms at the rate, wait for the consoles to catch up."""
    consoles = [Console(i) for i in range(run.consoles)]
    watchers = [asyncio.create_task(watch(c, system.web_port, cookie)) for c in consoles]
    notified: dict[int, float] = {}
    try:
        if postgres:
            bus_ready = asyncio.Event()
            watchers.append(asyncio.create_task(listen_bus(notified, bus_ready)))
            await asyncio.wait_for(bus_ready.wait(), 30)
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in consoles)), 30)
        for console in consoles:
            if console.error:
                raise SystemExit(f"console {console.index}: {console.error}")

        total = round((WARMUP_S + run.seconds) * run.rate)
        warmup = round(WARMUP_S * run.rate)
        alarms = []
        for i in range(total):
            account = str(FIRST_ACCOUNT + i % units)
            zones[account] += 1
            alarms.append(Sent(account, zones[account], measured=i >= warmup))
        pids = [child.process.pid for child in system.children]
        begin = time.perf_counter() + 0.2
        senders = []
        sampled = False
        ticks, self_cpu, machine, started = 0, 0.0, (0, 0), 0.0
        for i, alarm in enumerate(alarms):
            if i == warmup:
                ticks = sum(_cpu_ticks(p) for p in pids)
                self_cpu, machine, started = _self_cpu(), _machine_ticks(), time.perf_counter()
                sampled = True
            delay = begin + i / run.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            senders.append(asyncio.create_task(send_alarm(system.dc09_port, alarm)))
        await asyncio.gather(*senders)
        if sampled:
            elapsed = time.perf_counter() - started
            hz = os.sysconf("SC_CLK_TCK")
            run.server_cpu = (sum(_cpu_ticks(p) for p in pids) - ticks) / hz / elapsed
            run.loadgen_cpu = (_self_cpu() - self_cpu) / elapsed
            busy, all_ticks = _machine_ticks()
            run.machine_busy = (busy - machine[0]) / max(1, all_ticks - machine[1])

        acked = sum(1 for a in alarms if a.acked_at is not None)
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and any(
            len(c.arrived) < acked and not c.error for c in consoles
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything arriving twice, or late
        return Seen(alarms, consoles, notified)
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)


def measure(run: Run, seen: Seen, municipality_id: int) -> None:
    """Read back what was stored and routed; fill in the run's figures."""
    from django.db import connection

    from trygg.alarms.models import Alarm

    rows = list(
        Alarm.objects.filter(municipality_id=municipality_id).values_list(
            "pk", "unit__dc09_account", "zone", "signal__received_at", "created_at", "routed_at"
        )
    )
    connection.close()
    alarms, consoles = seen.alarms, seen.consoles
    by_frame = {(a.account, a.zone): a for a in alarms}
    run.sent = sum(1 for a in alarms if a.measured)
    run.acked = sum(1 for a in alarms if a.measured and a.acked_at is not None)
    run.other_answers = Counter(a.answer for a in alarms if a.measured and a.acked_at is None)
    stages: dict[str, list[float]] = {name: [] for name in MILESTONES}
    measured_ids = []
    batches: Counter[dt.datetime] = Counter()
    passes: Counter[dt.datetime] = Counter()
    for pk, account, zone, received, created, routed in rows:
        alarm = by_frame.get((account, int(zone)))
        if alarm is None or not alarm.measured or alarm.acked_at is None:
            continue
        measured_ids.append(pk)
        t0 = received.timestamp()
        batches[created] += 1
        stages["ingest"].append((created.timestamp() - t0) * 1000)
        stages["ACK"].append((alarm.acked_at - t0) * 1000)
        if routed is not None:
            passes[routed] += 1
            stages["routed"].append((routed.timestamp() - t0) * 1000)
        if pk in seen.notified:
            stages["NOTIFY"].append((seen.notified[pk] - t0) * 1000)
        for console in consoles:
            if pk in console.arrived:
                stages["SSE"].append((console.sent[pk] - t0) * 1000)
                stages["console"].append((console.arrived[pk] - t0) * 1000)
        nan = float("nan")
        sent = [c.sent[pk] for c in consoles if pk in c.sent]
        arrived = [c.arrived[pk] for c in consoles if pk in c.arrived]
        run.timeline.append(
            (
                t0,
                *(
                    (moment - t0) * 1000 if moment is not None else nan
                    for moment in (
                        created.timestamp(),
                        alarm.acked_at,
                        routed.timestamp() if routed is not None else None,
                        seen.notified.get(pk),
                        max(sent, default=None),
                        max(arrived, default=None),
                    )
                ),
            )
        )
    run.stored = len(measured_ids)
    run.batch_sizes = sorted(batches.values())
    run.pass_sizes = sorted(passes.values())
    run.stages_ms = stages
    run.latencies_ms = stages["console"]
    run.delivered = [sum(1 for pk in measured_ids if pk in c.arrived) for c in consoles]
    run.missed = sum(run.acked - d for d in run.delivered)
    run.twice = sum(c.twice for c in consoles)
    for console in consoles:
        run.other_events.update(console.other)
        if console.error and console.error != "stream ended":
            run.console_errors.append(f"console {console.index}: {console.error}")


def one_run(
    args: argparse.Namespace,
    processes: str,
    consoles: int,
    municipality_id: int,
    database: str,
    data_dir: Path,
    zones: Counter[str],
    number: int,
) -> Run:
    clear_alarms(municipality_id)
    run = Run(database, processes, consoles, args.rate, args.seconds, load=os.getloadavg()[0])
    name = f"{processes}-{consoles}c-{number}"
    system = start_system(processes, args.database_url, data_dir, name)
    try:
        cookie = login(system.web_port)
        postgres = database.startswith("PostgreSQL")
        seen = asyncio.run(drive(run, system, cookie, args.units, zones, postgres))
        for child in system.children:
            child.check()
    finally:
        for child in reversed(system.children):
            child.stop()
    measure(run, seen, municipality_id)
    if args.timeline:
        path = Path(args.timeline) / f"{database.split()[0].lower()}-{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            out.write("received," + ",".join(f"{m}_ms" for m in MILESTONES) + "\n")
            for row in sorted(run.timeline):
                out.write(f"{row[0]:.6f}," + ",".join(f"{x:.1f}" for x in row[1:]) + "\n")
    return run


# The report ----------------------------------------------------------------------------

PROCESS_NAMES = {"single": "single process", "multi": "receiver + worker + web"}


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.percentile(0.99))
    return ordered[(len(ordered) - 1) // 2]


def report(groups: list[list[Run]], markdown: bool) -> str:
    header = (
        "database",
        "processes",
        "consoles",
        "alarms sent",
        "ACKed",
        "delivered (each console)",
        "missed",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "p99 of the runs",
        "Trygg CPU",
    )
    stage_header = ("database", "processes", "consoles", *(f"{m} p50 / p99" for m in MILESTONES))
    rows, stage_rows = [], []
    shown = [median_run(runs) for runs in groups]
    for runs, r in zip(groups, shown, strict=True):
        delivered = f"{min(r.delivered, default=0):,}"
        if r.delivered and max(r.delivered) != min(r.delivered):
            delivered += f"-{max(r.delivered):,}"
        rows.append(
            (
                r.database,
                PROCESS_NAMES[r.processes],
                str(r.consoles),
                f"{r.sent:,}",
                f"{r.acked:,}",
                delivered,
                str(r.missed),
                f"{r.percentile(0.5):.0f}",
                f"{r.percentile(0.95):.0f}",
                f"{r.percentile(0.99):.0f}",
                f"{max(r.latencies_ms, default=float('nan')):.0f}",
                ", ".join(f"{x.percentile(0.99):.0f}" for x in runs),
                f"{r.server_cpu:.0%}",
            )
        )
        stage_rows.append(
            (
                r.database,
                PROCESS_NAMES[r.processes],
                str(r.consoles),
                *(
                    f"{r.percentile(0.5, r.stages_ms[m]):.0f} / "
                    f"{r.percentile(0.99, r.stages_ms[m]):.0f}"
                    if r.stages_ms[m]
                    else "-"
                    for m in MILESTONES
                ),
            )
        )
    lines = _table(header, rows, markdown)
    lines += ["", "Milestones, ms after the receiver read the frame (p50 / p99):", ""]
    lines += _table(stage_header, stage_rows, markdown)
    lines.append("")
    for runs, r in zip(groups, shown, strict=True):
        notes = [
            f"load average {', '.join(f'{x.load:.2f}' for x in runs)} at the start of the runs",
            f"machine busy {r.machine_busy:.0%} of {os.cpu_count()} cores, "
            f"load generator CPU {r.loadgen_cpu:.0%}",
        ]
        for what, sizes in (
            ("ingest transactions", r.batch_sizes),
            ("dispatcher passes", r.pass_sizes),
        ):
            if sizes:
                notes.append(
                    f"{len(sizes):,} {what}, alarms in each: median {sizes[len(sizes) // 2]}, "
                    f"max {sizes[-1]}"
                )
        if r.other_answers:
            notes.append(f"not ACKed: {dict(r.other_answers)}")
        if r.stored != r.acked:
            notes.append(f"{r.stored:,} of the {r.acked:,} ACKed alarms found in the database")
        if r.twice:
            notes.append(f"{r.twice} events delivered twice")
        if r.other_events:
            notes.append(f"other events {dict(r.other_events)}")
        if r.console_errors:
            notes.append("; ".join(r.console_errors))
        lines.append(
            f"- {r.database}, {PROCESS_NAMES[r.processes]}, {r.consoles} consoles: "
            + "; ".join(notes)
        )
    lines.append("")
    worst = max(shown, key=lambda r: r.percentile(0.99))
    p99 = worst.percentile(0.99)
    lines.append(
        f"Worst console p99: {p99:.0f} ms ({worst.database}, {PROCESS_NAMES[worst.processes]}, "
        f"{worst.consoles} consoles), {'meets' if p99 < TARGET_P99_MS else 'MISSES'} the "
        f"target of {TARGET_P99_MS:.0f} ms; "
        + (
            "every ACKed alarm reached every console."
            if not any(r.missed for r in shown)
            else "SOME ACKed alarms did not reach every console."
        )
    )
    return "\n".join(lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    return [
        "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)) for line in (header, *rows)
    ]


# Main ----------------------------------------------------------------------------------


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL database to use (default: SQLite in a new temporary directory).",
    )
    parser.add_argument(
        "--processes",
        help="Deployments, comma-separated: single (trygg serve), multi (PostgreSQL: "
        "receiver, worker and web apart). Default: single on SQLite, both on PostgreSQL.",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="Alarms per second.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Measured window per run.")
    parser.add_argument(
        "--consoles", default="1,20", help="Subscribed consoles, comma-separated: runs each."
    )
    parser.add_argument("--units", type=int, default=2000, help="DC-09 units in the database.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per figure; the median shown.")
    parser.add_argument("--markdown", action="store_true", help="Print Markdown tables.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    parser.add_argument(
        "--timeline",
        metavar="DIR",
        help="Write each run's alarms (received, then ms to each milestone) as CSV here.",
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="trygg-a2s-"))
    if args.database_url is None:
        args.database_url = f"sqlite:///{data_dir / 'trygg.sqlite3'}"
    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    processes = (args.processes or ("single,multi" if postgres else "single")).split(",")
    if "multi" in processes and not postgres:
        raise SystemExit("multi needs PostgreSQL: the SQLite event bus is in-process.")
    signal.signal(signal.SIGTERM, _terminated)
    atexit.register(stop_all)
    try:
        configure(args.database_url, data_dir)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        municipality_id = setup(args.units)
        version = database_version()
        database = version.split(" (")[0]
        zones: Counter[str] = Counter()
        groups = []
        started = time.monotonic()
        for deployment in processes:
            for consoles in (int(c) for c in args.consoles.split(",")):
                runs = []
                for number in range(1, args.runs + 1):
                    run = one_run(
                        args,
                        deployment,
                        consoles,
                        municipality_id,
                        database,
                        data_dir,
                        zones,
                        number,
                    )
                    runs.append(run)
                    print(
                        f"  {database}, {deployment}, {consoles} consoles, run {number}: "
                        f"{run.acked}/{run.sent} ACKed, delivered {min(run.delivered)}, "
                        f"p50 {run.percentile(0.5):.0f} ms, p99 {run.percentile(0.99):.0f} ms, "
                        f"max {max(run.latencies_ms, default=float('nan')):.0f} ms, "
                        f"Trygg CPU {run.server_cpu:.0%}, load {run.load:.2f}; p99 at "
                        + ", ".join(
                            f"{m} {run.percentile(0.99, run.stages_ms[m]):.0f}"
                            for m in MILESTONES
                            if run.stages_ms[m]
                        ),
                        file=sys.stderr,
                    )
                groups.append(runs)
        print(
            f"Database: {version}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
            f"{args.units} units; {args.rate:g} alarms/s for {args.seconds:g} s after "
            f"{WARMUP_S:g} s warm-up; {args.runs} runs each, the median (by p99) shown; "
            f"{time.monotonic() - started:.0f} s in all"
        )
        print(report(groups, args.markdown))
    finally:
        stop_all()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"Kept {data_dir}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("Interrupted; the Trygg processes were stopped.", file=sys.stderr)
        sys.exit(130)
