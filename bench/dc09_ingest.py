"""DC-09 durable ingest: frames per second and ACK latency, beside a baseline and pysiaalarm.

    python bench/dc09_ingest.py [--database-url URL] [--seconds S] [--connections 100,400]
                                [--rate 500] [--units 1000] [--markdown]

Three receivers, each in a process of its own (the load generator is this process, so the
two do not share a GIL; on 2 cores each gets about one), fed the same stream over TCP:

- baseline: a bare asyncio server in this file (`--serve-baseline`) that frames the stream
  with `FrameBuffer`, decodes each frame with `parse_frame` and answers `ack_for` at once,
  storing nothing. The ceiling of this load generator, loopback TCP and the codec;
- pysiaalarm: pysiaalarm's asyncio TCP server (`--serve-pysiaalarm`, the Home Assistant SIA
  integration's library), counting events in memory: it stores nothing either;
- Trygg durable: `trygg receive dc09` with DATABASE_URL, the production path: every frame is
  committed (group commit, `GroupCommitter` and the alarms ingest) before its ACK.

The stream: one TCP connection per alarm unit (accounts 1001, 1002, ...), each frame a
SIA-DCS alarm (`MA`, zone = the unit's frame number, sequence 0001-9999 cycling, receiver
R1, line L1, a clear-text timestamp), unique by account and zone. A unit sends its next
frame only after the ACK of the previous one, as real units do. Two modes:

- saturation (closed loop): every connection sends as fast as ACKs come back; run once per
  connection count in `--connections`; frames/s = ACKs received in the measured window;
- rate (open loop): `--rate` frames/s in all, scheduled evenly across `--connections` (the
  first count); latency is taken from the frame's *scheduled* time, so a receiver that
  stalls is charged for the frames the unit could not send meanwhile.

ACK latency = send (or schedule) to ACK received, in the load generator. Each run has a
warm-up (not measured) before the window of `--seconds`. After each Trygg run, the
database is read back: every ACKed frame must be there (a Signal and its Alarm, matched by
account and zone) and none twice. The rows the bench's earlier runs stored are deleted
before each Trygg run, so each starts with the same tables and the check is exact.

Setup: a database (default SQLite file var/dc09_bench.sqlite3), migrated, with `--units`
DC-09 units in clear text in a municipality of their own (code 9970), each placed with a
client, and `--history` earlier alarms per unit (closed, a month old, each with its signal
and a delivered `alarm.raised` outbox message); created in bulk on the first run and kept.
The history is there because a receiver in service writes to tables that hold rows: on
tables emptied and vacuumed before the run, PostgreSQL plans the foreign-key checks of the
inserts (its cached plans live as long as the connection) as scans of a table it believes
empty, and each check then reads the whole growing table. Targets (the issue): at least 2,000
durable frames/s sustained, and ACK p99 under 50 ms at 500 frames/s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trygg.receivers.dc09 import (  # noqa: E402 (the repository on the path first)
    SIA_DCS,
    FrameBuffer,
    FrameError,
    SiaEvent,
    ack_for,
    build_frame,
    format_sia_dcs,
    parse_frame,
    parse_response,
    reply_for,
)

TARGET_FRAMES_PER_S = 2000.0
TARGET_P99_MS = 50.0
BENCH_CODE = "9970"
FIRST_ACCOUNT = 1001
WARMUP_S = 2.0
DRAIN_S = 15.0  # after the window: how long the frames in flight may take to be answered
TRYGG = str(Path(sys.executable).with_name("trygg"))
HISTORY_AGE = dt.timedelta(days=30)  # the history's newest alarm; a run's rows are newer


# The two comparison receivers (run as subprocesses of this script) -------------------


async def serve_baseline(port: int) -> None:
    """Frame, decode, ACK: the work every receiver does, minus storing."""
    frames = 0

    def keys(account: str) -> bytes | None:
        return None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal frames
        buffer = FrameBuffer()
        try:
            while data := await reader.read(4096):
                now = dt.datetime.now(dt.UTC)
                answers = []
                for item in buffer.feed(data):
                    frames += 1
                    if isinstance(item, FrameError):
                        answer = reply_for(item, now)
                    else:
                        answer = ack_for(parse_frame(item, keys, now), None, now)
                    if answer:
                        answers.append(answer)
                if answers:
                    writer.write(b"".join(answers))
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    await _until_terminated()
    server.close()
    print(f"baseline: {frames} frames", file=sys.stderr)


async def serve_pysiaalarm(port: int, units: int) -> None:
    """pysiaalarm's asyncio TCP server with accounts 1001..; events counted in memory.

    Its TCP handler reads up to 1,000 bytes and takes them as one message (no framing), so
    it copes only with one frame in flight per connection, which is what this stream
    sends. Its ACK for a message without a receiver field says "None" (its issue #88);
    our frames carry R1, so its ACKs are valid here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pysiaalarm import SIAAccount
        from pysiaalarm.aio import SIAClient

    events = 0

    async def count(event: Any) -> None:
        nonlocal events
        events += 1

    accounts = [SIAAccount(str(FIRST_ACCOUNT + i)) for i in range(units)]
    # SIAClient(...) makes its TCP subclass (its __new__); mypy sees the abstract base.
    client = SIAClient("127.0.0.1", port, accounts, function=count)  # type: ignore[abstract]
    await client.async_start(backlog=1024)
    await _until_terminated()
    await client.async_stop()
    print(f"pysiaalarm: {events} events", file=sys.stderr)


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


# The load generator -------------------------------------------------------------------


def make_frame(account: str, n: int, now: dt.datetime) -> tuple[bytes, bytes]:
    """Frame number `n` of a unit, and the start of the ACK that answers it."""
    sequence = (n - 1) % 9999 + 1
    data = format_sia_dcs([SiaEvent("MA", zone=str(n), area="1")], account=account)
    frame = build_frame(
        SIA_DCS,
        sequence=sequence,
        account=account,
        receiver="1",
        line_prefix="1",
        data=data,
        timestamp=now,
    )
    return frame, b'"ACK"%04d' % sequence


@dataclass
class Run:
    system: str
    mode: str
    connections: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # each latency's send, s into the window
    acked_in_window: int = 0
    acked: set[tuple[str, int]] = field(default_factory=set)
    sent: int = 0
    other_answers: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    unreadable_acks: int = 0
    server_cpu: float = 0.0  # CPU seconds of the receiver process / window seconds
    loadgen_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy (everything on the machine)
    check: str = ""

    @property
    def rate(self) -> float:
        return self.acked_in_window / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Clock:
    """The timestamp in the frames, formatted once a second rather than once a frame."""

    def __init__(self) -> None:
        self._second = -1
        self._now = dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return self._now


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _machine_ticks() -> tuple[int, int]:
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load(
    port: int,
    server_pid: int,
    run: Run,
    *,
    rate: float | None,
    counters: dict[str, int],
) -> None:
    """Drive `run.connections` units against `port`; fill in `run`."""
    accounts = [str(FIRST_ACCOUNT + i) for i in range(run.connections)]
    clock = Clock()
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for start in range(0, len(accounts), 50):  # a burst of connects overflows the backlog
        streams += await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in accounts[start : start + 50])
        )
    for _, writer in streams:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    begin = time.perf_counter() + 0.2
    window_start = begin + WARMUP_S
    window_end = window_start + run.seconds
    answered_first: set[str] = set()

    def record(account: str, n: int, expected: bytes, t0: float, t1: float, answer: bytes) -> None:
        if expected in answer:
            run.acked.add((account, n))
            if window_start <= t1 < window_end:
                run.acked_in_window += 1
            if window_start <= t0 < window_end:
                run.latencies_ms.append((t1 - t0) * 1000)
                run.sent_at.append(t0 - window_start)
            if account not in answered_first:  # read one ACK per unit as a unit would
                answered_first.add(account)
                try:
                    parse_response(answer)
                except Exception:
                    run.unreadable_acks += 1
        else:
            run.other_answers[answer[answer.find(b'"') : answer.find(b'"', 8) + 1].decode()] += 1

    async def unit(index: int, account: str) -> None:
        reader, writer = streams[index]
        interval = run.connections / rate if rate else 0.0
        scheduled = begin + index / rate if rate else begin
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            while True:
                now = time.perf_counter()
                if rate:
                    if scheduled >= window_end:
                        break
                    if scheduled > now:
                        await asyncio.sleep(scheduled - now)
                    t0 = scheduled
                    scheduled += interval
                else:
                    if now >= window_end:
                        break
                    t0 = now
                counters[account] += 1
                n = counters[account]
                frame, expected = make_frame(account, n, clock.now())
                writer.write(frame)
                run.sent += 1
                answer = await reader.readuntil(b"\r")
                record(account, n, expected, t0, time.perf_counter(), answer)
        except (ConnectionError, asyncio.IncompleteReadError):
            run.other_answers["connection lost"] += 1
        finally:
            writer.close()

    async def sample() -> None:
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        ticks, self_cpu, machine = _cpu_ticks(server_pid), _self_cpu(), _machine_ticks()
        started = time.perf_counter()
        await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
        elapsed = time.perf_counter() - started
        hz = os.sysconf("SC_CLK_TCK")
        run.server_cpu = (_cpu_ticks(server_pid) - ticks) / hz / elapsed
        run.loadgen_cpu = (_self_cpu() - self_cpu) / elapsed
        busy, total = _machine_ticks()
        run.machine_busy = (busy - machine[0]) / max(1, total - machine[1])

    tasks = [asyncio.create_task(unit(i, a)) for i, a in enumerate(accounts)]
    sampler = asyncio.create_task(sample())
    _, pending = await asyncio.wait(tasks, timeout=window_end + DRAIN_S - time.perf_counter())
    for task in pending:
        task.cancel()
    run.unanswered = len(pending)  # one frame in flight each
    await asyncio.gather(*tasks, sampler, return_exceptions=True)


# The receivers as processes -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Receiver:
    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{command[:3]} exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"{command[:3]} did not listen on {port}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def receiver_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        LOG_LEVEL="WARNING",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-not-a-secret"),
        # Persistent connections, as docs/operations.md has production run; with the
        # default 0 the ingest thread opens a new connection for every batch.
        DB_CONN_MAX_AGE=env.get("DB_CONN_MAX_AGE", "60"),
        PYTHONPATH=str(ROOT),
    )
    return env


# The database ------------------------------------------------------------------------


def configure(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trygg.settings")
    import django

    django.setup()


def setup(units: int) -> int:
    """The bench municipality with `units` DC-09 units, each placed with a client; its id."""
    from django.db import transaction

    from bench.dc09_units import ensure_dc09_units
    from trygg.core.constants import Country, ProviderKind
    from trygg.core.demo import org_number
    from trygg.core.models import Municipality, Provider
    from trygg.devices.models import AlarmProtocol, AlarmUnit

    wanted = [str(FIRST_ACCOUNT + i) for i in range(units)]
    with transaction.atomic():
        municipality, _ = Municipality.objects.get_or_create(
            code=BENCH_CODE,
            defaults={
                "name": "Larmby kommun (DC-09 bench)",
                "country": Country.SWEDEN,
                "time_zone": "Europe/Stockholm",
            },
        )
        elsewhere = AlarmUnit.objects.filter(
            protocol=AlarmProtocol.DC09, dc09_account__in=wanted
        ).exclude(municipality=municipality)
        if elsewhere.exists():
            raise SystemExit("Accounts 1001.. belong to units of another municipality here.")
        provider = Provider.objects.filter(municipality=municipality).first()
        if provider is None:
            provider = Provider.objects.create(
                municipality=municipality,
                name="Larmby hemtjänst",
                org_number=org_number("212000997"),
                kind=ProviderKind.MUNICIPAL,
            )
        ensure_dc09_units(
            municipality,
            provider,
            wanted,
            model_name="Benchlarm",
            serial_prefix="DC09B",
            heartbeat_interval=300,
            people_seed=9970,
            city="Larmby",
        )
        AlarmUnit.objects.filter(municipality=municipality).update(connection_lost=False)
    return municipality.pk


def seed_history(municipality_id: int, per_unit: int) -> None:
    """`per_unit` closed alarms for each bench unit, a month old and older, with their
    signals and delivered outbox messages: the tables of a receiver in service."""
    from django.db import transaction
    from django.utils import timezone

    from trygg.alarms.models import Alarm, Signal
    from trygg.core import outbox
    from trygg.core.models import OutboxMessage
    from trygg.devices.models import AlarmUnit

    old = timezone.now() - HISTORY_AGE
    have = Signal.objects.filter(unit__municipality_id=municipality_id, received_at__lt=old)
    units = list(AlarmUnit.objects.filter(municipality_id=municipality_id).order_by("pk"))
    wanted = per_unit * len(units)
    if have.count() >= wanted:
        return
    started = time.monotonic()
    with transaction.atomic():
        # Whatever is there is replaced: a half-made history from an interrupted run.
        clear_alarms(municipality_id, everything=True)
        for n in range(per_unit):
            at = old - dt.timedelta(hours=6 * n + 1)
            signals = Signal.objects.bulk_create(
                Signal(
                    protocol="dc09",
                    unit=unit,
                    dedupe_key=f"history-{n}",
                    dedupe_window=int(at.timestamp() // (6 * 3600)),
                    received_at=at,
                    raw=b"history",
                )
                for unit in units
            )
            alarms = Alarm.objects.bulk_create(
                Alarm(
                    municipality_id=municipality_id,
                    unit=unit,
                    signal=signal,
                    kind="alarm",
                    category="care",
                    code="MA",
                    zone=str(n),
                    status="closed",
                    created_at=at,
                    closed_at=at + dt.timedelta(minutes=10),
                )
                for unit, signal in zip(units, signals, strict=True)
            )
            delivered = outbox.rows("alarm.raised", [alarm.pk for alarm in alarms], now=at)
            for message in delivered:
                message.delivered_at, message.attempts = at, 1
            OutboxMessage.objects.bulk_create(delivered)
    print(
        f"  seeded {wanted} earlier alarms in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )


def clear_alarms(municipality_id: int, *, everything: bool = False) -> None:
    """Delete what the bench's runs stored in its municipality (signals, alarms, their
    events and outbox messages), or with `everything` the history too (raw SQL: the ORM would
    load every row to cascade)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from trygg.alarms.models import Alarm, AlarmEvent, Signal
    from trygg.core.models import OutboxMessage
    from trygg.devices.models import AlarmUnit

    quote = connection.ops.quote_name
    alarm, outbox = quote(Alarm._meta.db_table), quote(OutboxMessage._meta.db_table)
    event = quote(AlarmEvent._meta.db_table)
    signal_table, unit = quote(Signal._meta.db_table), quote(AlarmUnit._meta.db_table)
    since = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) if everything else timezone.now() - HISTORY_AGE
    since_value = connection.ops.adapt_datetimefield_value(since)
    alarms = f"SELECT id FROM {alarm} WHERE municipality_id = %s AND created_at >= %s"
    with transaction.atomic(), connection.cursor() as cursor:
        # The alarms' outbox messages (no foreign key: by stream and subject).
        cursor.execute(
            f"DELETE FROM {outbox} WHERE stream = 'alarm' AND subject_id IN ({alarms})",
            [municipality_id, since_value],
        )
        cursor.execute(
            f"DELETE FROM {event} WHERE alarm_id IN ({alarms})", [municipality_id, since_value]
        )
        cursor.execute(
            f"DELETE FROM {alarm} WHERE municipality_id = %s AND created_at >= %s",
            [municipality_id, since_value],
        )
        cursor.execute(
            f"DELETE FROM {signal_table} WHERE received_at >= %s AND unit_id IN "
            f"(SELECT id FROM {unit} WHERE municipality_id = %s)",
            [since_value, municipality_id],
        )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in (signal_table, alarm, outbox, event):
                cursor.execute(f"VACUUM ANALYZE {table}")
        connection.close()


def verify(municipality_id: int, run: Run) -> str:
    """Every ACKed frame stored, none twice: read back what the receiver committed."""
    from django.db import connection
    from django.utils import timezone

    from trygg.alarms.models import Alarm, Signal

    since = timezone.now() - HISTORY_AGE
    signals = Signal.objects.filter(
        unit__municipality_id=municipality_id, received_at__gte=since
    ).count()
    rows = list(
        Alarm.objects.filter(municipality_id=municipality_id, created_at__gte=since).values_list(
            "unit__dc09_account", "zone"
        )
    )
    connection.close()
    stored = {(account, int(zone)) for account, zone in rows}
    lost = len(run.acked - stored)
    twice = len(rows) - len(stored)
    extra = len(stored - run.acked)
    ok = lost == 0 and twice == 0 and signals == len(rows)
    return (
        f"{'OK' if ok else 'FAILED'}: {len(run.acked)} frames ACKed, {signals} signals and "
        f"{len(rows)} alarms stored; ACKed but not stored {lost}, stored twice {twice}, "
        f"stored but not ACKed {extra} (of {run.unanswered} unanswered when the run ended)"
    )


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SHOW fsync")
        version += f" (fsync {cursor.fetchone()[0]}"
        cursor.execute("SHOW synchronous_commit")
        version += f", synchronous_commit {cursor.fetchone()[0]})"
    connection.close()
    return version


# The report ----------------------------------------------------------------------------


def report(runs: list[Run], markdown: bool) -> str:
    baselines = {(r.mode, r.connections): r for r in runs if r.system == "baseline"}
    header = (
        "system",
        "mode",
        "conns",
        "frames/s",
        "ACK p50 ms",
        "p99 ms",
        "max ms",
        "frames/s vs baseline",
        "p99 vs baseline",
        "receiver CPU",
        "loadgen CPU",
    )
    rows = []
    for r in runs:
        base = baselines.get((r.mode, r.connections))
        p99 = r.percentile(0.99)
        rows.append(
            (
                r.system,
                r.mode,
                str(r.connections),
                f"{r.rate:,.0f}",
                f"{r.percentile(0.5):.1f}",
                f"{p99:.1f}",
                f"{max(r.latencies_ms, default=float('nan')):.1f}",
                f"{r.rate / base.rate:.2f}x" if base and base.rate else "",
                f"{p99 / base.percentile(0.99):.1f}x" if base and base.latencies_ms else "",
                f"{r.server_cpu:.0%}",
                f"{r.loadgen_cpu:.0%}",
            )
        )
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
        lines = [
            "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True))
            for line in (header, *rows)
        ]
    lines.append("")
    for r in runs:
        notes = []
        if r.other_answers:
            notes.append(f"other answers {dict(r.other_answers)}")
        if r.unreadable_acks:
            notes.append(f"{r.unreadable_acks} ACKs a unit cannot read")
        if r.unanswered and r.system != "Trygg durable":
            notes.append(f"{r.unanswered} frames unanswered at the end")
        if r.check:
            notes.append(f"durability {r.check}")
        notes.append(f"machine busy {r.machine_busy:.0%} of 2 cores")
        lines.append(f"- {r.system}, {r.mode}, {r.connections} connections: " + "; ".join(notes))
    trygg = [r for r in runs if r.system == "Trygg durable"]
    best = max((r.rate for r in trygg if r.mode == "saturation"), default=0.0)
    at_rate = [r.percentile(0.99) for r in trygg if r.mode.startswith("rate")]
    lines.append("")
    lines.append(
        f"Trygg durable: {best:,.0f} frames/s at saturation, "
        f"{'meets' if best >= TARGET_FRAMES_PER_S else 'MISSES'} the target of "
        f"{TARGET_FRAMES_PER_S:,.0f}"
        + (
            f"; ACK p99 {at_rate[0]:.1f} ms at the fixed rate, "
            f"{'meets' if at_rate[0] < TARGET_P99_MS else 'MISSES'} the target of "
            f"{TARGET_P99_MS:.0f} ms."
            if at_rate
            else "."
        )
    )
    return "\n".join(lines)


# Main ----------------------------------------------------------------------------------

SYSTEMS = ("baseline", "pysiaalarm", "trygg")
NAMES = {"baseline": "baseline", "pysiaalarm": "pysiaalarm", "trygg": "Trygg durable"}


def run_all(args: argparse.Namespace, municipality_id: int) -> list[Run]:
    env = receiver_env(args.database_url)
    me = [sys.executable, str(Path(__file__).resolve())]
    counters = {str(FIRST_ACCOUNT + i): 0 for i in range(args.units)}
    connections = [int(c) for c in args.connections.split(",")]
    if max(connections) > args.units:
        raise SystemExit("--connections cannot exceed --units (one connection per unit)")
    runs: list[Run] = []
    for system in args.systems.split(","):
        port = free_port()
        command: dict[str, list[str]] = {
            "baseline": [*me, "--serve-baseline", "--port", str(port)],
            "pysiaalarm": [
                *me,
                "--serve-pysiaalarm",
                "--port",
                str(port),
                "--units",
                str(args.units),
            ],
            "trygg": [TRYGG, "receive", "dc09", "--port", str(port)],
        }
        if system == "trygg":
            clear_alarms(municipality_id, everything=not args.history)
        receiver = Receiver(command[system], env, port)
        try:
            plan: list[tuple[str, int, float | None]] = [
                ("saturation", c, None) for c in connections
            ]
            if args.rate:
                plan.append((f"rate {args.rate:g}/s", connections[0], args.rate))
            for mode, conns, rate in plan:
                if system == "trygg" and runs and runs[-1].system == NAMES[system]:
                    clear_alarms(municipality_id, everything=not args.history)
                run = Run(NAMES[system], mode, conns, args.seconds)
                asyncio.run(load(port, receiver.process.pid, run, rate=rate, counters=counters))
                if system == "trygg":
                    run.check = verify(municipality_id, run)
                runs.append(run)
                print(
                    f"  {run.system:14} {mode:12} {conns:4} conns: {run.rate:8,.0f} frames/s, "
                    f"p50 {run.percentile(0.5):6.1f} ms, p99 {run.percentile(0.99):6.1f} ms, "
                    f"receiver CPU {run.server_cpu:.0%}, load {os.getloadavg()[0]:.2f}"
                    + (f"\n    {run.check}" if run.check else ""),
                    file=sys.stderr,
                )
        finally:
            receiver.stop()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'dc09_bench.sqlite3'}",
        help="Database for Trygg (default: var/dc09_bench.sqlite3, created if missing).",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="Measured window per run.")
    parser.add_argument(
        "--connections",
        default="100,400",
        help="Units connected at once, comma-separated: one saturation run each; the first "
        "is also used at the fixed rate.",
    )
    parser.add_argument(
        "--rate", type=float, default=500.0, help="Fixed-rate run, frames/s (0: none)."
    )
    parser.add_argument("--units", type=int, default=1000, help="DC-09 units in the database.")
    parser.add_argument(
        "--history",
        type=int,
        default=50,
        help="Earlier alarms per unit in the tables (0: none, the tables emptied each run).",
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="Which receivers to run.")
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-pysiaalarm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve_baseline:
        asyncio.run(serve_baseline(args.port))
        return
    if args.serve_pysiaalarm:
        asyncio.run(serve_pysiaalarm(args.port, args.units))
        return

    configure(args.database_url)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    municipality_id = setup(args.units)
    seed_history(municipality_id, args.history)
    version = database_version()
    load_before = os.getloadavg()
    started = time.monotonic()
    runs = run_all(args, municipality_id)
    print(
        f"Database: {version}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
        f"{args.units} units; {args.seconds:g} s per run after {WARMUP_S:g} s warm-up; "
        f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    print(report(runs, args.markdown))


if __name__ == "__main__":
    main()
