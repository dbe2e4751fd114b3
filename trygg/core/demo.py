"""Demo data for `make demo`, and city-scale data for the benchmarks.

Everything here is synthetic: names from Faker's Swedish locale, street names with made-up
numbers in a postal-code range no real place uses, phone numbers from the ranges the
Swedish regulator (PTS) reserves for fiction, and national ids that pass the check digit
but are generated, not looked up. A fixed random seed makes each run produce the same
people, so screenshots and benchmark figures are stable.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import transaction

from trygg.lib.national_ids import luhn_check_digit

from . import services, tokens
from .constants import (
    MUNICIPAL_ROLES,
    AccessAction,
    ConsentRelation,
    Country,
    Period,
    ProviderKind,
    Role,
    ServiceCategory,
    Technology,
)
from .models import (
    AccessLogEntry,
    Client,
    Consent,
    GrantedService,
    Municipality,
    Provider,
    RoleAssignment,
    ServiceType,
    Team,
    User,
)
from .people import People

DEMO_CODE = "9999"
DEMO_NAME = "Trygghetsbo kommun"
DEMO_CITY = "Trygghetsbo"
# Shown on the login screen of a demo that runs on loopback; never used anywhere else.
DEMO_PASSWORD = "trygghet-demo"  # noqa: S105
DEMO_TOKEN_NAME = "Verksamhetssystemet (demo)"  # noqa: S105 (a name, not a secret)
DEMO_SEED = 20240611


BATCH = 2000


# Shared helpers -----------------------------------------------------------------------


def org_number(nine: str) -> str:
    """A Swedish organisation number with its Luhn check digit, as NNNNNN-NNNN."""
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    category: ServiceCategory
    period: Period
    minutes: tuple[int, ...]


CATALOGUE: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "PERS",
        "Personlig omvårdnad",
        ServiceCategory.PERSONAL_CARE,
        Period.WEEK,
        (90, 120, 180, 240, 300, 420, 600, 840),
    ),
    ServiceSpec(
        "DUSCH", "Dusch och hygien", ServiceCategory.PERSONAL_CARE, Period.WEEK, (30, 45, 60)
    ),
    ServiceSpec(
        "SERV",
        "Serviceinsatser (städ, tvätt)",
        ServiceCategory.SERVICE,
        Period.MONTH,
        (120, 180, 240, 300),
    ),
    ServiceSpec("INKOP", "Inköp", ServiceCategory.SERVICE, Period.WEEK, (30, 45, 60)),
    ServiceSpec(
        "NATT",
        "Nattillsyn, besök",
        ServiceCategory.NIGHT_SUPERVISION,
        Period.DAY,
        (10, 15, 20, 30),
    ),
    ServiceSpec(
        "NATTKAM",
        "Nattillsyn via kamera",
        ServiceCategory.NIGHT_SUPERVISION,
        Period.DAY,
        (2, 3, 4, 6),
    ),
    ServiceSpec("LARM", "Trygghetslarm", ServiceCategory.SAFETY_ALARM, Period.MONTH, (30, 60)),
    ServiceSpec("MAT", "Matdistribution", ServiceCategory.MEAL_DELIVERY, Period.DAY, (5, 10)),
    ServiceSpec("LEDS", "Ledsagning", ServiceCategory.ESCORT, Period.MONTH, (120, 240, 360)),
    ServiceSpec(
        "AVL", "Avlösning i hemmet", ServiceCategory.RESPITE, Period.MONTH, (240, 480, 960)
    ),
)

# How likely a client is to be granted each service (the rest follow from these).
_SERVICE_ODDS = {
    "PERS": 0.65,
    "DUSCH": 0.25,
    "SERV": 0.75,
    "INKOP": 0.35,
    "NATT": 0.12,
    "NATTKAM": 0.10,
    "LARM": 0.72,
    "MAT": 0.30,
    "LEDS": 0.08,
    "AVL": 0.05,
}


def make_catalogue(municipality: Municipality) -> dict[str, ServiceType]:
    ServiceType.objects.bulk_create(
        ServiceType(municipality=municipality, code=s.code, name=s.name, category=s.category)
        for s in CATALOGUE
    )
    return {t.code: t for t in ServiceType.objects.filter(municipality=municipality)}


_SPEC = {s.code: s for s in CATALOGUE}


def make_granted_services(
    people: People,
    client: Client,
    service_types: dict[str, ServiceType],
    today: dt.date,
    number: int,
) -> list[GrantedService]:
    """What the case officer granted this client, with a changed decision now and then."""
    rng = people.rng
    codes = [code for code, odds in _SERVICE_ODDS.items() if rng.random() < odds]
    if "NATT" in codes and "NATTKAM" in codes:
        codes.remove("NATT")
    if not codes:
        codes = ["LARM"]
    result: list[GrantedService] = []
    for index, code in enumerate(codes):
        spec = _SPEC[code]
        valid_from = client.start_date + dt.timedelta(days=rng.randint(0, 20))
        if client.start_date > today:
            valid_from = client.start_date
        valid_to = client.end_date
        if valid_to is not None and valid_to < valid_from:
            valid_from = client.start_date
        minutes = rng.choice(spec.minutes)
        changed_on = valid_from + dt.timedelta(days=rng.randint(60, 500))
        if (
            code == "PERS"
            and rng.random() < 0.25
            and changed_on < today
            and (valid_to is None or changed_on < valid_to)
        ):
            # A reassessment raised the granted time: the old decision ends, a new one starts.
            result.append(
                GrantedService(
                    client=client,
                    service_type=service_types[code],
                    provider_id=client.provider_id,
                    case_system_id=f"INS-{number:06d}-{index}a",
                    granted_minutes=minutes,
                    period=spec.period,
                    valid_from=valid_from,
                    valid_to=changed_on - dt.timedelta(days=1),
                )
            )
            valid_from = changed_on
            minutes = min(minutes + rng.choice((60, 90, 120)), 1200)
        result.append(
            GrantedService(
                client=client,
                service_type=service_types[code],
                provider_id=client.provider_id,
                case_system_id=f"INS-{number:06d}-{index}",
                granted_minutes=minutes,
                period=spec.period,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )
    return result


_TECHNOLOGY_FOR_SERVICE = {
    "LARM": Technology.SAFETY_ALARM,
    "NATTKAM": Technology.CAMERA_SUPERVISION,
}


def make_consents(
    people: People, client: Client, granted: Sequence[GrantedService], today: dt.date
) -> list[Consent]:
    """Consents to the technologies the services use, some due for review, a few withdrawn."""
    rng = people.rng
    codes = {g.service_type.code for g in granted}
    technologies = [tech for code, tech in _TECHNOLOGY_FOR_SERVICE.items() if code in codes]
    if "PERS" in codes and rng.random() < 0.45:
        technologies.append(Technology.DIGITAL_LOCK)
    if rng.random() < 0.04:
        technologies.append(Technology.SENSOR_SUPERVISION)
    if rng.random() < 0.03:
        technologies.append(Technology.GPS_ALARM)
    result: list[Consent] = []
    for tech in technologies:
        given_on = min(client.start_date, today) - dt.timedelta(days=rng.randint(1, 14))
        review_on = None
        if rng.random() < 0.35:
            # Reviews are booked ahead; some have come due and wait for someone to act.
            review_on = max(
                today + dt.timedelta(days=rng.randint(-60, 400)),
                given_on + dt.timedelta(days=30),
            )
        withdrawn_on = None
        if rng.random() < 0.03 and given_on < today - dt.timedelta(days=30):
            withdrawn_on = given_on + dt.timedelta(days=rng.randint(20, (today - given_on).days))
        if rng.random() < 0.15:
            first, last = people.name()
            given_by, relation = f"{first} {last}", ConsentRelation.REPRESENTATIVE
            note = "God man."
        else:
            given_by, relation, note = client.full_name, ConsentRelation.CLIENT, ""
        result.append(
            Consent(
                client=client,
                technology=tech,
                given_by=given_by,
                relation=relation,
                given_on=given_on,
                review_on=review_on,
                withdrawn_on=withdrawn_on,
                note=note,
            )
        )
        if tech == Technology.CAMERA_SUPERVISION and rng.random() < 0.3:
            # Someone living in the home is on camera too and must consent as well.
            first, _last = people.name()
            result.append(
                Consent(
                    client=client,
                    technology=tech,
                    given_by=f"{first} {client.last_name}",
                    relation=ConsentRelation.COHABITANT,
                    given_on=given_on,
                    review_on=review_on,
                )
            )
    return result


def bulk(model: type[Any], objects: Sequence[Any]) -> list[Any]:
    return list(model.objects.bulk_create(objects, batch_size=BATCH))


# The demo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProvider:
    key: str
    name: str
    org_nine: str
    kind: ProviderKind
    teams: tuple[tuple[str, str, int], ...]  # (name, code, clients)
    staff: tuple[tuple[Role, int], ...]


DEMO_PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider(
        "kommun",
        "Hemtjänsten Trygghetsbo",
        "212000999",
        ProviderKind.MUNICIPAL,
        (("Norr", "NORR", 115), ("Söder", "SODER", 105)),
        (
            (Role.PROVIDER_MANAGER, 1),
            (Role.TEAM_LEADER, 2),
            (Role.CARE_WORKER, 20),
            (Role.NIGHT_SUPERVISOR, 4),
        ),
    ),
    DemoProvider(
        "norrsken",
        "Norrsken Omsorg AB",
        "559301472",
        ProviderKind.PRIVATE,
        (("Öster", "OSTER", 100),),
        (
            (Role.PROVIDER_MANAGER, 1),
            (Role.TEAM_LEADER, 1),
            (Role.CARE_WORKER, 8),
            (Role.NIGHT_SUPERVISOR, 2),
        ),
    ),
    DemoProvider(
        "lindgarden",
        "Lindgårdens Hemtjänst AB",
        "559418263",
        ProviderKind.PRIVATE,
        (("Väster", "VASTER", 80),),
        (
            (Role.PROVIDER_MANAGER, 1),
            (Role.TEAM_LEADER, 1),
            (Role.CARE_WORKER, 7),
            (Role.NIGHT_SUPERVISOR, 1),
        ),
    ),
)
DEMO_MUNICIPAL_STAFF: tuple[tuple[Role, int], ...] = (
    (Role.ALARM_OPERATOR, 4),
    (Role.WELFARE_TECH, 3),
    (Role.MUNICIPAL_ADMIN, 1),
    (Role.AUDITOR, 2),
)
# The logins printed for the demo: (username, role, provider key or None, team code or None).
# Each is the first staff member of its kind; the rest get generated user names.
DEMO_LOGINS: tuple[tuple[str, Role, str | None, str | None], ...] = (
    ("omsorg", Role.CARE_WORKER, "kommun", "NORR"),
    ("teamledare", Role.TEAM_LEADER, "kommun", "NORR"),
    ("natt", Role.NIGHT_SUPERVISOR, "kommun", None),
    ("chef", Role.PROVIDER_MANAGER, "kommun", None),
    ("omsorg.norrsken", Role.CARE_WORKER, "norrsken", "OSTER"),
    ("chef.norrsken", Role.PROVIDER_MANAGER, "norrsken", None),
    ("omsorg.lindgarden", Role.CARE_WORKER, "lindgarden", "VASTER"),
    ("chef.lindgarden", Role.PROVIDER_MANAGER, "lindgarden", None),
    ("larm", Role.ALARM_OPERATOR, None, None),
    ("vft", Role.WELFARE_TECH, None, None),
    ("admin", Role.MUNICIPAL_ADMIN, None, None),
    ("revisor", Role.AUDITOR, None, None),
)
DEMO_CLIENTS = sum(n for p in DEMO_PROVIDERS for _name, _code, n in p.teams)
# Staff per provider and at the municipality, plus one care worker employed by two providers.
DEMO_STAFF = (
    sum(n for p in DEMO_PROVIDERS for _role, n in p.staff)
    + sum(n for _role, n in DEMO_MUNICIPAL_STAFF)
    + 1
)
DEMO_ENDED_CLIENTS = 8
DEMO_STARTING_CLIENTS = 6
DEMO_STAFF_WHO_ARE_CLIENTS = 3


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    provider: str


@dataclass
class SeedResult:
    created: bool
    logins: list[DemoLogin] = field(default_factory=list)
    token: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def demo_logins() -> list[DemoLogin]:
    """The demo's printed logins as they are in the database now."""
    usernames = [u for u, _role, _provider, _team in DEMO_LOGINS]
    assignments = (
        RoleAssignment.objects.filter(user__username__in=usernames, municipality__code=DEMO_CODE)
        .select_related("user", "provider", "municipality")
        .order_by("user__username")
    )
    by_user: dict[str, RoleAssignment] = {}
    for assignment in assignments:
        by_user.setdefault(assignment.user.username, assignment)
    result = []
    for username in usernames:
        found = by_user.get(username)
        if found is None:
            continue
        where = found.provider.name if found.provider else found.municipality.name
        result.append(DemoLogin(username, str(Role(found.role).label), str(where)))
    return result


def login_table(logins: list[DemoLogin]) -> list[str]:
    """The demo's logins as lines for a terminal: who to log in as, with the one password."""
    if not logins:
        return []
    widths = [
        max(len(header), *(len(getattr(row, attr)) for row in logins))
        for header, attr in (("User name", "username"), ("Role", "role"))
    ]
    return [
        f"Demo logins, password {DEMO_PASSWORD!r} for all:",
        f"  {'User name':<{widths[0]}}  {'Role':<{widths[1]}}  Provider",
        *(
            f"  {row.username:<{widths[0]}}  {row.role:<{widths[1]}}  {row.provider}"
            for row in logins
        ),
    ]


def _staff_user(people: People, username: str, first: str, last: str, password: str) -> User:
    return User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@trygghetsbo.example",
        password=password,
        national_id=people.national_id(1962, 2001),
        phone=people.phone(),
        preferred_language="sv",
    )


def _unique_username(first: str, last: str, taken: set[str]) -> str:
    base = _ascii(f"{first}.{last}")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def _ascii(text: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
    return re.sub(r"[^a-z0-9.]", "", text.lower().translate(table))


def seed_app_demos(municipality: Municipality) -> dict[str, Any]:
    """Each installed Trygg app's own demo content (orders, phones, outages, support lines),
    from its `demo.seed_demo(municipality)`. Those are idempotent, so this runs on every
    `trygg seed --demo`: an app added since the demo was made fills in its part."""
    made: dict[str, Any] = {}
    for config in django_apps.get_app_configs():
        if not config.name.startswith("trygg.") or config.name == "trygg.core":
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        made[config.label] = module.seed_demo(municipality)
    return made


def seed_demo(today: dt.date | None = None) -> SeedResult:
    """Create the demo municipality once; afterwards just report its logins."""
    if Municipality.objects.filter(code=DEMO_CODE).exists():
        return SeedResult(created=False, logins=demo_logins())
    with transaction.atomic():
        result = _create_demo(today)
    result.logins = demo_logins()
    return result


def _create_demo(today: dt.date | None) -> SeedResult:
    people = People(DEMO_SEED, DEMO_CITY)
    rng = people.rng
    municipality = Municipality.objects.create(
        name=DEMO_NAME, code=DEMO_CODE, country=Country.SWEDEN, time_zone="Europe/Stockholm"
    )
    today = today or municipality.today()
    service_types = make_catalogue(municipality)
    providers: dict[str, Provider] = {}
    teams: dict[str, Team] = {}
    for spec in DEMO_PROVIDERS:
        provider = Provider.objects.create(
            municipality=municipality,
            name=spec.name,
            org_number=org_number(spec.org_nine),
            kind=spec.kind,
        )
        providers[spec.key] = provider
        for name, code, _count in spec.teams:
            teams[code] = Team.objects.create(provider=provider, name=name, code=code)

    # Staff ---------------------------------------------------------------------------
    password = make_password(DEMO_PASSWORD)
    named = {(role, provider): (u, team) for u, role, provider, team in DEMO_LOGINS}
    taken = {u for u, _r, _p, _t in DEMO_LOGINS}
    plan: list[tuple[Role, str | None, list[str]]] = []  # role, provider key, team codes
    for spec in DEMO_PROVIDERS:
        codes = [code for _name, code, _n in spec.teams]
        for role, count in spec.staff:
            for i in range(count):
                if role in (Role.CARE_WORKER, Role.TEAM_LEADER):
                    team_codes = [codes[i % len(codes)]]
                elif role == Role.NIGHT_SUPERVISOR:
                    team_codes = codes
                else:
                    team_codes = []
                plan.append((role, spec.key, team_codes))
    for role, count in DEMO_MUNICIPAL_STAFF:
        plan.extend((role, None, []) for _ in range(count))

    users: list[User] = []
    user_teams: list[list[str]] = []
    for role, provider_key, team_codes in plan:
        first, last = people.name()
        login = named.pop((role, provider_key), None)
        if login is not None:
            username, team_code = login
            team_codes = [team_code] if team_code else team_codes
        else:
            username = _unique_username(first, last, taken)
        users.append(_staff_user(people, username, first, last, password))
        user_teams.append(team_codes)
    # One care worker also takes shifts at a private provider (common with extra staff).
    first, last = people.name()
    extra = _staff_user(people, _unique_username(first, last, taken), first, last, password)
    users = bulk(User, [*users, extra])
    extra = users.pop()

    assignments = [
        RoleAssignment(
            user=user,
            role=role,
            municipality=municipality,
            provider=providers[provider_key] if provider_key else None,
        )
        for user, (role, provider_key, _codes) in zip(users, plan, strict=True)
    ]
    assignment_teams = list(user_teams)
    for key, code in (("kommun", "SODER"), ("norrsken", "OSTER")):
        assignments.append(
            RoleAssignment(
                user=extra,
                role=Role.CARE_WORKER,
                municipality=municipality,
                provider=providers[key],
            )
        )
        assignment_teams.append([code])
    assignments = bulk(RoleAssignment, assignments)
    through = RoleAssignment.teams.through
    bulk(
        through,
        [
            through(roleassignment_id=a.pk, team_id=teams[code].pk)
            for a, codes in zip(assignments, assignment_teams, strict=True)
            for code in codes
        ],
    )

    # Clients ---------------------------------------------------------------------------
    clients: list[Client] = []
    number = 0
    for spec in DEMO_PROVIDERS:
        for _name, code, count in spec.teams:
            for _ in range(count):
                number += 1
                clients.append(
                    make_client(
                        people, municipality, providers[spec.key], teams[code], number, today
                    )
                )
    ended = rng.sample(range(len(clients)), DEMO_ENDED_CLIENTS + DEMO_STARTING_CLIENTS)
    for index in ended[:DEMO_ENDED_CLIENTS]:
        client = clients[index]
        client.end_date = today - dt.timedelta(days=rng.randint(5, 150))
        client.start_date = min(client.start_date, client.end_date - dt.timedelta(days=200))
    for index in ended[DEMO_ENDED_CLIENTS:]:
        clients[index].start_date = today + dt.timedelta(days=rng.randint(2, 13))
    # A few staff members are clients too (younger people with home care exist); reads of
    # their records by colleagues are what the access log flags as a colleague's record.
    norr = [
        i
        for i, c in enumerate(clients)
        if c.team_id == teams["NORR"].pk and i not in ended and c.door_code
    ]
    staff_clients = norr[:DEMO_STAFF_WHO_ARE_CLIENTS]
    staff_for_clients = [
        u
        for u, (role, key, _codes), codes in zip(users, plan, user_teams, strict=True)
        if role == Role.CARE_WORKER and key == "kommun" and codes == ["SODER"]
    ][:DEMO_STAFF_WHO_ARE_CLIENTS]
    for index, staff_member in zip(staff_clients, staff_for_clients, strict=True):
        national_id = people.national_id(1958, 1963)
        clients[index].national_id = national_id
        staff_member.national_id = national_id
        User.objects.filter(pk=staff_member.pk).update(national_id=national_id)
    clients = bulk(Client, clients)

    granted: list[GrantedService] = []
    consents: list[Consent] = []
    for number, client in enumerate(clients, start=1):
        items = make_granted_services(people, client, service_types, today, number)
        granted.extend(items)
        consents.extend(make_consents(people, client, items, today))
    bulk(GrantedService, granted)
    bulk(Consent, consents)

    _demo_access_log(people, users, staff_for_clients, clients, staff_clients, today)
    _token, plain = tokens.create_token(DEMO_TOKEN_NAME, municipality, scopes="import")
    return SeedResult(
        created=True,
        token=plain,
        counts={
            "providers": len(providers),
            "teams": len(teams),
            "staff": len(users) + 1,
            "clients": len(clients),
            "granted services": len(granted),
            "consents": len(consents),
            "access-log rows": AccessLogEntry.objects.filter(
                client__municipality=municipality
            ).count(),
        },
    )


def make_client(
    people: People,
    municipality: Municipality,
    provider: Provider,
    team: Team | None,
    number: int,
    today: dt.date,
) -> Client:
    first, last = people.name()
    # About one in a hundred has a samordningsnummer (no Swedish population registration).
    coordination = people.chance(0.01)
    return Client(
        municipality=municipality,
        case_system_id=f"BRK-{number:06d}",
        national_id=people.national_id(1925, 1955, coordination),
        first_name=first,
        last_name=last,
        street=people.street(),
        postal_code=people.postal_code(),
        city=people.city,
        phone=people.phone(mobile=people.chance(0.6)),
        door_code=people.door_code() if people.chance(0.35) else "",
        languages=people.languages(),
        provider=provider,
        team=team,
        start_date=today - dt.timedelta(days=people.rng.randint(30, 8 * 365)),
    )


def _demo_access_log(
    people: People,
    users: list[User],
    staff_clients_users: list[User],
    clients: list[Client],
    staff_client_indexes: list[int],
    today: dt.date,
) -> None:
    """A few hundred reads through the real logging service, some of them flagged."""
    rng = people.rng
    by_user = {
        a.user_id: a
        for a in RoleAssignment.objects.filter(user__in=users).select_related("provider")
    }
    team_ids: dict[int, set[int]] = {}
    for user_id, team_id in RoleAssignment.teams.through.objects.filter(
        roleassignment__user__in=users
    ).values_list("roleassignment__user_id", "team_id"):
        team_ids.setdefault(user_id, set()).add(team_id)
    active = [c for c in clients if c.is_active_on(today)]

    def address() -> str:
        return f"10.20.{rng.randint(1, 40)}.{rng.randint(2, 250)}"

    for user in users:
        assignment = by_user[user.pk]
        if assignment.role in MUNICIPAL_ROLES:
            if assignment.role == Role.AUDITOR:
                continue
            pool = active
            reads = 4
        else:
            pool = [c for c in active if c.provider_id == assignment.provider_id]
            reads = 5
        own_teams = team_ids.get(user.pk, set())
        home = [c for c in pool if c.team_id in own_teams] or pool
        listed = sorted(rng.sample(home, min(5, len(home))), key=lambda c: c.last_name)
        services.log_client_access(
            user, listed, AccessAction.LIST, path="/clients/", remote_addr=address()
        )
        for _ in range(reads):
            # Now and then someone opens a record outside their own teams.
            client = rng.choice(pool if rng.random() < 0.15 else home)
            services.log_client_access(
                user,
                [client],
                AccessAction.DETAIL,
                path=f"/clients/{client.pk}/",
                remote_addr=address(),
            )
            if client.door_code and assignment.role in (Role.CARE_WORKER, Role.NIGHT_SUPERVISOR):
                services.log_client_access(
                    user,
                    [client],
                    AccessAction.DOOR_CODE,
                    path=f"/clients/{client.pk}/door-code/",
                    remote_addr=address(),
                )
    # Colleagues' records read, and one staff member who looked themselves up.
    readers = [u for u in users if u.username in ("omsorg", "teamledare", "natt")]
    for index in staff_client_indexes:
        client = clients[index]
        for reader in readers:
            services.log_client_access(
                reader,
                [client],
                AccessAction.DETAIL,
                path=f"/clients/{client.pk}/",
                remote_addr=address(),
            )
    if staff_clients_users:
        self_reader = staff_clients_users[0]
        own = clients[staff_client_indexes[0]]
        services.log_client_access(
            self_reader,
            [own],
            AccessAction.SEARCH,
            path=f"/clients/?q={own.national_id[:8]}",
            remote_addr=address(),
        )
        services.log_client_access(
            self_reader,
            [own],
            AccessAction.DETAIL,
            path=f"/clients/{own.pk}/",
            remote_addr=address(),
        )
