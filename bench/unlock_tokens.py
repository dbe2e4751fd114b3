"""Unlock tokens at city scale: a shift's tokens issued for 2,000 staff, 10,000 verified.

    python bench/unlock_tokens.py [--database-url URL] [--staff N] [--team-size N]
                                  [--doors-per-team N] [--verify N]

Builds a municipality of its own (bulk insert): `--staff` care workers in teams of
`--team-size`, each team with `--doors-per-team` clients behind doors with locks, every
team on a round-the-clock responder shift. Then, timed:

1. Keys: the worker's full reconciliation (`locks.keys`), first when every key is new,
   then again when nothing has changed (what it costs every five minutes).
2. Issuing: `tokens.issue_tokens` for every staff member, as each phone's fetch does
   (its own reconciliation of the holder's keys, signing, recording the issue; the API's
   access logging is not in it): total, per staff member p50/p99, tokens a second.
3. Verifying: `--verify` tokens (spread over all doors) presented to lock simulators that
   made contact with the server (`services.lock_contact`), through `unlock.verify`.

Baseline, the same run: bare Ed25519 signatures of a 55-byte payload and their
verification with the `cryptography` package, as many as each step made, so the ratio
says what the rest of the path costs on top of the cryptography.

On SQLite the database file is made anew each run (default var/bench-unlock.sqlite3); on
PostgreSQL give an empty database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from pages import configure, database_version  # noqa: E402  (bench/ is not a package)

CODE = "9UNL"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def build(staff: int, team_size: int, doors_per_team: int, today: dt.date) -> list[Any]:
    """The bench municipality; returns its staff."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from trygg.alarms.models import ResponderShift
    from trygg.core.constants import Role
    from trygg.core.models import Client, Municipality, Provider, RoleAssignment, Team, User
    from trygg.devices.models import DoorKind, DoorLock

    if Municipality.objects.filter(code=CODE).exists():
        raise SystemExit("The database already has the bench municipality: give an empty one.")
    teams_n = max(1, staff // team_size)
    password = make_password(None)
    with transaction.atomic():
        municipality = Municipality.objects.create(name="Benchmark lås", code=CODE, country="SE")
        provider = Provider.objects.create(
            municipality=municipality, name="Bench Omsorg", org_number="5590000000", kind="private"
        )
        teams = Team.objects.bulk_create(
            [Team(provider=provider, name=f"Team {n}", code=f"T{n}") for n in range(teams_n)]
        )
        ResponderShift.objects.bulk_create(
            [
                ResponderShift(
                    municipality=municipality,
                    name=f"Dygnet runt {t.code}",
                    team=t,
                    starts=dt.time(0),
                    ends=dt.time(0),
                )
                for t in teams
            ]
        )
        users = User.objects.bulk_create(
            [User(username=f"bench.unl.{n}", password=password) for n in range(staff)]
        )
        assignments = RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(
                    user=u, role=Role.CARE_WORKER, municipality=municipality, provider=provider
                )
                for u in users
            ]
        )
        through = RoleAssignment.teams.through
        through.objects.bulk_create(
            [
                through(roleassignment_id=a.pk, team_id=teams[i // team_size % teams_n].pk)
                for i, a in enumerate(assignments)
            ]
        )
        clients = Client.objects.bulk_create(
            [
                Client(
                    municipality=municipality,
                    case_system_id=f"B{t.pk}-{d}",
                    national_id=f"19400101{(t.pk * 100 + d) % 10000:04d}",
                    first_name="Bench",
                    last_name=f"Klient {t.pk}-{d}",
                    street=f"Benchgatan {d + 1}",
                    postal_code="999 99",
                    city="Bench",
                    provider=provider,
                    team=t,
                    digital_lock=True,
                    start_date=today - dt.timedelta(days=400),
                )
                for t in teams
                for d in range(doors_per_team)
            ]
        )
        DoorLock.objects.bulk_create(
            [
                DoorLock(
                    municipality=municipality,
                    model_name="Benchlås",
                    serial_number=f"BL-{c.pk}",
                    door_kind=DoorKind.FLAT,
                    client=c,
                    placed_on=today - dt.timedelta(days=100),
                )
                for c in clients
            ]
        )
    return list(User.objects.filter(username__startswith="bench.unl.").order_by("pk"))


def baseline(sign_n: int, verify_n: int) -> tuple[float, float]:
    """Seconds for `sign_n` bare signatures and `verify_n` verifications of 55 bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    payloads = [secrets.token_bytes(55) for _ in range(min(sign_n, 10_000))]
    started = time.perf_counter()
    signatures = [key.sign(payloads[i % len(payloads)]) for i in range(sign_n)]
    signed = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(verify_n):
        j = i % len(payloads)
        public.verify(signatures[j], payloads[j])
    return signed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="Default: SQLite, made anew.")
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--team-size", type=int, default=20)
    parser.add_argument("--doors-per-team", type=int, default=25)
    parser.add_argument("--verify", type=int, default=10_000)
    args = parser.parse_args()

    url = args.database_url
    if url is None:
        path = ROOT / "var" / "bench-unlock.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["UNLOCK_KEY_DIR"] = tempfile.mkdtemp(prefix="bench-unlock-keys-")
    configure(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from trygg.devices.models import DoorLock
    from trygg.lib import unlock
    from trygg.locks import services, tokens
    from trygg.locks.keys import reconcile_keys
    from trygg.locks.simulator import SimulatedLock

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    staff = build(args.staff, args.team_size, args.doors_per_team, now.date())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    rows: list[tuple[str, str]] = []
    started = time.perf_counter()
    done = reconcile_keys(now=now)
    first_reconcile = time.perf_counter() - started
    started = time.perf_counter()
    again = reconcile_keys(now=now)
    idle_reconcile = time.perf_counter() - started
    assert again.started == again.ended == 0

    per_staff: list[float] = []
    collected: list[tuple[int, str]] = []  # (lock pk, token)
    total_tokens = 0
    rng = random.Random(7)
    started = time.perf_counter()
    for user in staff:
        t0 = time.perf_counter()
        issued = tokens.issue_tokens(user, now=now)
        per_staff.append(time.perf_counter() - t0)
        for door in issued.doors:
            total_tokens += len(door.tokens)
            collected.append((door.lock.pk, rng.choice(door.tokens)))
    issuing = time.perf_counter() - started

    sample = rng.sample(collected, min(args.verify, len(collected)))
    locks = {
        lock.pk: lock
        for lock in DoorLock.objects.filter(pk__in={pk for pk, _t in sample}).select_related(
            "municipality"
        )
    }
    moment = int(now.timestamp()) + 60
    simulators: dict[int, SimulatedLock] = {}
    started = time.perf_counter()
    for pk, lock in locks.items():
        simulated = SimulatedLock(lock.lock_id, clock=lambda: moment)
        simulated.receive(services.lock_contact(lock, now=now).as_wire())
        simulators[pk] = simulated
    contacts = time.perf_counter() - started
    opened = 0
    started = time.perf_counter()
    for pk, token in sample:
        opened += simulators[pk].present(token).opened
    verifying = time.perf_counter() - started
    assert opened == len(sample), f"only {opened} of {len(sample)} opened"

    sign_base, verify_base = baseline(total_tokens, len(sample))
    rows += [
        (
            "staff, doors, keys",
            f"{len(staff):,} staff, {DoorLock.objects.count():,} doors, {done.started:,} keys",
        ),
        ("keys: first reconciliation (all new)", f"{first_reconcile:.2f} s"),
        ("keys: reconciliation with nothing to change", f"{idle_reconcile:.2f} s"),
        (
            "**issuing a shift's tokens**",
            f"**{issuing:.1f} s for {total_tokens:,} tokens ({total_tokens / issuing:,.0f}/s)**",
        ),
        (
            "issuing per staff member p50 / p99",
            f"{pct(per_staff, 0.5) * 1000:.1f} / {pct(per_staff, 0.99) * 1000:.1f} ms "
            f"({total_tokens // len(staff)} tokens each)",
        ),
        (
            "baseline: bare Ed25519 signatures, as many",
            f"{sign_base:.2f} s ({total_tokens / sign_base:,.0f}/s); issuing = "
            f"{issuing / sign_base:.1f}x",
        ),
        ("lock contacts (keys and revocation list)", f"{len(locks):,} in {contacts:.2f} s"),
        (
            "**verifying in the simulator**",
            f"**{len(sample):,} in {verifying * 1000:.0f} ms "
            f"({len(sample) / verifying:,.0f}/s), all opened**",
        ),
        (
            "baseline: bare Ed25519 verifications, as many",
            f"{verify_base * 1000:.0f} ms ({len(sample) / verify_base:,.0f}/s); simulator = "
            f"{verifying / verify_base:.2f}x",
        ),
    ]
    print(
        f"Database: {database_version(connection)}; Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPUs; max window {unlock.MAX_WINDOW // 3600} h"
    )
    print("| | |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
