"""Demo infrared cameras: `trygg seed --demo` calls `seed_demo`. Three clients of the
demo's providers get a RoomMate-type camera, a consent to sensor supervision with a review
date, and rules (a fall around the clock at high priority, left bed and not back in bed at
night); nights of the last weeks are played through the services as they happened, their alarms
handled, so the pages and the report have something to show.
Each camera was last heard from a few minutes before the seed (a heartbeat through the real
path), and while the demo runs the worker keeps them beating (`beat_demo_cameras`, every
minute), the night-supervision demo's safety cameras too: a user walking the demo sees
living cameras, not "never heard from", and the cameras' heartbeat supervision is the real
one. Only the demo municipality's seeded cameras are beaten. A demo server started long
after the seed, or after a pause, finds their deadlines passed: the lost connections are
raised and, within the same pass of the worker, restored by the heartbeat, as a real camera
coming back would be.
`trygg sensors simulate` plays more through the real endpoint."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trygg.alarms.demo import DEMO_BEAT_EVERY, units_due_a_demo_beat
from trygg.alarms.ingest import OUTBOX_RAISED
from trygg.alarms.models import Alarm, AlarmCategory, AlarmCause, AlarmPriority, AlarmStatus
from trygg.core.constants import ConsentRelation, Role, Technology
from trygg.core.models import Client, Consent, Municipality, RoleAssignment, User
from trygg.core.outbox import OutboxMessage
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import place_unit, register_alarm_unit

from . import services
from .simulator import night

DEMO_SEED = 20261207
CAMERAS = 3
SERIAL = "DEMO-ROOMMATE-{n}"
# The cameras are beaten with the alarm units (alarms.demo: the interval, the serials'
# "DEMO-" that this seed's "DEMO-ROOMMATE-1" and supervision's "DEMO-KAM-001" begin with).


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
            _play_history(camera, n, rng, today, municipality)
            # Its last heartbeat a little while ago, as a camera beating every five minutes.
            heard = timezone.now() - dt.timedelta(seconds=rng.randint(15, DEMO_BEAT_EVERY))
            services.heartbeat(camera, now=heard)
    return len(chosen)


def beat_demo_cameras(now: dt.datetime | None = None) -> int:
    """A heartbeat for each of the demo's cameras placed with a client (this seed's infrared
    cameras and the night-supervision demo's safety cameras) due one, through the path a
    camera's own takes; returns how many."""
    now = now or timezone.now()
    cameras = units_due_a_demo_beat(
        now,
        placements__client__isnull=False,
        kind__in=(AlarmUnitKind.INFRARED_CAMERA, AlarmUnitKind.SAFETY_CAMERA),
    )
    return sum(1 for camera in cameras if services.heartbeat(camera, now=now))


HISTORY_NIGHTS = 12


def _play_history(
    camera: AlarmUnit, n: int, rng: random.Random, today: dt.date, municipality: Municipality
) -> None:
    """Nights before today, each event sent as it happened (so the rules raise their
    alarms), and every alarm then handled as the night staff would: acknowledged within
    minutes, someone on site for a call for help, closed with a cause. Spread over this
    month and the last, so the report has two months to show."""
    days = sorted({rng.randint(1, 40) for _ in range(HISTORY_NIGHTS)} | {1})
    for back in days:
        bedtime = dt.datetime.combine(
            today - dt.timedelta(days=back), dt.time(22, rng.randint(0, 50)), municipality.zone
        )
        for i, played in enumerate(night(bedtime, rng)):
            if played.at >= timezone.now():
                break
            services.record_sensor_events(
                camera,
                [
                    services.ReportedEvent(
                        f"demo-{n}-{back}-{i}", played.kind, played.at, played.minutes, played.room
                    )
                ],
                now=played.at + dt.timedelta(seconds=rng.randint(1, 20)),
            )
    raised = list(
        Alarm.objects.filter(unit=camera, sensor_event__isnull=False).order_by("created_at")
    )
    for alarm in raised:
        acknowledged = alarm.created_at + dt.timedelta(seconds=rng.randint(25, 420))
        care = alarm.category == AlarmCategory.CARE
        on_site = acknowledged + dt.timedelta(minutes=rng.randint(6, 28)) if care else None
        closed = (on_site or acknowledged) + dt.timedelta(minutes=rng.randint(3, 15))
        if alarm.code == "sensor_fall":
            cause = AlarmCause.FALL
        elif care:
            cause = rng.choice([AlarmCause.HELP_GIVEN, AlarmCause.NO_HELP_NEEDED])
        else:
            cause = AlarmCause.TECHNICAL_FIXED
        Alarm.objects.filter(pk=alarm.pk).update(
            status=AlarmStatus.CLOSED,
            acknowledged_at=acknowledged,
            on_site_at=on_site,
            closed_at=closed,
            cause=cause,
            escalate_at=None,
        )
    # History, not news: the dispatcher is not to route these when the demo starts.
    OutboxMessage.objects.filter(
        topic=OUTBOX_RAISED, subject_id__in=[alarm.pk for alarm in raised]
    ).delete()
