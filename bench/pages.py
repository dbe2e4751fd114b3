"""Server time of the main pages on city-scale data (20,000 clients, 2,000 staff).

    python bench/pages.py [--database-url URL] [--requests N] [--markdown]

Seeds the city-scale municipality first if the database lacks it (`trygg seed --scale
city`), then requests each page in-process through Django's test client as a care worker,
a provider manager and an auditor. Server time is the time around one request: URL
routing, middleware, session and user loading, the queries, the access-log write and the
template. Printed per page: p50, p95 and max in milliseconds, SQL queries per request, and
the ratio of p50 to a baseline measured in the same run (the login page, anonymous: no
queries), so figures from machines of different speed can be compared. Target (DESIGN.md):
p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 300.0


@dataclass
class Result:
    page: str
    persona: str
    times_ms: list[float]
    queries: list[int]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index]


def configure(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    # Measure as production runs: no debug cursor recording every query.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trygg.settings")
    import django

    django.setup()


@contextmanager
def count_queries() -> Iterator[list[int]]:
    from django.db import connection

    counter = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        counter[0] += 1
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(wrapper):
        yield counter


def measure(http: Any, url: str, requests: int, warmup: int = 2) -> tuple[list[float], list[int]]:
    for _ in range(warmup):
        response = http.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    times: list[float] = []
    queries: list[int] = []
    for _ in range(requests):
        with count_queries() as counter:
            started = time.perf_counter()
            response = http.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(counter[0])
    return times, queries


def pages(today: dt.date) -> list[tuple[str, str, str]]:
    """(page, persona, url) for every measured request; persona '' is anonymous."""
    from django.db.models import Count

    from trygg.core.constants import Role
    from trygg.core.models import Client, User
    from trygg.core.scale import CITY_CODE, PERSONAS, SCALES, persona

    size = SCALES["city"]
    worker, manager, auditor = (persona(size, name) for name in PERSONAS.values())
    worker_user = User.objects.get(username=worker)
    team_id = worker_user.role_assignments.values_list("teams", flat=True).first()
    client = (
        Client.objects.filter(team_id=team_id).active_on(today).order_by("last_name", "pk").first()
    )
    assert client is not None
    common_name = (
        Client.objects.filter(municipality__code=CITY_CODE)
        .values("last_name")
        .annotate(n=Count("id"))
        .order_by("-n", "last_name")
        .first()
    )
    assert common_name is not None
    # A care worker of the manager's provider with a year of ordinary reads (~250), unlike
    # the worker persona, whose reads every benchmark run adds to.
    quiet = (
        User.objects.filter(
            role_assignments__role=Role.CARE_WORKER,
            role_assignments__provider=worker_user.role_assignments.get().provider,
        )
        .exclude(username=worker)
        .order_by("-username")
        .first()
    )
    assert quiet is not None
    month_ago = (today - dt.timedelta(days=30)).isoformat()
    flagged = f"/audit/access-log/?flagged=any&date_from={month_ago}&date_to={today.isoformat()}"
    result: list[tuple[str, str, str]] = [("baseline: login page", "", "/login/")]
    for who in (worker, manager, auditor):
        result += [
            ("client list, first page", who, "/clients/"),
            ("client list, search by name", who, f"/clients/?q={common_name['last_name']}"),
            ("client detail", who, f"/clients/{client.pk}/"),
        ]
    for who in (manager, auditor):
        result += [
            ("access log, first page", who, "/audit/access-log/"),
            ("access log, by staff member", who, f"/audit/access-log/?staff={worker}"),
            (
                "access log, by client",
                who,
                f"/audit/access-log/?client={client.first_name}+{client.last_name}",
            ),
            ("access log, flagged in 30 days", who, flagged),
            ("access log, next page", who, NEXT_PAGE_OF + "/audit/access-log/"),
            ("access log, by a quiet staff member", who, f"/audit/access-log/?staff={quiet}"),
            ("access log, own-record reads", who, "/audit/access-log/?flagged=own"),
        ]
    return result


NEXT_PAGE_OF = "next page of:"


def next_page(http: Any, url: str) -> str:
    """The URL the first page's "Next" link points to: `?older=<cursor>` with the keyset
    pager, `?page=2` with the numbered one, so the same script measures either."""
    page = http.get(url).content.decode()
    found = re.search(r'href="(\?[^"]*\b(?:older|page)=[^"]*)"', page)
    if found is None:
        raise SystemExit(f"{url}: no link to a next page")
    return url.split("?")[0] + html.unescape(found.group(1))


def run(requests: int) -> list[Result]:
    from django.test import Client as HttpClient

    from trygg.core.models import Municipality, User
    from trygg.core.scale import CITY_CODE

    today = Municipality.objects.get(code=CITY_CODE).today()
    sessions: dict[str, Any] = {"": HttpClient()}
    results: list[Result] = []
    for page, who, url in pages(today):
        if who not in sessions:
            http = HttpClient()
            http.force_login(User.objects.get(username=who))
            sessions[who] = http
        if url.startswith(NEXT_PAGE_OF):
            url = next_page(sessions[who], url.removeprefix(NEXT_PAGE_OF))
        times, queries = measure(sessions[who], url, requests)
        results.append(Result(page, who or "anonymous", times, queries))
        print(f"  measured {page} as {who or 'anonymous'}", file=sys.stderr)
    return results


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def report(results: list[Result], markdown: bool) -> str:
    baseline = statistics.median(results[0].times_ms)
    header = ("page", "persona", "p50 ms", "p95 ms", "max ms", "queries", "p50 / baseline")
    rows = [
        (
            r.page,
            r.persona,
            f"{r.percentile(0.5):.1f}",
            f"{r.percentile(0.95):.1f}",
            f"{max(r.times_ms):.1f}",
            _span(r.queries),
            f"{statistics.median(r.times_ms) / baseline:.1f}x",
        )
        for r in results
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
        lines = [
            "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
            for line in (header, *rows)
        ]
    worst = max(r.percentile(0.95) for r in results)
    verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
    lines.append("")
    lines.append(f"Worst p95: {worst:.1f} ms, {verdict} the target of {TARGET_P95_MS:.0f} ms.")
    return "\n".join(lines)


def database_version(connection: Any) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}",
        help="Database to measure (default: var/bench.sqlite3, created if missing).",
    )
    parser.add_argument("--requests", type=int, default=30, help="Timed requests per page.")
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args()

    configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("seed", scale="city", verbosity=1)
    if connection.vendor == "postgresql":
        # Fresh statistics whatever made the data (a seed, a migration's back-fill), so the
        # plans measured are the ones autovacuum would settle on.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Seed step: {time.monotonic() - started:.1f} s", file=sys.stderr)
    results = run(args.requests)
    print(
        f"Database: {database_version(connection)}; {args.requests} requests per page; "
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )
    print(report(results, args.markdown))


if __name__ == "__main__":
    main()
