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
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trygg.receivers.dc09 import (  # noqa: E402 (the repository on the path first)
    SIA_DCS,
    SiaEvent,
    build_frame,
    format_sia_dcs,
)

TARGET_P99_MS = 500.0
BENCH_CODE = "9971"
FIRST_ACCOUNT = 5001
OPERATOR = "a2s.operator"
OPERATOR_PASSWORD = "alarm-to-screen-bench"
WARMUP_S = 2.0
DRAIN_S = 15.0  # after the last ACK: how long the consoles may take to see everything
START_TIMEOUT_S = 90.0
TRYGG = str(Path(sys.executable).with_name("trygg"))
MILESTONES = ("ingest", "ACK", "routed", "NOTIFY", "SSE", "console")


# The processes under test ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


class Child:
    """One Trygg process, its output in a log file of its own."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            # A session of its own: Ctrl-C reaches this script, which stops the children
            # in order, rather than every process at once.
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        _children.append(self)

    def check(self) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        with contextlib.suppress(ValueError):
            _children.remove(self)


_children: list[Child] = []


def stop_all() -> None:
    for child in reversed(list(_children)):
        child.stop()


def wait_until(children: list[Child], ready: list[Callable[[], bool]], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(test() for test in ready):
        for child in children:
            child.check()
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not ready after {START_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


@dataclass
class System:
    children: list[Child]
    web_port: int
    dc09_port: int


def child_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-not-a-secret"),
        # Persistent connections, as docs/operations.md has production run.
        DB_CONN_MAX_AGE=env.get("DB_CONN_MAX_AGE", "60"),
        PYTHONPATH=str(ROOT),
    )
    return env


def start_system(processes: str, database_url: str, data_dir: Path, run_name: str) -> System:
    env = child_env(database_url, data_dir)
    web, dc09 = free_port(), free_port()
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    children: list[Child] = []
    if processes == "single":
        env.update(DC09_PORT=str(dc09), SCAIP_PORT=str(free_port()))
        children.append(
            Child(
                "trygg serve",
                [TRYGG, "serve", "--no-migrate", "--port", str(web)],
                env,
                logs / f"{run_name}-serve.log",
            )
        )
        wait_until(children, [lambda: listening(web), lambda: listening(dc09)], "trygg serve")
    else:
        worker = Child("trygg worker", [TRYGG, "worker"], env, logs / f"{run_name}-worker.log")
        children.append(worker)
        children.append(
            Child(
                "trygg receive dc09",
                [TRYGG, "receive", "dc09", "--port", str(dc09)],
                env,
                logs / f"{run_name}-receive.log",
            )
        )
        web_only = ["--no-migrate", "--no-receivers", "--no-worker", "--port", str(web)]
        children.append(
            Child(
                "trygg serve",
                [TRYGG, "serve", *web_only],
                env,
                logs / f"{run_name}-serve.log",
            )
        )
        wait_until(
            children,
            [
                lambda: listening(web),
                lambda: listening(dc09),
                lambda: "worker running" in worker.tail(),
            ],
            "the three processes",
        )
    return System(children, web, dc09)


# The console: login and server-sent events ----------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(port: int) -> str:
    """Log in as the operator through the login form; the Cookie header to send."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login/")
        response = conn.getresponse()
        page = response.read().decode()
        cookies = _cookies(response)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or token is None or "csrftoken" not in cookies:
            raise SystemExit(f"GET /login/ answered {response.status} without a CSRF token")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": OPERATOR,
                "password": OPERATOR_PASSWORD,
            }
        )
        conn.request(
            "POST",
            "/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
            },
        )
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"POST /login/ answered {response.status}: not logged in")
    finally:
        conn.close()
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@dataclass
class Console:
    """One subscribed console: when each raised alarm arrived, and what else came."""

    index: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: dict[int, float] = field(default_factory=dict)  # alarm id -> time.time()
    sent: dict[int, float] = field(default_factory=dict)  # alarm id -> the server's "sent"
    twice: int = 0
    other: Counter[str] = field(default_factory=Counter)
    error: str = ""


def parse_sse(buffer: bytearray) -> list[tuple[str, str]]:
    """Take the complete events off the front of `buffer`: (event, data) pairs."""
    events = []
    while (end := buffer.find(b"\n\n")) >= 0:
        block = bytes(buffer[:end]).decode()
        del buffer[: end + 2]
        name, data = "message", []
        for line in block.split("\n"):
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data or name != "message":
            events.append((name, "\n".join(data)))
    return events


async def watch(console: Console, port: int, cookie: str) -> None:
    """Hold /alarms/stream/ open and record its events until cancelled."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"GET /alarms/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            console.error = head.split("\r\n", 1)[0]
            console.ready.set()
            return
        chunked = "transfer-encoding: chunked" in head.lower()
        buffer = bytearray()
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    break
                buffer += (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
                buffer += data
            now = time.time()
            for name, data_text in parse_sse(buffer):
                if name == "ready":
                    console.ready.set()
                elif name == "alarm":
                    event = json.loads(data_text)
                    if event.get("action") != "raised":
                        console.other[str(event.get("action"))] += 1
                    elif event["alarm"] in console.arrived:
                        console.twice += 1
                    else:
                        console.arrived[event["alarm"]] = now
                        console.sent[event["alarm"]] = float(event["sent"])
                else:
                    console.other[name] += 1
        console.error = console.error or "stream ended"
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        console.error = f"connection lost ({type(exc).__name__})"
    finally:
        console.ready.set()
        writer.close()


async def listen_bus(heard: dict[int, float], ready: asyncio.Event) -> None:
    """On PostgreSQL: LISTEN beside the Trygg processes and note when each alarm's "raised"
    notification arrives, i.e. when the dispatcher's transaction committed."""
    import psycopg
    from django.conf import settings

    from trygg.core.events import PG_CHANNEL

    params = settings.DATABASES["default"]
    conninfo: dict[str, Any] = {
        "dbname": params["NAME"],
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
    }
    given: dict[str, Any] = {k: v for k, v in conninfo.items() if v is not None}
    connection = await psycopg.AsyncConnection.connect(**given, autocommit=True)
    try:
        await connection.execute(f"LISTEN {PG_CHANNEL}")
        ready.set()
        async for notify in connection.notifies():
            now = time.time()
            data = json.loads(notify.payload).get("d", {})
            if data.get("action") == "raised":
                heard.setdefault(int(data["alarm"]), now)
    finally:
        ready.set()
        await connection.close()


# The alarm units ------------------------------------------------------------------------


def make_frame(account: str, zone: int) -> bytes:
    """A unit's emergency alarm (SIA-DCS QA) in zone `zone`, its sequence from the zone."""
    data = format_sia_dcs([SiaEvent("QA", zone=str(zone), area="1")], account=account)
    return build_frame(
        SIA_DCS,
        sequence=(zone - 1) % 9999 + 1,
        account=account,
        receiver="1",
        line_prefix="1",
        data=data,
        timestamp=dt.datetime.now(dt.UTC).replace(microsecond=0),
    )


@dataclass
class Sent:
    account: str
    zone: int
    measured: bool  # after the warm-up
    acked_at: float | None = None  # time.time() when the ACK arrived
    answer: str = ""


async def send_alarm(port: int, alarm: Sent) -> None:
    """Dial in, send one frame, wait for its ACK, hang up: as a unit reporting one event."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        alarm.answer = f"connect failed ({type(exc).__name__})"
        return
    try:
        writer.write(make_frame(alarm.account, alarm.zone))
        answer = await asyncio.wait_for(reader.readuntil(b"\r"), DRAIN_S)
        if b'"ACK"' in answer:
            alarm.acked_at = time.time()
        else:
            alarm.answer = answer[answer.find(b'"') : answer.find(b'"', 8) + 1].decode()
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
        alarm.answer = type(exc).__name__
    finally:
        writer.close()


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


# The database ------------------------------------------------------------------------


def configure(database_url: str, data_dir: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trygg.settings")
    import django

    django.setup()


def setup(units: int) -> int:
    """The bench municipality: a responder team on duty at every hour, an alarm operator,
    `units` DC-09 units each placed with a client; its id."""
    from django.db import transaction

    from bench.dc09_units import ensure_dc09_units
    from trygg.alarms.models import AlarmPolicy, ResponderShift
    from trygg.core.constants import Country, ProviderKind, Role
    from trygg.core.demo import org_number
    from trygg.core.models import Municipality, Provider, RoleAssignment, Team, User
    from trygg.devices.models import AlarmProtocol, AlarmUnit

    wanted = [str(FIRST_ACCOUNT + i) for i in range(units)]
    with transaction.atomic():
        municipality, _ = Municipality.objects.get_or_create(
            code=BENCH_CODE,
            defaults={
                "name": "Skärmby kommun (alarm-to-screen bench)",
                "country": Country.SWEDEN,
                "time_zone": "Europe/Stockholm",
            },
        )
        provider, _ = Provider.objects.get_or_create(
            municipality=municipality,
            name="Skärmby hemtjänst",
            defaults={"org_number": org_number("212000998"), "kind": ProviderKind.MUNICIPAL},
        )
        team, _ = Team.objects.get_or_create(
            provider=provider, code="LARM", defaults={"name": "Larmpatrullen"}
        )
        if not ResponderShift.objects.filter(municipality=municipality).exists():
            # The same start and end: around the clock, every day.
            ResponderShift.objects.create(
                municipality=municipality,
                name="Dygnet runt",
                team=team,
                starts=dt.time(0),
                ends=dt.time(0),
            )
        # No escalation or reminder during a run: only the raising is measured.
        AlarmPolicy.objects.update_or_create(
            municipality=municipality,
            defaults={"acknowledge_within": 86400, "remind_every": 86400},
        )
        operator = User.objects.filter(username=OPERATOR).first()
        if operator is None:
            operator = User(username=OPERATOR, first_name="Larm", last_name="Operatör")
        operator.set_password(OPERATOR_PASSWORD)
        operator.save()
        RoleAssignment.objects.get_or_create(
            user=operator, role=Role.ALARM_OPERATOR, municipality=municipality, provider=None
        )

        elsewhere = AlarmUnit.objects.filter(
            protocol=AlarmProtocol.DC09, dc09_account__in=wanted
        ).exclude(municipality=municipality)
        if elsewhere.exists():
            raise SystemExit(f"Accounts {FIRST_ACCOUNT}.. belong to another municipality here.")
        ensure_dc09_units(
            municipality,
            provider,
            wanted,
            model_name="Skärmlarm",
            serial_prefix="A2S",
            heartbeat_interval=86400,  # supervision must not raise anything during a run
            people_seed=9971,
            city="Skärmby",
        )
    return municipality.pk


def clear_alarms(municipality_id: int) -> None:
    """Delete the bench municipality's signals, alarms, their events and outbox rows (raw
    SQL: the ORM would load every row to cascade), and forget when its units were heard."""
    from django.db import connection, transaction

    from trygg.alarms.models import Alarm, AlarmEvent, AlarmOutbox, Signal
    from trygg.devices.models import AlarmUnit

    quote = connection.ops.quote_name
    alarm = quote(Alarm._meta.db_table)
    of_alarms = f"(SELECT id FROM {alarm} WHERE municipality_id = %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (AlarmOutbox, AlarmEvent):
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE alarm_id IN {of_alarms}",
                [municipality_id],
            )
        cursor.execute(f"DELETE FROM {alarm} WHERE municipality_id = %s", [municipality_id])
        cursor.execute(
            f"DELETE FROM {quote(Signal._meta.db_table)} WHERE unit_id IN "
            f"(SELECT id FROM {quote(AlarmUnit._meta.db_table)} WHERE municipality_id = %s)",
            [municipality_id],
        )
    AlarmUnit.objects.filter(municipality_id=municipality_id).update(
        last_seen_at=None, supervision_due_at=None, connection_lost=False
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (Signal, Alarm, AlarmOutbox, AlarmEvent):
                cursor.execute(f"VACUUM ANALYZE {quote(table._meta.db_table)}")
    connection.close()


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
