"""City-scale synthetic data for the benchmarks: `trygg seed --scale city`.

A municipality of its own (Storvik kommun, code 9998) with 20,000 clients, 2,000 staff,
8 providers, 40 teams and a year of access log (500,000 reads), written with bulk inserts
and one password hash shared by every user, so it takes well under a few minutes on SQLite
and PostgreSQL. The people are made the way the demo's are (see `demo`).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from .constants import LIST_ACTIONS, MUNICIPAL_ROLES, AccessAction, Country, ProviderKind, Role
from .demo import (
    DEMO_PASSWORD,
    DemoLogin,
    SeedResult,
    bulk,
    make_catalogue,
    make_client,
    make_consents,
    make_granted_services,
    org_number,
)
from .models import (
    AccessLogEntry,
    AccessLogReaderProvider,
    Client,
    Consent,
    GrantedService,
    Municipality,
    Provider,
    RoleAssignment,
    Team,
    User,
)
from .people import People

CITY_CODE = "9998"
CITY_NAME = "Storvik kommun"
CITY_SEED = 20240612
LOG_BATCH = 5000
# The personas the benchmark logs in as, by role: <slug>.<name>.
PERSONAS = {
    Role.CARE_WORKER: "omsorg",
    Role.PROVIDER_MANAGER: "chef",
    Role.AUDITOR: "revisor",
}


@dataclass(frozen=True)
class Scale:
    """How big, and which municipality: each scale gets one of its own."""

    code: str
    name: str
    slug: str  # the town's name in user names: storvik.omsorg
    clients: int
    staff: int
    providers: int
    teams: int
    log_rows: int

    def with_(self, **changes: int) -> Scale:
        sizes = {"clients", "staff", "providers", "teams", "log_rows"}
        if not changes.keys() <= sizes:
            raise TypeError(f"Only sizes can change: {', '.join(sorted(sizes))}.")
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


SCALES: dict[str, Scale] = {
    "city": Scale(
        code=CITY_CODE,
        name=CITY_NAME,
        slug="storvik",
        clients=20_000,
        staff=2_000,
        providers=8,
        teams=40,
        log_rows=500_000,
    ),
    "small": Scale(
        code="9997",
        name="Lillvik kommun",
        slug="lillvik",
        clients=300,
        staff=80,
        providers=3,
        teams=6,
        log_rows=3_000,
    ),
}

_PROVIDER_NAMES = (
    "Hemtjänsten {town}",
    "Björkhagens Omsorg AB",
    "Nordanvind Hemtjänst AB",
    "Solrosens Vård och Omsorg AB",
    "Kustbygdens Hemtjänst AB",
    "Ekbackens Omsorg AB",
    "Lyckebo Hemtjänst AB",
    "Fjällsippans Omsorg AB",
)
_DISTRICTS = (
    "Centrum",
    "Hamnen",
    "Berga",
    "Norrmalm",
    "Söderslätt",
    "Ekdalen",
    "Lövstad",
    "Sjöbacken",
    "Åsen",
    "Kvarnby",
)


def persona(size: Scale, role: str) -> str:
    """The user name of a benchmark persona: care worker, provider manager or auditor."""
    return f"{size.slug}.{role}"


def city_logins(size: Scale) -> list[DemoLogin]:
    """The three benchmark personas, as they are in the database."""
    result = []
    for username in (persona(size, r) for r in PERSONAS.values()):
        assignment = (
            RoleAssignment.objects.filter(user__username=username)
            .select_related("provider", "municipality")
            .first()
        )
        if assignment is not None:
            where = assignment.provider or assignment.municipality
            result.append(DemoLogin(username, str(Role(assignment.role).label), str(where)))
    return result


def seed_scale(
    size: Scale,
    *,
    progress: Callable[[str], None] = lambda message: None,
    today: dt.date | None = None,
) -> SeedResult:
    """Create the city-scale municipality once; afterwards just report its personas."""
    if Municipality.objects.filter(code=size.code).exists():
        return SeedResult(created=False, logins=city_logins(size))
    if size.providers < 1 or size.teams < size.providers:
        raise ValueError("Need at least one provider and a team for each provider.")
    with transaction.atomic():
        if connection.vendor == "sqlite":
            # One long transaction: keep its pages in memory instead of spilling them.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        counts = _create(size, today, progress)
    if connection.vendor == "postgresql":
        # Autovacuum would get round to it; until then the planner believes the bulk-loaded
        # tables are empty and picks plans for a handful of rows.
        progress("analyze")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return SeedResult(created=True, logins=city_logins(size), counts=counts)


@dataclass
class _Reader:
    user_id: int
    provider_id: int | None
    team_ids: frozenset[int]
    teams: list[int]
    national_id: str
    addresses: list[str]


def _create(size: Scale, today: dt.date | None, progress: Callable[[str], None]) -> dict[str, int]:
    people = People(CITY_SEED, size.name.split()[0])
    rng = people.rng
    municipality = Municipality.objects.create(
        name=size.name, code=size.code, country=Country.SWEDEN, time_zone="Europe/Stockholm"
    )
    today = today or municipality.today()
    service_types = make_catalogue(municipality)
    providers = bulk(
        Provider,
        [
            Provider(
                municipality=municipality,
                name=(
                    _PROVIDER_NAMES[i].format(town=people.city)
                    if i < len(_PROVIDER_NAMES)
                    else f"Omsorgsbolaget {i + 1} AB"
                ),
                org_number=org_number("212000998" if i == 0 else f"5594{i:05d}"),
                kind=ProviderKind.MUNICIPAL if i == 0 else ProviderKind.PRIVATE,
            )
            for i in range(size.providers)
        ],
    )
    teams = bulk(
        Team,
        [
            Team(
                provider=providers[i % size.providers],
                name=f"{_DISTRICTS[i % len(_DISTRICTS)]} {i // len(_DISTRICTS) + 1}",
                code=f"D{i + 1:03d}",
            )
            for i in range(size.teams)
        ],
    )
    progress(f"{len(providers)} providers, {len(teams)} teams")

    # Staff: a manager per provider, a team leader and a night nurse per team, the
    # municipality's own roles, and care workers for the rest.
    plan: list[tuple[Role, Provider | None, list[Team]]] = []
    for provider in providers:
        plan.append((Role.PROVIDER_MANAGER, provider, []))
    for team in teams:
        plan.append((Role.TEAM_LEADER, team.provider, [team]))
        plan.append((Role.NIGHT_SUPERVISOR, team.provider, [team]))
    municipal = [
        (Role.ALARM_OPERATOR, max(1, size.staff // 100)),
        (Role.WELFARE_TECH, max(1, size.staff // 200)),
        (Role.MUNICIPAL_ADMIN, 1),
        (Role.AUDITOR, max(1, size.staff // 1000)),
    ]
    for role, count in municipal:
        plan.extend((role, None, []) for _ in range(count))
    care_workers = size.staff - len(plan)
    if care_workers < 1:
        raise ValueError(f"Too few staff for {size.teams} teams: need more than {len(plan)}.")
    for i in range(care_workers):
        team = teams[i % len(teams)]
        plan.append((Role.CARE_WORKER, team.provider, [team]))
    # The personas the benchmark logs in as come first among their kind.
    personas = {
        (role, None if role in MUNICIPAL_ROLES else providers[0].pk): persona(size, name)
        for role, name in PERSONAS.items()
    }
    password = make_password(DEMO_PASSWORD)
    users: list[User] = []
    for number, (role, provider, _teams) in enumerate(plan, start=1):
        first, last = people.name()
        username = personas.pop((role, provider.pk if provider else None), None)
        users.append(
            User(
                username=username or f"{size.slug}.{number:05d}",
                first_name=first,
                last_name=last,
                email=f"{username or number}@{size.slug}.example",
                password=password,
                national_id=people.national_id(1962, 2001),
                phone=people.phone(),
                preferred_language="sv",
            )
        )
    users = bulk(User, users)
    assignments = bulk(
        RoleAssignment,
        [
            RoleAssignment(user=user, role=role, municipality=municipality, provider=provider)
            for user, (role, provider, _teams) in zip(users, plan, strict=True)
        ],
    )
    through = RoleAssignment.teams.through
    bulk(
        through,
        [
            through(roleassignment_id=a.pk, team_id=team.pk)
            for a, (_role, _provider, member_of) in zip(assignments, plan, strict=True)
            for team in member_of
        ],
    )
    progress(f"{len(users)} staff")

    # Clients: the municipality's own provider has twice the share of each private one.
    weights = [2 if t.provider_id == providers[0].pk else 1 for t in teams]
    cumulative = list(itertools.accumulate(weights))
    clients: list[Client] = []
    for number in range(1, size.clients + 1):
        team = teams[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        client = make_client(people, municipality, team.provider, team, number, today)
        roll = rng.random()
        if roll < 0.03:
            client.end_date = today - dt.timedelta(days=rng.randint(1, 365))
            client.start_date = min(client.start_date, client.end_date - dt.timedelta(days=90))
        elif roll < 0.04:
            client.start_date = today + dt.timedelta(days=rng.randint(1, 30))
        clients.append(client)
    # About one staff member in two hundred is also a client of a provider in the city.
    staff_clients = rng.sample(range(len(clients)), max(1, len(users) // 200))
    for index, user in zip(staff_clients, rng.sample(users, len(staff_clients)), strict=True):
        clients[index].national_id = user.national_id
    clients = bulk(Client, clients)
    progress(f"{len(clients)} clients")

    granted: list[GrantedService] = []
    consents: list[Consent] = []
    for number, client in enumerate(clients, start=1):
        items = make_granted_services(people, client, service_types, today, number)
        granted.extend(items)
        consents.extend(make_consents(people, client, items, today))
    _insert(GrantedService, granted)
    _insert(Consent, consents)
    progress(f"{len(granted)} granted services, {len(consents)} consents")

    progress("access log")
    log_rows = _access_log(people, users, plan, clients, size.log_rows, progress)
    _stamp_reader_providers(municipality)
    return {
        "providers": len(providers),
        "teams": len(teams),
        "staff": len(users),
        "clients": len(clients),
        "granted services": len(granted),
        "consents": len(consents),
        "access-log rows": log_rows,
    }


_ACTIONS = (
    (AccessAction.LIST, 0.40),
    (AccessAction.DETAIL, 0.52),
    (AccessAction.DOOR_CODE, 0.05),
    (AccessAction.SEARCH, 0.02),
    (AccessAction.EXPORT, 0.01),
)


def _access_log(
    people: People,
    users: list[User],
    plan: list[tuple[Role, Provider | None, list[Team]]],
    clients: list[Client],
    rows: int,
    progress: Callable[[str], None],
) -> int:
    """A year of reads, flagged as `services.log_client_access` would flag them.

    Written in bulk (the service writes one reader's reads at a time and stamps them now);
    the flag rules are the service's: own record, another staff member's record, a client
    outside the reader's teams, for a record opened (never for a name in a list).
    """
    if rows <= 0:
        return 0
    rng = people.rng
    staff_ids = {u.national_id for u in users}
    readers: list[_Reader] = []
    weights: list[float] = []
    for user, (role, provider, member_of) in zip(users, plan, strict=True):
        readers.append(
            _Reader(
                user_id=user.pk,
                provider_id=provider.pk if provider else None,
                team_ids=frozenset(t.pk for t in member_of),
                teams=sorted(t.pk for t in member_of),
                national_id=user.national_id,
                # A phone at work and a desktop in the office.
                addresses=[
                    f"10.{rng.randint(20, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}"
                    for _ in range(2)
                ],
            )
        )
        weights.append(
            {
                Role.CARE_WORKER: 1.0,
                Role.NIGHT_SUPERVISOR: 0.8,
                Role.TEAM_LEADER: 1.5,
                Role.ALARM_OPERATOR: 2.0,
                Role.WELFARE_TECH: 0.5,
            }.get(role, 0.2)
        )
    cumulative = list(itertools.accumulate(weights))
    by_team: dict[int | None, list[Client]] = {}
    by_provider: dict[int, list[Client]] = {}
    for client in clients:
        by_team.setdefault(client.team_id, []).append(client)
        by_provider.setdefault(client.provider_id, []).append(client)

    # Reads are appended in time order, as the live log is: ids rise with time.
    now = timezone.now()
    year = 365 * 24 * 3600
    offsets = sorted((rng.random() * year for _ in range(rows)), reverse=True)
    chosen_readers = rng.choices(readers, cum_weights=cumulative, k=rows)
    actions = rng.choices([a for a, _odds in _ACTIONS], [odds for _a, odds in _ACTIONS], k=rows)
    adapt = connection.ops.adapt_datetimefield_value
    written = 0
    batch: list[tuple[Any, ...]] = []
    for offset, reader, action in zip(offsets, chosen_readers, actions, strict=True):
        if reader.provider_id is None:
            client = rng.choice(clients)
        elif reader.teams and rng.random() < 0.96:
            client = rng.choice(by_team[rng.choice(reader.teams)])
        else:
            client = rng.choice(by_provider[reader.provider_id])
        # A name in a list is never flagged (services.log_client_access): only records opened.
        flagged = action not in LIST_ACTIONS
        own = flagged and client.national_id == reader.national_id
        if action == AccessAction.LIST:
            path = "/clients/"
        elif action == AccessAction.DOOR_CODE:
            path = f"/clients/{client.pk}/door-code/"
        else:
            path = f"/clients/{client.pk}/"
        batch.append(
            (
                adapt(now - dt.timedelta(seconds=offset)),
                reader.user_id,
                client.pk,
                client.municipality_id,
                str(action),
                path,
                rng.choice(reader.addresses),
                own,
                flagged and not own and client.national_id in staff_ids,
                flagged and bool(reader.team_ids) and client.team_id not in reader.team_ids,
            )
        )
        if len(batch) >= LOG_BATCH:
            written += _write_log(batch)
            batch = []
            if written % 100_000 == 0:
                progress(f"{written} access-log rows")
    written += _write_log(batch)
    return written


def _insert(model: type[Any], objects: list[Any]) -> None:
    """INSERT model instances without bulk_create's per-value preparation, which costs more
    than the database at this size; only plain fields, dates and times need adapting."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    adapters: list[Callable[[Any], Any] | None] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif kind in ("CharField", "TextField") and not f.null:
            adapters.append(str)  # choices are enum members; the column wants their value
        else:
            adapters.append(None)
    rows = [
        tuple(
            adapt(getattr(obj, f.attname)) if adapt else getattr(obj, f.attname)
            for f, adapt in zip(fields, adapters, strict=True)
        )
        for obj in objects
    ]
    for start in range(0, len(rows), LOG_BATCH):
        _insert_rows(model, [f.column for f in fields], rows[start : start + LOG_BATCH])


def _insert_rows(model: type[Any], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # COPY is several times faster than even pipelined INSERTs.
        copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            "FROM STDIN"
        )
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (names, not input)
        f"({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


_LOG_COLUMNS = (
    "at",
    "user_id",
    "client_id",
    "municipality_id",
    "action",
    "path",
    "remote_addr",
    "own_record",
    "colleague_record",
    "outside_teams",
)


def _write_log(batch: list[tuple[Any, ...]]) -> int:
    return _insert_rows(AccessLogEntry, _LOG_COLUMNS, batch)


def _stamp_reader_providers(municipality: Municipality) -> None:
    """Each seeded read's providers, as `log_client_access` stamps them: the reader's
    providers, which in the seed are those of their role assignments (one each)."""
    quote = connection.ops.quote_name
    entries = quote(AccessLogEntry._meta.db_table)
    readers = quote(AccessLogReaderProvider._meta.db_table)
    roles = quote(RoleAssignment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {readers} (entry_id, provider_id) "  # noqa: S608 (names, not input)
            f"SELECT DISTINCT e.id, r.provider_id FROM {entries} e "
            f"JOIN {roles} r ON r.user_id = e.user_id AND r.provider_id IS NOT NULL "
            "WHERE e.municipality_id = %s",
            [municipality.pk],
        )
