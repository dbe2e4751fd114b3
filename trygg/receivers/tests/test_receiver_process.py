"""`trygg receive` as its own process, the way production runs it: killed with SIGKILL in
the middle of a stream while units retransmit what was not acknowledged, and cut off from
its database. The test plays the alarm units over real TCP and UDP sockets.

The receiver process needs a database it can reach: on PostgreSQL the test database itself
(committed rows are visible to both), on SQLite a file of its own, migrated first. Rows are
read back through the same process-independent path (`trygg shell`), so both passes check
the same thing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import pytest
from django.db import connection

from trygg.receivers.dc09 import SIA_DCS, SiaEvent, build_frame, format_sia_dcs
from trygg.receivers.dc09 import parse_response as read_answer

from .receivers import read_frames

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNTS = ["1001", "1002", "1003", "1004"]
TRYGG = str(Path(sys.executable).with_name("trygg"))

SETUP = """
import datetime as dt
from trygg.core.tests.factories import ClientFactory, MunicipalityFactory, ProviderFactory
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit
municipality = MunicipalityFactory(code="7701")
provider = ProviderFactory(municipality=municipality)
for account in {accounts!r}:
    unit = AlarmUnit.objects.create(
        municipality=municipality, model_name="Testlarm", serial_number="SN-" + account,
        protocol=AlarmProtocol.DC09, dc09_account=account, heartbeat_interval=300,
    )
    AlarmPlacement.objects.create(
        unit=unit, client=ClientFactory(provider=provider), active_from=dt.date(2020, 1, 1)
    )
"""

COUNTS = """
import json
from django.db.models import Count
from trygg.alarms.models import Alarm, Signal
repeated = Signal.objects.values("unit", "dedupe_key").annotate(n=Count("id")).filter(n__gt=1)
print(json.dumps({
    "signals": Signal.objects.count(),
    "alarms": Alarm.objects.count(),
    "repeated": repeated.count(),
    "zones": sorted(
        f"{account}/{zone}"
        for account, zone in Alarm.objects.values_list("unit__dc09_account", "zone")
    ),
}))
"""


@dataclass
class Database:
    url: str
    sqlite_path: Path | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update({"DATABASE_URL": self.url, "LOG_LEVEL": "WARNING", **extra})
        return env

    def shell(self, code: str) -> str:
        done = subprocess.run(
            [TRYGG, "shell", "-c", code],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def counts(self) -> dict[str, object]:
        result: dict[str, object] = json.loads(self.shell(COUNTS).strip().splitlines()[-1])
        return result


@pytest.fixture
def database(tmp_path: Path) -> Database:
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        host = quote(settings["HOST"] or "localhost", safe="")
        url = f"postgres://{settings['USER']}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
        database = Database(url)
    else:
        path = tmp_path / "receiver.sqlite3"
        database = Database(f"sqlite:///{path}", path)
        done = subprocess.run(
            [TRYGG, "migrate", "-v0"],
            env=database.env(DATA_DIR=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    database.shell(SETUP.format(accounts=ACCOUNTS))
    return database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def _no_receiver_left_behind() -> Iterator[None]:
    yield
    for receiver in Receiver.started:
        if receiver.process is not None and receiver.process.poll() is None:
            receiver.process.kill()
            receiver.process.wait(10)
    Receiver.started.clear()


@dataclass
class Receiver:
    started: ClassVar[list[Receiver]] = []

    database: Database
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        Receiver.started.append(self)
        self.process = subprocess.Popen(
            [TRYGG, "receive", "dc09", "--port", str(self.port)],
            env=self.database.env(**self.extra_env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "trygg receive exited"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("trygg receive did not start listening")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


def frame(account: str, n: int) -> bytes:
    data = format_sia_dcs([SiaEvent("MA", zone=str(n), area="1")], account=account)
    return build_frame(SIA_DCS, sequence=n, account=account, data=data)


class Unit(threading.Thread):
    """An alarm unit sending `count` alarms over TCP, each until it is acknowledged: on a
    timeout or a broken connection it reconnects and sends the same frame again."""

    def __init__(self, port: int, account: str, count: int) -> None:
        super().__init__(daemon=True)
        self.port, self.account, self.count = port, account, count
        self.acknowledged: list[int] = []
        self.sends = 0
        self.deadline = time.monotonic() + 120

    def run(self) -> None:
        sock: socket.socket | None = None
        n = 1
        while n <= self.count and time.monotonic() < self.deadline:
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                sock.sendall(frame(self.account, n))
                self.sends += 1
                answer = read_frames(sock, 1)
                if answer and read_answer(answer).token == "ACK":
                    self.acknowledged.append(n)
                    n += 1
                    continue
                raise ConnectionError("no ACK")
            except OSError:
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.05)
        if sock is not None:
            sock.close()


def test_a_receiver_killed_mid_stream_loses_no_acknowledged_alarm_and_stores_none_twice(
    database: Database,
) -> None:
    receiver = Receiver(database)
    receiver.start()
    per_unit = 60
    units = [Unit(receiver.port, account, per_unit) for account in ACCOUNTS]
    for unit in units:
        unit.start()
    # Kill it once a third of the alarms are acknowledged: frames are in flight then.
    deadline = time.monotonic() + 60
    while sum(len(u.acknowledged) for u in units) < len(units) * per_unit // 3:
        assert time.monotonic() < deadline, "the stream did not get going"
        time.sleep(0.01)
    receiver.kill()
    acknowledged_before_kill = {(u.account, n) for u in units for n in list(u.acknowledged)}
    time.sleep(0.5)  # the units keep retransmitting into a closed port meanwhile
    receiver.start()
    for unit in units:
        unit.join(120)
    assert receiver.stop() == 0  # SIGTERM: a clean stop

    assert all(unit.acknowledged == list(range(1, per_unit + 1)) for unit in units)
    assert sum(unit.sends for unit in units) > len(units) * per_unit  # some were sent twice
    counts = database.counts()
    expected = sorted(f"{account}/{n}" for account in ACCOUNTS for n in range(1, per_unit + 1))
    assert counts["zones"] == expected  # every alarm, each once
    assert counts["repeated"] == 0
    assert counts["signals"] == counts["alarms"] == len(expected)
    stored = {tuple(zone.split("/")) for zone in expected}
    assert {(a, str(n)) for a, n in acknowledged_before_kill} <= stored


def test_a_receiver_without_its_database_acknowledges_nothing_and_recovers_by_itself(
    database: Database,
) -> None:
    receiver = Receiver(database, extra_env={"SQLITE_TIMEOUT": "1"})
    receiver.start()
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(frame("1001", 1))
        assert read_answer(read_frames(sock, 1)).token == "ACK"

    with (
        database_unavailable(database),
        socket.create_connection(("127.0.0.1", receiver.port), timeout=4) as sock,
    ):
        sock.sendall(frame("1001", 2))
        assert read_frames(sock, 1) == b"", "acknowledged what it could not store"

    # The unit sends it again; the receiver has found its database by itself.
    answer = b""
    deadline = time.monotonic() + 30
    while not answer and time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=3) as sock:
            sock.sendall(frame("1001", 2))
            answer = read_frames(sock, 1)
    assert read_answer(answer).token == "ACK"
    assert receiver.stop() == 0
    counts = database.counts()
    assert counts["zones"] == ["1001/1", "1001/2"]


class database_unavailable:
    """Really take the database away from the receiver for a while: on SQLite another
    process holds the write lock (the receiver's busy timeout is 1 s); on PostgreSQL the
    database refuses connections and the receiver's are cut."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.lock: sqlite3.Connection | None = None

    def __enter__(self) -> None:
        if self.database.sqlite_path is not None:
            self.lock = sqlite3.connect(self.database.sqlite_path, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")
            return
        self._alter(allow=False)

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            return
        self._alter(allow=True)

    @staticmethod
    def _alter(*, allow: bool) -> None:
        import psycopg
        from psycopg import sql

        connection.ensure_connection()  # the test's own session, kept through the outage
        settings = connection.settings_dict
        name = settings["NAME"]
        # From the maintenance database: a database cannot lock itself out.
        with psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(name), sql.SQL("true" if allow else "false")
                )
            )
            if not allow:
                # Every session but the test's own: the receiver's connection is cut.
                admin.execute(
                    "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a"
                    " WHERE a.datname = %s AND a.pid <> %s",
                    [name, connection.connection.info.backend_pid],
                )
