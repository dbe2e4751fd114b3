"""The billing basis over a city's year of visits (5 million) on PostgreSQL.

    python bench/visits_billing.py --database-url postgres://... [--visits 5000000]
                                   [--runs 5] [--explain] [--markdown]

Setup (once; a rerun finds the visits and skips it): the city-scale municipality (`trygg
seed --scale city`: Storvik kommun, 8 providers, 40 teams, 20,000 clients, ~70,000 granted
services, 2,000 staff), then a year of visits for it (last calendar year) written by the
database itself: one `INSERT ... SELECT` over `generate_series` for the visits (spread
over the year's days from 06:00 to midnight, 5-60 minutes, time bands by weekday and hour,
1 in 50 not at home, 1 in 20 without the tag, 1 in 33 with two staff, 1 in 200 struck out,
1 in 33 corrected) and one for their tasks (a third of the visits with two, sharing the
minutes). The secondary indexes are dropped during the load and built again after it
(`CREATE INDEX` on 5 million rows is far cheaper than keeping 14 indexes up to date row by
row), then `VACUUM ANALYZE`.

Measured, each `--runs` times (median and slowest), in-process with `DEBUG=false`:

- baseline: `SELECT count(*), sum(minutes)` over the same visits (a plain scan of the year);
- the year per provider and month (`billing.summary`): granted, performed, visits per band,
  tag-proven and corrected registrations. The DESIGN target: < 5 s;
- the year per provider, team and month (`billing.summary(by_team=True)`): the follow-up;
- one provider's month per client and service (`billing.basis`): the page and the files;
- all 96 provider-months per client and service, one after the other: a month-end run for
  every provider of the year.

Each figure is printed with its ratio to the baseline of the same run, so runs on machines
of different speed compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from pages import configure, database_version  # noqa: E402  (bench/ is not a package)

TARGET_S = 5.0
CITY_CODE = "9998"
UUID_PREFIX = "bench-visit-"


def year_bounds() -> tuple[dt.date, dt.date]:
    last_year = dt.date.today().year - 1
    return dt.date(last_year, 1, 1), dt.date(last_year, 12, 31)


# Setup -----------------------------------------------------------------------------------


def make_visits(municipality_id: int, n: int, first: dt.date) -> None:
    from django.db import connection, transaction

    from trygg.visits.models import Visit, VisitTask

    visit_table = Visit._meta.db_table
    task_table = VisitTask._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [visit_table, task_table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # Django's foreign keys are checked at commit; checked per statement instead, the
        # indexes can be built in the same transaction (no pending trigger events).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.monotonic()
        cursor.execute(
            f"""
            WITH c AS (
                SELECT array_agg(id ORDER BY id) AS ids,
                       array_agg(provider_id ORDER BY id) AS providers,
                       array_agg(team_id ORDER BY id) AS teams
                FROM core_client WHERE municipality_id = %(m)s
            ), s AS (
                SELECT array_agg(DISTINCT user_id) AS ids FROM core_roleassignment
                WHERE municipality_id = %(m)s AND provider_id IS NOT NULL
            ), g AS (
                SELECT g,
                       1 + (g::bigint * 7919) %% array_length(c.ids, 1) AS k,
                       %(first)s::date + (g %% 365) AS day,
                       360 + (g::bigint * 104729) %% 1080 AS at,
                       5 + (g::bigint * 31) %% 56 AS minutes,
                       c.ids, c.providers, c.teams, s.ids AS staff
                FROM generate_series(1, %(n)s) AS g, c, s
            )
            INSERT INTO {visit_table} (
                uuid, municipality_id, provider_id, team_id, client_id, staff_id, partner_id,
                started_at, ended_at, minutes, local_date, band, outcome, arrival, departure,
                no_tag_reason, note, phone_clock_offset, synced_at, struck, corrected
            )
            SELECT
                md5(%(prefix)s || g)::uuid, %(m)s, providers[k], teams[k], ids[k],
                staff[1 + g %% array_length(staff, 1)],
                CASE WHEN g %% 33 = 0 THEN staff[1 + (g + 1) %% array_length(staff, 1)] END,
                (day + at * interval '1 minute') AT TIME ZONE 'Europe/Stockholm',
                (day + (at + minutes) * interval '1 minute') AT TIME ZONE 'Europe/Stockholm',
                minutes, day,
                CASE WHEN extract(isodow FROM day) >= 6 THEN 'weekend_holiday'
                     WHEN at >= 1320 OR at < 420 THEN 'evening_night' ELSE 'day' END,
                CASE WHEN g %% 50 = 0 THEN 'not_home' ELSE 'performed' END,
                CASE WHEN g %% 20 = 0 THEN 'none' ELSE 'tag' END,
                CASE WHEN g %% 20 = 0 THEN 'none' ELSE 'tag' END,
                CASE WHEN g %% 20 = 0 THEN 'tag_missing' ELSE '' END,
                '', 0,
                (day + (at + minutes + 20) * interval '1 minute') AT TIME ZONE 'Europe/Stockholm',
                g %% 200 = 0, g %% 33 = 1
            FROM g
            """,
            {"m": municipality_id, "n": n, "first": first, "prefix": UUID_PREFIX},
        )
        print(f"  visits: {time.monotonic() - started:.1f} s", file=sys.stderr)
        started = time.monotonic()
        cursor.execute(
            f"""
            WITH t AS (
                SELECT array_agg(id ORDER BY id) AS ids FROM core_servicetype
                WHERE municipality_id = %(m)s AND category <> 'safety_alarm'
            )
            INSERT INTO {task_table} (visit_id, service_type_id, minutes)
            SELECT v.id, t.ids[1 + v.id %% array_length(t.ids, 1)],
                   CASE WHEN v.id %% 3 = 0 THEN v.minutes - v.minutes / 2 ELSE v.minutes END
            FROM {visit_table} v, t
            WHERE v.municipality_id = %(m)s AND v.outcome = 'performed'
            UNION ALL
            SELECT v.id, t.ids[1 + (v.id + 1) %% array_length(t.ids, 1)], v.minutes / 2
            FROM {visit_table} v, t
            WHERE v.municipality_id = %(m)s AND v.outcome = 'performed' AND v.id %% 3 = 0
            """,
            {"m": municipality_id},
        )
        print(f"  tasks: {time.monotonic() - started:.1f} s", file=sys.stderr)
        started = time.monotonic()
        for _name, definition in indexes:
            cursor.execute(definition)
        print(f"  indexes: {time.monotonic() - started:.1f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        started = time.monotonic()
        cursor.execute(f"VACUUM ANALYZE {visit_table}")
        cursor.execute(f"VACUUM ANALYZE {task_table}")
        print(f"  vacuum analyze: {time.monotonic() - started:.1f} s", file=sys.stderr)


def setup(n: int) -> Any:
    from django.core.management import call_command
    from django.db import connection

    from trygg.core.models import Municipality
    from trygg.visits.models import Visit

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark writes its visits with PostgreSQL's generate_series.")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed", scale="city", verbosity=1)
    municipality = Municipality.objects.get(code=CITY_CODE)
    first, _last = year_bounds()
    have = Visit.objects.filter(municipality=municipality).count()
    if have != n:
        if have:
            raise SystemExit(
                f"The database holds {have:,} bench visits, not {n:,}: use a fresh database."
            )
        print(f"Writing {n:,} visits for {first.year}...", file=sys.stderr)
        make_visits(municipality.pk, n, first)
    return municipality


# Measuring -------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm: plans, caches, the first connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="A PostgreSQL database.")
    parser.add_argument("--visits", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the summary.")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    configure(args.database_url)

    from django.db import connection

    from trygg.core.models import Provider
    from trygg.visits import billing
    from trygg.visits.models import Visit

    municipality = setup(args.visits)
    first, last = year_bounds()
    providers = list(Provider.objects.filter(municipality=municipality).order_by("pk"))
    ids = [p.pk for p in providers]
    months = billing.months_between(first, last)
    biggest = max(
        providers,
        key=lambda p: Visit.objects.filter(provider=p, local_date__gte=first).count(),
    )
    march = dt.date(first.year, 3, 1)

    def baseline() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), sum(minutes) FROM visits_visit "
                "WHERE municipality_id = %s AND local_date BETWEEN %s AND %s",
                [municipality.pk, first, last],
            )
            return cursor.fetchone()

    def year() -> Any:
        return billing.summary(municipality, ids, first, last)

    def follow_up() -> Any:
        return billing.summary(municipality, ids, first, last, by_team=True)

    def one_month() -> Any:
        return billing.basis(biggest, march)

    def month_end_run() -> Any:
        return [billing.basis(p, m) for p in providers for m in months]

    if args.explain:
        explain(municipality, ids, first, last)
    count, minutes = baseline()
    year_figures = year()
    print(
        f"Data: {count:,} visits in {first.year} ({minutes:,} minutes), "
        f"{len(providers)} providers; year summary: {len(year_figures)} provider-months, "
        f"{sum(f.performed for f in year_figures.values()):,} performed minutes",
        file=sys.stderr,
    )
    rows = [
        ("baseline: count and sum over the year's visits", timed(baseline, args.runs)),
        ("the year per provider and month (target < 5 s)", timed(year, args.runs)),
        ("the year per provider, team and month (follow-up)", timed(follow_up, args.runs)),
        (
            f"one provider's month per client and service ({biggest.name})",
            timed(one_month, args.runs),
        ),
        (
            f"all {len(providers) * len(months)} provider-months per client and service",
            timed(month_end_run, max(1, args.runs // 5)),
        ),
    ]
    base = statistics.median(rows[0][1])
    print(
        f"Database: {database_version(connection)}; {count:,} visits; runs: {args.runs}; "
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )
    if args.markdown:
        print("| what | median s | slowest s | median / baseline |")
        print("|---|---|---|---|")
    for name, times in rows:
        median, worst = statistics.median(times), max(times)
        if args.markdown:
            print(f"| {name} | {median:.3f} | {worst:.3f} | {median / base:.1f}x |")
        else:
            print(f"{name:70} {median:8.3f} s  {worst:8.3f} s  {median / base:6.1f}x")
    verdict = "met" if max(rows[1][1]) < TARGET_S else "MISSED"
    print(f"Target (the year per provider and month < {TARGET_S:.0f} s): {verdict}")


def explain(municipality: Any, ids: list[int], first: dt.date, last: dt.date) -> None:
    """The plan of the year's visit aggregation, as the ORM sends it."""
    from django.db import connection
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncMonth

    from trygg.visits import billing
    from trygg.visits.models import PROVEN, Outcome, Visit

    carried_out = Q(struck=False, outcome=Outcome.PERFORMED)
    query = (
        Visit.objects.filter(provider_id__in=ids, local_date__gte=first, local_date__lte=last)
        .order_by()
        .annotate(month=TruncMonth("local_date"))
        .values("provider_id", "month")
        .annotate(
            visits=Count("pk", filter=carried_out),
            proven=Count("pk", filter=Q(arrival__in=list(PROVEN))),
            performed=Sum(billing.rounded_minutes(1) * billing.staff_factor(), filter=carried_out),
        )
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()), file=sys.stderr)


if __name__ == "__main__":
    main()
