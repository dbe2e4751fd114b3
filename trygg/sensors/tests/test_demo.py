"""The demo's infrared cameras are living devices: heard from a little before the seed,
and beaten every minute while the demo runs, through the real heartbeat path; nothing
outside the demo municipality is touched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from trygg.alarms.heartbeats import raise_lost_connections
from trygg.alarms.models import Alarm, AlarmKind, AlarmStatus
from trygg.core.demo import DEMO_CODE
from trygg.devices import services as device_services
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.tests.places import Place
from trygg.sensors import demo

pytestmark = pytest.mark.django_db


def test_the_demo_cameras_are_heard_from_and_keep_beating(place: Place) -> None:
    place.municipality.code = DEMO_CODE
    place.municipality.save(update_fields=["code"])
    elsewhere = place.unit(
        protocol=AlarmProtocol.API,
        kind=AlarmUnitKind.INFRARED_CAMERA,
        municipality=place.elsewhere,
    )
    device_services.place_unit(
        place.foreign_tech, elsewhere, client=place.foreign_client, active_from=dt.date(2025, 1, 1)
    )
    before = timezone.now()
    assert demo.seed_demo(place.municipality) == 3
    cameras = list(AlarmUnit.objects.filter(municipality=place.municipality))
    assert len(cameras) == 3
    # The night-supervision demo's safety camera (no heartbeat supervision) is beaten too.
    safety = device_services.register_alarm_unit(
        place.tech,
        place.municipality,
        serial_number="DEMO-KAM-001",
        model_name="Trygghetskamera IR, demo",
        protocol=AlarmProtocol.API,
        kind=AlarmUnitKind.SAFETY_CAMERA,
        heartbeat_interval=0,
    )
    device_services.place_unit(
        place.tech, safety, client=place.other_client, active_from=dt.date(2025, 1, 1)
    )
    for camera in cameras:
        assert camera.last_seen_at is not None
        assert before - dt.timedelta(minutes=2) < camera.last_seen_at <= timezone.now()
        assert camera.supervision_due_at == camera.last_seen_at + dt.timedelta(seconds=360)
        assert not camera.connection_lost
    # Within a minute of their last heartbeat: only the safety camera, never heard from, is
    # beaten.
    soon = min(camera.last_seen_at for camera in cameras if camera.last_seen_at) + dt.timedelta(
        seconds=59
    )
    assert demo.beat_demo_cameras(soon) == 1
    safety.refresh_from_db()
    assert safety.last_seen_at is not None
    assert safety.supervision_due_at is None  # not supervised: no heartbeat interval

    # The demo server was down a while: the lost connections are raised, and the next beat
    # restores them, closing their alarms, as a real camera coming back does.
    later = timezone.now() + dt.timedelta(minutes=10)
    assert raise_lost_connections(later) == 3
    assert demo.beat_demo_cameras(later) == 4
    for camera in AlarmUnit.objects.filter(municipality=place.municipality):
        assert (camera.last_seen_at, camera.connection_lost) == (later, False)
    lost = Alarm.objects.filter(unit__in=cameras, kind=AlarmKind.CONNECTION_LOST)
    assert lost.count() == 3
    assert set(lost.values_list("status", flat=True)) == {AlarmStatus.CLOSED}
    elsewhere.refresh_from_db()
    assert elsewhere.last_seen_at is None


def test_nothing_is_beaten_without_a_demo(place: Place) -> None:
    camera = place.unit(protocol=AlarmProtocol.API, kind=AlarmUnitKind.INFRARED_CAMERA)
    device_services.place_unit(
        place.tech, camera, client=place.client, active_from=dt.date(2025, 1, 1)
    )
    assert demo.beat_demo_cameras() == 0
    camera.refresh_from_db()
    assert camera.last_seen_at is None
