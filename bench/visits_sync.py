"""One sync of 10,000 queued registrations (DESIGN target: accepted in < 2 s).

    python bench/visits_sync.py [--database-url URL] [--items 10000] [--runs 5] [--markdown]

Setup (once per database): a municipality of its own (code 9VSY) with one provider, a
team, 500 clients each with a granted service or two and an NFC tag at the door, and 50
care workers. The batch: 10,000 registrations of the provider's staff (200 each, ten a day
over 20 days, 45 minutes apart, each at one of the clients, scanned with the tag, one task
or two), as a provider's system sends them with its token (each item naming its staff
member). A phone sends its own visits the same way; 10,000 from one phone is the same work.

Measured, each `--runs` times on a database emptied of the bench's visits before each run:

- baseline: the same 10,000 visits and their tasks written as rows with `lib.bulkinsert`
  (the fastest write the house has), checks and flags left out, with the collector paused
  as the sync pauses it (`lib.gcpause`);
- the sync service (`visits.sync.sync`): parse and check every item on its own, look up
  clients, grants, tags, locks, the staff's other visits, work out bands and flags, write;
- the whole request: `POST /api/v1/visits/sync` with the token, through Django's test
  client (JSON in and out, authentication, the answer per item);
- the same batch sent again: every item answered `duplicate`, nothing written.

With `--phases`: afterwards one sync timed by phase (validation, look-ups, the items'
checks, overlaps, each insert, the commit), median of `--runs`, wall and CPU seconds, by
timers wrapped around the sync's functions.

Printed: median and slowest seconds, the ratio to the baseline of the same run, and the
median CPU seconds of this process (the Python side, and SQLite's engine, which runs in the
process; not PostgreSQL's server), which a loaded machine's other work inflates far less
than the wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from pages import configure, database_version  # noqa: E402  (bench/ is not a package)

TARGET_S = 2.0
CODE = "9VSY"
CLIENTS = 500
STAFF = 50


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(began: tuple[float, float]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds since `began`: the CPU is the Python
    side (and SQLite's engine, which runs in the process), the part a loaded machine's
    other work does not add to; PostgreSQL's server time is in the wall time only."""
    wall, cpu = clock()
    return wall - began[0], cpu - began[1]


def setup() -> Any:
    from django.core.management import call_command

    from trygg.core.constants import Period, Role
    from trygg.core.models import (
        Client,
        GrantedService,
        Municipality,
        Provider,
        RoleAssignment,
        ServiceType,
        Team,
        User,
    )
    from trygg.devices.models import NfcTag
    from trygg.lib import tagcodes

    call_command("migrate", interactive=False, verbosity=0)
    municipality, made = Municipality.objects.get_or_create(
        code=CODE, defaults={"name": "Benchmark besök", "country": "SE"}
    )
    if not made:
        return municipality
    provider = Provider.objects.create(
        municipality=municipality, name="Bänkens hemtjänst", org_number="5560000000", kind="private"
    )
    team = Team.objects.create(provider=provider, name="Bänk", code="BANK")
    care = ServiceType.objects.create(
        municipality=municipality, code="PERS", name="Personlig omvårdnad", category="personal_care"
    )
    cleaning = ServiceType.objects.create(
        municipality=municipality, code="STAD", name="Städning", category="service"
    )
    clients = Client.objects.bulk_create(
        Client(
            municipality=municipality,
            provider=provider,
            team=team,
            case_system_id=f"B{n:04d}",
            first_name="Bänk",
            last_name=f"Brukare {n:03d}",
            national_id=f"19400101{n:04d}",
            start_date=dt.date(2020, 1, 1),
        )
        for n in range(CLIENTS)
    )
    GrantedService.objects.bulk_create(
        GrantedService(
            client=client,
            service_type=service_type,
            provider=provider,
            case_system_id=f"B{client.pk}-{service_type.code}",
            granted_minutes=300,
            period=Period.WEEK,
            valid_from=dt.date(2020, 1, 1),
        )
        for client in clients
        for service_type in (care, cleaning)
    )
    codes: set[str] = set()
    while len(codes) < CLIENTS:
        codes.add(tagcodes.generate())
    NfcTag.objects.bulk_create(
        NfcTag(
            municipality=municipality,
            model_name="NTAG213",
            code=code,
            client=client,
            placed_on=dt.date(2020, 1, 1),
        )
        for client, code in zip(clients, sorted(codes), strict=True)
    )
    for n in range(STAFF):
        user = User.objects.create(username=f"bench.sync.{n}", first_name="Bänk", last_name=f"{n}")
        assignment = RoleAssignment.objects.create(
            user=user, role=Role.CARE_WORKER, municipality=municipality, provider=provider
        )
        assignment.teams.set([team])
    return municipality


def batch(municipality: Any, items: int, start: dt.datetime) -> list[dict[str, Any]]:
    from trygg.core.models import Client, RoleAssignment
    from trygg.devices.models import NfcTag

    clients = list(Client.objects.filter(municipality=municipality).order_by("pk"))
    tags = dict(NfcTag.objects.filter(municipality=municipality).values_list("client_id", "code"))
    staff = list(
        RoleAssignment.objects.filter(municipality=municipality)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    result = []
    for n in range(items):
        person = staff[n % len(staff)]
        nth = n // len(staff)  # this person's nth visit: ten a day, 45 minutes apart
        begins = start + dt.timedelta(days=nth // 10, minutes=45 * (nth % 10))
        client = clients[(n * 7) % len(clients)]
        code = tags[client.pk]
        result.append(
            {
                "id": str(uuid.uuid4()),
                "client_id": client.pk,
                "staff_id": person,
                "arrival": {"at": begins.isoformat(), "by": "tag", "tag": code},
                "departure": {
                    "at": (begins + dt.timedelta(minutes=30)).isoformat(),
                    "by": "tag",
                    "tag": code,
                },
                "tasks": ["PERS", "STAD"] if n % 3 == 0 else ["PERS"],
            }
        )
    return result


def clear(municipality: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("visits_visitflag", "visits_visittask"):
            cursor.execute(
                f"DELETE FROM {table} WHERE visit_id IN "
                "(SELECT id FROM visits_visit WHERE municipality_id = %s)",
                [municipality.pk],
            )
        cursor.execute("DELETE FROM visits_visit WHERE municipality_id = %s", [municipality.pk])
    if connection.vendor == "postgresql":
        # The deleted rows' index entries would otherwise stay until a vacuum (autovacuum
        # waits for a fifth of the table): each run's look-ups would step over every
        # earlier run's dead visits, which a real table of visits (never deleted) has not.
        # And a checkpoint after it: the vacuum dirties a good part of the indexes, and a
        # run would otherwise share the disk with the writing-out of an earlier run's
        # vacuum (checkpoints spread their writes over minutes), so figures varied by a
        # third from run to run. Each run now starts right after a checkpoint, and each
        # pays the same: a page's first change after a checkpoint writes the whole page to
        # the WAL (the worst case for a run; between checkpoints that is fewer pages).
        with connection.cursor() as cursor:
            for table in ("visits_visit", "visits_visittask", "visits_visitflag"):
                cursor.execute(f"VACUUM (INDEX_CLEANUP ON, ANALYZE) {table}")
            cursor.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'bench-visits-sync.sqlite3'}",
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--phases", action="store_true", help="also time one sync by phase")
    args = parser.parse_args()
    configure(args.database_url)

    from django.db import connection, transaction
    from django.test import Client as HttpClient
    from django.utils import timezone

    from trygg.core.tokens import create_token
    from trygg.lib import gcpause
    from trygg.lib.bulkinsert import insert_rows
    from trygg.visits.models import Band, Presence, Visit, VisitTask
    from trygg.visits.services import Registrar
    from trygg.visits.sync import sync
    from trygg.visits.wire import MAX_ITEMS

    municipality = setup()
    provider = municipality.providers.get()
    token, secret = create_token("Bänk", municipality, provider=provider, scopes="visits")
    registrar = Registrar.for_token(token)
    items = min(args.items, MAX_ITEMS)
    start = (timezone.now() - dt.timedelta(days=25)).replace(microsecond=0)
    http = HttpClient()

    def fresh() -> list[dict[str, Any]]:
        clear(municipality)
        return batch(municipality, items, start)

    def baseline(sent: list[dict[str, Any]]) -> tuple[float, float]:
        from trygg.core.models import ServiceType

        types = dict(
            ServiceType.objects.filter(municipality=municipality).values_list("code", "pk")
        )
        began = clock()
        with gcpause.paused():  # as the sync runs
            visits, tasks = _baseline_rows(sent, types)
            with transaction.atomic():
                insert_rows(visits)
                rows = [
                    VisitTask(
                        visit_id=visit.pk, service_type_id=types[code], minutes=30 // len(codes)
                    )
                    for visit, codes in tasks
                    for code in codes
                ]
                insert_rows(rows)
        return since(began)

    def _baseline_rows(
        sent: list[dict[str, Any]], types: dict[str, int]
    ) -> tuple[list[Any], list[tuple[Any, list[str]]]]:
        visits, tasks = [], []
        for item in sent:
            at = dt.datetime.fromisoformat(item["arrival"]["at"])
            visit = Visit(
                uuid=item["id"],
                municipality_id=municipality.pk,
                provider_id=provider.pk,
                client_id=item["client_id"],
                staff_id=item["staff_id"],
                started_at=at,
                ended_at=at + dt.timedelta(minutes=30),
                minutes=30,
                local_date=at.date(),
                band=Band.DAY,
                arrival=Presence.TAG,
                departure=Presence.TAG,
            )
            visits.append(visit)
            tasks.append((visit, item["tasks"]))
        return visits, tasks

    def service(sent: list[dict[str, Any]]) -> tuple[float, float]:
        began = clock()
        result = sync(registrar, timezone.now(), sent)
        took = since(began)
        assert result.count("accepted") == len(sent), [i for i in result.items if i.reason][:3]
        return took

    def request(sent: list[dict[str, Any]]) -> tuple[float, float]:
        body = json.dumps({"sent_at": timezone.now().isoformat(), "items": sent})
        began = clock()
        answer = http.post(
            "/api/v1/visits/sync",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        took = since(began)
        assert answer.status_code == 200, answer.content[:300]
        assert answer.json()["accepted"] == len(sent)
        return took

    def again(sent: list[dict[str, Any]]) -> tuple[float, float]:
        sync(registrar, timezone.now(), sent)
        began = clock()
        result = sync(registrar, timezone.now(), sent)
        took = since(began)
        assert result.count("duplicate") == len(sent)
        return took

    measures: list[tuple[str, Callable[[list[dict[str, Any]]], tuple[float, float]]]] = [
        (f"baseline: bulk insert of the same {items:,} visits and their tasks", baseline),
        (f"the sync service: {items:,} registrations checked and stored", service),
        ("the whole request: POST /api/v1/visits/sync with a token", request),
        ("the same batch again: all duplicates, nothing stored", again),
    ]
    results: list[tuple[str, list[tuple[float, float]]]] = []
    for name, measure in measures:
        measure(fresh())  # warm
        results.append((name, [measure(fresh()) for _ in range(args.runs)]))
    clear(municipality)
    base = statistics.median(wall for wall, _cpu in results[0][1])
    print(
        f"Database: {database_version(connection)}; {items:,} registrations; runs: {args.runs};"
        f" Python {sys.version.split()[0]}; {os.cpu_count()} CPUs;"
        f" load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}"
    )
    if args.markdown:
        print("| what | median s | slowest s | median / baseline | median CPU s (this process) |")
        print("|---|---|---|---|---|")
    for name, times in results:
        walls = [wall for wall, _cpu in times]
        median, worst = statistics.median(walls), max(walls)
        cpu = statistics.median(c for _wall, c in times)
        if args.markdown:
            print(f"| {name} | {median:.3f} | {worst:.3f} | {median / base:.1f}x | {cpu:.3f} |")
        else:
            print(
                f"{name:62} {median:7.3f} s  {worst:7.3f} s  {median / base:5.1f}x"
                f"  CPU {cpu:6.3f} s"
            )
    slowest = max(wall for _name, times in results[1:3] for wall, _cpu in times)
    verdict = "met" if slowest < TARGET_S else "MISSED"
    print(f"Target ({items:,} registrations accepted in one sync < {TARGET_S:.0f} s): {verdict}")
    if args.phases:
        phases(registrar, fresh, args.runs, len(fresh()))
        clear(municipality)


def phases(registrar: Any, fresh: Callable[[], list[dict[str, Any]]], runs: int, n: int) -> None:
    """One sync timed by phase: timers wrapped around the sync's own functions, each
    insert and the connection's commit (the deferred foreign-key checks run there)."""
    from django.db import connections
    from django.utils import timezone

    from trygg.visits import sync as module

    spent: dict[str, list[float]] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return function(*args, **kwargs)
            finally:
                wall, cpu = since(began)
                total = spent.setdefault(name, [0.0, 0.0])
                total[0] += wall
                total[1] += cpu

        return wrapper

    insert = module.insert_rows

    def insert_rows(rows: Any) -> None:
        name = f"insert {len(rows):,} {type(rows[0]).__name__}" if rows else "insert nothing"
        timed(name, insert)(rows)

    context = module._Context
    db = connections["default"]
    db.ensure_connection()
    saved = (module._validate, context.load, context.build, context.flag_overlaps, db.commit)
    module._validate = timed("validation", module._validate)  # type: ignore[assignment]
    context.load = classmethod(timed("look-ups", context.load.__func__))  # type: ignore
    context.build = timed("checks of each item", context.build)  # type: ignore[method-assign]
    context.flag_overlaps = timed("overlaps", context.flag_overlaps)  # type: ignore
    module.insert_rows = insert_rows  # type: ignore[assignment]
    db.commit = timed("commit", db.commit)  # type: ignore[method-assign]
    rounds: list[dict[str, list[float]]] = []
    try:
        for _ in range(runs):
            sent = fresh()
            spent = {}
            began = clock()
            module.sync(registrar, timezone.now(), sent)
            spent["the whole sync"] = list(since(began))
            rounds.append(spent)
    finally:
        module._validate, context.load, context.build, context.flag_overlaps, db.commit = saved
        module.insert_rows = insert
    print(f"Phases of one sync of {n:,} (median of {runs}):")
    print("| phase | wall s | CPU s (this process) |")
    print("|---|---|---|")
    for name in rounds[0]:
        wall = statistics.median(r.get(name, [0.0, 0.0])[0] for r in rounds)
        cpu = statistics.median(r.get(name, [0.0, 0.0])[1] for r in rounds)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
