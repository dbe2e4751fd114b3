"""Demo alarm units for the demo municipality: `trygg seed --demo` calls `seed_demo`.

Safety alarms that a DC-09 or SCAIP test tool can play the part of (README, "Demo alarm
units"): DC-09 accounts 1001-1010 unencrypted and 2001 with AES-128, SCAIP controllers
4600000001-4600000010, each placed with a demo client; and three emergency alarms
(akutlarm, DC-09 accounts 3001-3003) held by the providers.

They are living units, as the demo's cameras are (`sensors.demo`): each is heard from at the
seed, and while the demo runs the worker sends a NULL message (a heartbeat) for each through
the ingest the DC-09 and SCAIP receivers hand their frames to (`beat_demo_alarm_units`, every
minute), so a user walking the demo sees units last heard a minute ago, not "not heard from
yet", and their heartbeat supervision is the real one. Only the demo municipality's seeded
units ("DEMO-" serials) are beaten; a DC-09 or SCAIP test tool still plays a unit's alarms.

The responder organisation: two districts by postal code, each provider's own teams by
day, the municipality's evening patrol and night patrol, and how to get in for each alarm
customer (a key safe, the team's key cabinet, a digital lock).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from trygg.core.constants import Role, ServiceCategory
from trygg.core.models import Client, Municipality, Provider, RoleAssignment, Team, User
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import place_unit, register_alarm_unit
from trygg.receivers.incoming import IncomingSignal, IngestOutcome, Protocol

from .ingest import ingest
from .models import AlarmPolicy, District, ResponderShift

DEMO_ALARM_SEED = 20261122
DC09_ACCOUNTS = tuple(str(n) for n in range(1001, 1011))
DC09_ENCRYPTED_ACCOUNT = "2001"
# Published in the README for test tools: a demo key, never one in use anywhere.
DC09_DEMO_KEY = "000102030405060708090A0B0C0D0E0F"
SCAIP_CONTROLLER_IDS = tuple(str(4600000000 + n) for n in range(1, 11))
EMERGENCY_ACCOUNTS = ("3001", "3002", "3003")
DC09_HEARTBEAT = (300, 60)  # interval and grace, seconds
SCAIP_HEARTBEAT = (900, 120)
# How often the worker beats the demo's units (well inside every unit's interval), and how
# their serials begin.
DEMO_BEAT_EVERY = 60
DEMO_SERIALS = "DEMO-"


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> int:
    """Register and place the demo alarm units, once. Returns how many units it made; 0
    when the municipality already has alarm units (or lacks the demo's people)."""
    if AlarmUnit.objects.filter(municipality=municipality).exists():
        return 0
    tech = _welfare_tech(municipality)
    providers = list(Provider.objects.filter(municipality=municipality, is_active=True))
    today = today or municipality.today()
    safety = [(AlarmProtocol.DC09, account, "", "DC09") for account in DC09_ACCOUNTS] + [
        (AlarmProtocol.DC09, DC09_ENCRYPTED_ACCOUNT, DC09_DEMO_KEY, "DC09")
    ]
    safety += [(AlarmProtocol.SCAIP, cid, "", "SCAIP") for cid in SCAIP_CONTROLLER_IDS]
    clients = _alarm_clients(municipality, today, len(safety))
    if tech is None or not providers or len(clients) < len(safety):
        return 0
    rng = random.Random(DEMO_ALARM_SEED)
    made = 0
    with transaction.atomic():
        for (protocol, ref, key, label), client in zip(safety, clients, strict=True):
            interval, grace = DC09_HEARTBEAT if protocol == AlarmProtocol.DC09 else SCAIP_HEARTBEAT
            unit = register_alarm_unit(
                tech,
                municipality,
                serial_number=f"DEMO-{label}-{ref}",
                model_name=f"Trygghetslarm, demo ({label})",
                protocol=protocol,
                kind=AlarmUnitKind.SAFETY_ALARM,
                dc09_account=ref if protocol == AlarmProtocol.DC09 else "",
                scaip_controller_id=ref if protocol == AlarmProtocol.SCAIP else "",
                encryption_key=key,
                heartbeat_interval=interval,
                heartbeat_grace=grace,
            )
            since = today - dt.timedelta(days=rng.randint(20, 900))
            place_unit(tech, unit, client=client, active_from=max(since, client.start_date))
            made += 1
        for i, account in enumerate(EMERGENCY_ACCOUNTS):
            unit = register_alarm_unit(
                tech,
                municipality,
                serial_number=f"DEMO-AKUT-{account}",
                model_name="Akutlarm, demo (DC09)",
                protocol=AlarmProtocol.DC09,
                kind=AlarmUnitKind.EMERGENCY_ALARM,
                dc09_account=account,
                heartbeat_interval=DC09_HEARTBEAT[0],
                heartbeat_grace=DC09_HEARTBEAT[1],
            )
            provider = providers[i % len(providers)]
            place_unit(tech, unit, provider=provider, active_from=today - dt.timedelta(days=400))
            made += 1
        _entry_information(clients, rng)
        seed_responders(municipality)
        beat_demo_alarm_units()
    return made


def units_due_a_demo_beat(now: dt.datetime, **only: object) -> QuerySet[AlarmUnit]:
    """The demo municipality's seeded units (the demo's serials) placed on `now`'s day and
    not heard from in the last minute, narrowed by `only` (a protocol, a kind): what the
    worker's demo beats (alarm units here, cameras in sensors) send a heartbeat for. Empty
    where there is no demo municipality, after one read by its unique code."""
    from trygg.core.demo import DEMO_CODE  # the demo's code; no other path needs it

    municipality = Municipality.objects.filter(code=DEMO_CODE).first()
    if municipality is None:
        return AlarmUnit.objects.none()
    day = municipality.local_date(now)
    return (
        AlarmUnit.objects.filter(
            Q(placements__active_to__isnull=True) | Q(placements__active_to__gte=day),
            placements__active_from__lte=day,
            municipality=municipality,
            serial_number__startswith=DEMO_SERIALS,
            **only,
        )
        .filter(
            Q(last_seen_at__isnull=True)
            | Q(last_seen_at__lte=now - dt.timedelta(seconds=DEMO_BEAT_EVERY))
        )
        .distinct()
        .order_by("pk")
    )


def beat_demo_alarm_units(now: dt.datetime | None = None) -> int:
    """A NULL message (heartbeat) from each of the demo's seeded DC-09 and SCAIP units due
    one, through the ingest the receivers use; returns how many. Runs in the worker before
    `alarms.heartbeats` (jobs run by name), so a demo server started long after the seed
    restores its units before their overdue deadlines are raised."""
    now = now or timezone.now()
    units = units_due_a_demo_beat(now, protocol__in=(AlarmProtocol.DC09, AlarmProtocol.SCAIP))
    signals = [
        IncomingSignal(
            protocol=Protocol.DC09 if unit.protocol == AlarmProtocol.DC09 else Protocol.SCAIP,
            municipality_id=unit.municipality_id,
            unit_ref=unit.dc09_account or unit.scaip_controller_id,
            dedupe_key=f"demo-beat:{unit.pk}:{now.isoformat()}",
            received_at=now,
            events=(),
            raw=b"",
        )
        for unit in units
    ]
    if not signals:
        return 0
    return sum(1 for outcome in ingest(signals) if outcome == IngestOutcome.STORED)


KEY_PLACES = (
    "Nyckelgömma vid entrén (kod i larmets sida)",
    "Nyckelskåpet på hemtjänstkontoret, krok {n}",
    "Hos grannen, lägenhet 1{n:02d}",
)


def _entry_information(clients: list[Client], rng: random.Random) -> None:
    for i, client in enumerate(clients):
        client.digital_lock = i % 3 == 0
        client.key_location = "" if client.digital_lock else rng.choice(KEY_PLACES).format(n=i + 1)
        Client.objects.filter(pk=client.pk).update(
            digital_lock=client.digital_lock, key_location=client.key_location
        )


def seed_responders(municipality: Municipality) -> int:
    """The demo's responder shifts, once: returns how many it made."""
    if ResponderShift.objects.filter(municipality=municipality).exists():
        return 0
    own = (
        Provider.objects.filter(municipality=municipality, kind="municipal").order_by("pk").first()
    )
    if own is None:
        return 0
    teams = {
        t.code: t
        for t in Team.objects.filter(provider__municipality=municipality).select_related("provider")
    }
    if not {"NORR", "SODER"} <= teams.keys():
        return 0
    evening, _new = Team.objects.get_or_create(
        provider=own, code="KVALL", defaults={"name": "Larmpatrull kväll"}
    )
    night, _new = Team.objects.get_or_create(
        provider=own, code="NATT", defaults={"name": "Nattpatrullen"}
    )
    north = District.objects.create(
        municipality=municipality,
        code="norr",
        name="Norr",
        postal_codes="999 0, 999 1, 999 2, 999 3, 999 4",
    )
    south = District.objects.create(
        municipality=municipality,
        code="soder",
        name="Söder",
        postal_codes="999 5, 999 6, 999 7, 999 8, 999 9",
    )
    AlarmPolicy.objects.get_or_create(municipality=municipality)
    day, evening_start, night_start = dt.time(7), dt.time(16), dt.time(22)
    shifts = [
        ResponderShift(
            name="Dag Norr",
            team=teams["NORR"],
            backup_team=teams["SODER"],
            provider=own,
            district=north,
            starts=day,
            ends=evening_start,
        ),
        ResponderShift(
            name="Dag Söder",
            team=teams["SODER"],
            backup_team=teams["NORR"],
            provider=own,
            district=south,
            starts=day,
            ends=evening_start,
        ),
        ResponderShift(
            name="Kväll",
            team=evening,
            backup_team=night,
            starts=evening_start,
            ends=night_start,
            priority=200,
        ),
        ResponderShift(name="Natt", team=night, starts=night_start, ends=day, priority=200),
    ]
    # Private providers answer their own clients' alarms by day and evening.
    for team in teams.values():
        if team.provider_id != own.pk and team.provider.municipality_id == municipality.pk:
            shifts.append(
                ResponderShift(
                    name=f"Dag och kväll {team.name}",
                    team=team,
                    backup_team=evening,
                    provider=team.provider,
                    starts=day,
                    ends=night_start,
                )
            )
    for shift in shifts:
        shift.municipality = municipality
    ResponderShift.objects.bulk_create(shifts)
    # The night staff are the night patrol, and only that: whoever is in a team answers its
    # alarms whenever the team is on shift, so night staff left in the day teams would get
    # the day's alarms in their sleep. Some care workers also take evening shifts.
    for assignment in RoleAssignment.objects.filter(provider=own, role=Role.NIGHT_SUPERVISOR):
        assignment.teams.set([night])
    for assignment in RoleAssignment.objects.filter(provider=own, role=Role.CARE_WORKER).order_by(
        "pk"
    )[:4]:
        assignment.teams.add(evening)
    return len(shifts)


def _welfare_tech(municipality: Municipality) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            municipality=municipality, role=Role.WELFARE_TECH, provider__isnull=True
        )
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return assignment.user if assignment else None


def _alarm_clients(municipality: Municipality, today: dt.date, count: int) -> list[Client]:
    """Active clients granted a safety alarm, taken in turn from each provider."""
    granted = Q(
        granted_services__service_type__category=ServiceCategory.SAFETY_ALARM,
        granted_services__valid_from__lte=today,
    ) & (Q(granted_services__valid_to__isnull=True) | Q(granted_services__valid_to__gte=today))
    candidates = (
        Client.objects.filter(municipality=municipality)
        .active_on(today)
        .filter(granted)
        .distinct()
        .order_by("provider_id", "pk")
    )
    by_provider: dict[int, list[Client]] = {}
    for client in candidates:
        by_provider.setdefault(client.provider_id, []).append(client)
    chosen: list[Client] = []
    queues = list(by_provider.values())
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen
