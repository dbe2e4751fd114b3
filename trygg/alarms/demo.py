"""Demo alarm units for the demo municipality: `trygg seed --demo` calls `seed_demo`.

Safety alarms that a DC-09 or SCAIP test tool can play the part of (README, "Demo alarm
units"): DC-09 accounts 1001-1010 unencrypted and 2001 with AES-128, SCAIP controllers
4600000001-4600000010, each placed with a demo client; and three emergency alarms
(akutlarm, DC-09 accounts 3001-3003) held by the providers. They are not supervised until
they first report, so a demo that nobody sends frames to raises no lost connections.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Q

from trygg.core.constants import Role, ServiceCategory
from trygg.core.models import Client, Municipality, Provider, RoleAssignment, User
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import local_today, place_unit, register_alarm_unit

DEMO_ALARM_SEED = 20261122
DC09_ACCOUNTS = tuple(str(n) for n in range(1001, 1011))
DC09_ENCRYPTED_ACCOUNT = "2001"
# Published in the README for test tools: a demo key, never one in use anywhere.
DC09_DEMO_KEY = "000102030405060708090A0B0C0D0E0F"
SCAIP_CONTROLLER_IDS = tuple(str(4600000000 + n) for n in range(1, 11))
EMERGENCY_ACCOUNTS = ("3001", "3002", "3003")
DC09_HEARTBEAT = (300, 60)  # interval and grace, seconds
SCAIP_HEARTBEAT = (900, 120)


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> int:
    """Register and place the demo alarm units, once. Returns how many units it made; 0
    when the municipality already has alarm units (or lacks the demo's people)."""
    if AlarmUnit.objects.filter(municipality=municipality).exists():
        return 0
    tech = _welfare_tech(municipality)
    providers = list(Provider.objects.filter(municipality=municipality, is_active=True))
    today = today or local_today(municipality)
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
                model_name=f"Demo safety alarm ({label})",
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
                model_name="Demo emergency alarm (DC09)",
                protocol=AlarmProtocol.DC09,
                kind=AlarmUnitKind.EMERGENCY_ALARM,
                dc09_account=account,
                heartbeat_interval=DC09_HEARTBEAT[0],
                heartbeat_grace=DC09_HEARTBEAT[1],
            )
            provider = providers[i % len(providers)]
            place_unit(tech, unit, provider=provider, active_from=today - dt.timedelta(days=400))
            made += 1
    return made


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
