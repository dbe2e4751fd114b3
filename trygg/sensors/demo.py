"""Demo infrared cameras: `trygg seed --demo` calls `seed_demo`. Three clients of the
demo's providers get a RoomMate-type camera, a consent to sensor supervision with a review
date, and rules (a fall around the clock at high priority, left bed and not back in bed at
night); the night before today is played through the services, so the pages have events.
Not supervised until heard from, so a demo nobody simulates raises no lost connections.
`trygg sensors simulate` plays more through the real endpoint."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trygg.alarms.models import AlarmPriority
from trygg.core.constants import ConsentRelation, Role, Technology
from trygg.core.models import Client, Consent, Municipality, RoleAssignment, User
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import place_unit, register_alarm_unit

from . import services
from .simulator import night

DEMO_SEED = 20261207
CAMERAS = 3
SERIAL = "DEMO-ROOMMATE-{n}"


def _people(municipality: Municipality, role: str) -> User | None:
    found = (
        RoleAssignment.objects.filter(municipality=municipality, role=role)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return found.user if found else None


def seed_demo(municipality: Municipality) -> int:
    if AlarmUnit.objects.filter(
        municipality=municipality, kind=AlarmUnitKind.INFRARED_CAMERA
    ).exists():
        return 0
    tech = _people(municipality, Role.WELFARE_TECH)
    admin = _people(municipality, Role.MUNICIPAL_ADMIN)
    if tech is None or admin is None:
        return 0
    today = municipality.today()
    placed = AlarmPlacement.objects.filter(client__isnull=False).values("client")
    clients = list(
        Client.objects.filter(municipality=municipality)
        .active_on(today)
        .exclude(pk__in=placed)
        .order_by("provider_id", "pk")
    )
    chosen: list[Client] = []
    for client in clients:  # one per provider first, so every provider's manager sees one
        if client.provider_id not in {c.provider_id for c in chosen}:
            chosen.append(client)
    chosen = (chosen + [c for c in clients if c not in chosen])[:CAMERAS]
    rng = random.Random(DEMO_SEED)
    with transaction.atomic():
        for n, client in enumerate(chosen, 1):
            camera = register_alarm_unit(
                tech,
                municipality,
                serial_number=SERIAL.format(n=n),
                model_name="RoomMate infraröd kamera, demo",
                protocol=AlarmProtocol.API,
                kind=AlarmUnitKind.INFRARED_CAMERA,
                heartbeat_interval=300,
                heartbeat_grace=60,
            )
            place_unit(tech, camera, client=client, active_from=today - dt.timedelta(days=30))
            Consent.objects.create(
                client=client,
                technology=Technology.SENSOR_SUPERVISION,
                given_by=client.full_name,
                relation=ConsentRelation.CLIENT,
                given_on=today - dt.timedelta(days=32),
                review_on=today + dt.timedelta(days=150 - 60 * n),
                note="Digital tillsyn med infraröd kamera enligt genomförandeplanen.",
            )
            rules = [
                ("fall", dt.time(0), dt.time(0), AlarmPriority.HIGH),
                ("left_bed", dt.time(22), dt.time(7), AlarmPriority.NORMAL),
                ("not_back_in_bed", dt.time(22), dt.time(7), AlarmPriority.HIGH),
                ("covered", dt.time(0), dt.time(0), AlarmPriority.NORMAL),
            ]
            for kind, starts, ends, priority in rules[: 2 + n % 3]:
                services.save_rule(
                    admin, client, kind=kind, starts=starts, ends=ends, priority=priority
                )
            bedtime = dt.datetime.combine(
                today - dt.timedelta(days=1), dt.time(22, rng.randint(0, 50)), municipality.zone
            )
            played = [p for p in night(bedtime, rng) if p.at < timezone.now()]
            # Last night, recorded: late now, so the demo's queue is not flooded.
            services.record_sensor_events(
                camera,
                [
                    services.ReportedEvent(f"demo-{n}-{i}", p.kind, p.at, p.minutes, p.room)
                    for i, p in enumerate(played)
                ],
            )
            # Heard from only when someone simulates it: unsupervised until then.
            AlarmUnit.objects.filter(pk=camera.pk).update(
                last_seen_at=None, supervision_due_at=None
            )
    return len(chosen)
