"""The alarm-to-screen benchmark's system under test: the Trygg processes it starts (one
`trygg serve`, or receiver, worker and web apart) and the bench database they share. See
bench/alarm_to_screen.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_CODE = "9971"
FIRST_ACCOUNT = 5001
OPERATOR = "a2s.operator"
OPERATOR_PASSWORD = "alarm-to-screen-bench"
START_TIMEOUT_S = 90.0
TRYGG = str(Path(sys.executable).with_name("trygg"))


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
    """Delete the bench municipality's signals, alarms, their events and outbox messages (raw
    SQL: the ORM would load every row to cascade), and forget when its units were heard."""
    from django.db import connection, transaction

    from trygg.alarms.models import Alarm, AlarmEvent, Signal
    from trygg.core.models import OutboxMessage
    from trygg.devices.models import AlarmUnit

    quote = connection.ops.quote_name
    alarm = quote(Alarm._meta.db_table)
    of_alarms = f"(SELECT id FROM {alarm} WHERE municipality_id = %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        # The alarms' outbox messages (no foreign key: by stream and subject).
        cursor.execute(
            f"DELETE FROM {quote(OutboxMessage._meta.db_table)}"
            f" WHERE stream = 'alarm' AND subject_id IN {of_alarms}",
            [municipality_id],
        )
        cursor.execute(
            f"DELETE FROM {quote(AlarmEvent._meta.db_table)} WHERE alarm_id IN {of_alarms}",
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
            for table in (Signal, Alarm, OutboxMessage, AlarmEvent):
                cursor.execute(f"VACUUM ANALYZE {quote(table._meta.db_table)}")
    connection.close()


def database_version() -> str:
    from bench.dc09_ingest import database_version as described

    return described()
