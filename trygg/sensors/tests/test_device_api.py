"""The infrared camera API: events stored once each, out of order accepted, the future and
a removed camera refused per event, alarms raised by the client's rules, heartbeats
supervised like alarm units, strangers refused."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.utils import timezone

from trygg.alarms.heartbeats import raise_lost_connections
from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind, AlarmPriority, AlarmStatus
from trygg.core.outbox import OutboxMessage
from trygg.devices import services as device_services
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit
from trygg.sensors.models import SensorEvent

from .conftest import EVENTS, HEARTBEAT, Room, post

pytestmark = pytest.mark.django_db


def event(n: int | str, kind: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {"id": f"ev-{n}", "kind": kind, "at": at.isoformat(), **fields}


def test_a_fall_raises_a_high_priority_care_alarm_to_the_pipeline(room: Room) -> None:
    at = timezone.now() - dt.timedelta(minutes=1)
    response = post(EVENTS, {"events": [event(1, "fall", at, room="Sovrum")]}, room.token)
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 1
    assert body["results"] == [{"id": "ev-1", "outcome": "stored", "detail": "", "alarm": True}]
    stored = SensorEvent.objects.get()
    alarm = Alarm.objects.get(pk=stored.alarm_id)
    assert alarm.client == room.place.client
    assert (alarm.kind, alarm.category, alarm.code) == (
        AlarmKind.ALARM,
        AlarmCategory.CARE,
        "sensor_fall",
    )
    assert alarm.priority == AlarmPriority.HIGH
    assert alarm.zone == "Sovrum"
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.event_name == "Fall (infrared camera)"
    assert OutboxMessage.objects.filter(topic="alarm.raised", subject_id=alarm.pk).exists()


def test_events_outside_every_rule_are_recorded_only(room: Room) -> None:
    at = timezone.now() - dt.timedelta(minutes=1)
    response = post(EVENTS, {"events": [event(1, "sitting_up", at)]}, room.token)
    assert response.json()["results"][0]["alarm"] is False
    assert SensorEvent.objects.get().alarm is None
    assert not Alarm.objects.exists()


def test_a_batch_sent_twice_is_stored_once(room: Room) -> None:
    at = timezone.now() - dt.timedelta(minutes=2)
    batch = {"events": [event(1, "fall", at), event(2, "sitting_up", at), event(1, "fall", at)]}
    first = post(EVENTS, batch, room.token).json()
    assert [r["outcome"] for r in first["results"]] == ["stored", "stored", "duplicate"]
    again = post(EVENTS, batch, room.token).json()
    assert (again["stored"], again["duplicates"]) == (0, 3)
    assert SensorEvent.objects.count() == 2
    assert Alarm.objects.count() == 1


def test_events_out_of_order_are_stored_in_the_order_they_happened(room: Room) -> None:
    now = timezone.now()
    batch = {
        "events": [
            event("late", "left_room", now - dt.timedelta(minutes=1)),
            event("early", "sitting_up", now - dt.timedelta(minutes=30)),
            event("middle", "no_movement", now - dt.timedelta(minutes=10), minutes=20),
        ]
    }
    results = post(EVENTS, batch, room.token).json()["results"]
    assert [r["id"] for r in results] == ["ev-late", "ev-early", "ev-middle"]  # as sent
    assert list(SensorEvent.objects.in_order().values_list("event_id", flat=True)) == [
        "ev-late",
        "ev-middle",
        "ev-early",
    ]
    by_insertion = SensorEvent.objects.order_by("pk").values_list("event_id", flat=True)
    assert list(by_insertion) == ["ev-early", "ev-middle", "ev-late"]


def test_a_time_ahead_of_the_clock_is_refused_and_the_rest_stored(room: Room) -> None:
    now = timezone.now()
    batch = {
        "events": [
            event(1, "fall", now + dt.timedelta(hours=1)),
            event(2, "sitting_up", now - dt.timedelta(minutes=1)),
        ]
    }
    body = post(EVENTS, batch, room.token, language="sv").json()
    assert [r["outcome"] for r in body["results"]] == ["refused", "stored"]
    assert "kamerans klocka" in body["results"][0]["detail"]
    assert list(SensorEvent.objects.values_list("event_id", flat=True)) == ["ev-2"]
    assert not Alarm.objects.exists()
    # Corrected and sent again, it is new.
    fixed = post(EVENTS, {"events": [event(1, "fall", now)]}, room.token).json()
    assert fixed["stored"] == 1


def test_a_removed_camera_has_its_later_events_refused(room: Room) -> None:
    placement = AlarmPlacement.objects.get(unit=room.camera)
    today = room.place.municipality.today()
    device_services.end_placement(room.place.tech, placement, today - dt.timedelta(days=2))
    before = timezone.now() - dt.timedelta(days=3)
    batch = {
        "events": [
            event(1, "fall", timezone.now() - dt.timedelta(minutes=1)),
            event(2, "sitting_up", before),
        ]
    }
    body = post(EVENTS, batch, room.token, language="sv").json()
    assert [r["outcome"] for r in body["results"]] == ["refused", "stored"]
    assert "inte placerad" in body["results"][0]["detail"]
    assert not Alarm.objects.exists()


def test_a_late_event_is_recorded_without_an_alarm(room: Room) -> None:
    at = timezone.now() - dt.timedelta(hours=5)
    body = post(EVENTS, {"events": [event(1, "fall", at)]}, room.token).json()
    assert body["results"][0] == {"id": "ev-1", "outcome": "stored", "detail": "", "alarm": False}
    assert SensorEvent.objects.get().note == "Arrived too late to raise an alarm."


def test_a_covered_camera_is_a_technical_alarm(room: Room) -> None:
    from trygg.sensors import services

    services.save_rule(
        room.place.manager,
        room.place.client,
        kind="covered",
        starts=dt.time(0),
        ends=dt.time(0),
    )
    post(EVENTS, {"events": [event(1, "covered", timezone.now())]}, room.token)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category) == (AlarmKind.TECHNICAL, AlarmCategory.TECHNICAL)


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [{"id": "a", "kind": "dancing", "at": "2026-12-07T10:00:00+01:00"}]},
        {"events": [{"id": "a", "kind": "fall", "at": "2026-12-07T10:00:00"}]},
        {"events": [{"id": "a b", "kind": "fall", "at": "2026-12-07T10:00:00+01:00"}]},
        {"events": [{"id": "a", "kind": "fall", "at": "2026-12-07T10:00:00Z", "minutes": 5}]},
        {"events": [{"id": "a", "kind": "fall", "at": "2026-12-07T10:00:00Z", "extra": 1}]},
        {"event": []},
    ],
)
def test_malformed_batches_are_refused_whole(room: Room, body: Any) -> None:
    response = post(EVENTS, body, room.token)
    assert response.status_code == 422
    assert not SensorEvent.objects.exists()


def test_strangers_are_refused(room: Room) -> None:
    at = timezone.now().isoformat()
    body = {"events": [{"id": "x", "kind": "fall", "at": at}]}
    assert post(EVENTS, body, None).status_code == 401
    assert post(EVENTS, body, "not-a-token").status_code == 401
    alarm_unit = room.place.unit(protocol=AlarmProtocol.API)
    _token, plain = device_services.issue_device_token(room.place.tech, alarm_unit)
    refused = post(EVENTS, body, plain, language="sv")
    assert refused.status_code == 403
    assert "infraröd kamera" in refused.json()["detail"]
    device_services.revoke_device_token(room.place.tech, room.camera)
    assert post(EVENTS, body, room.token).status_code == 401
    assert not SensorEvent.objects.exists()


def test_the_token_is_never_logged(room: Room, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post(EVENTS, {"events": [event(1, "fall", timezone.now())]}, room.token)
    post(EVENTS, {"events": []}, room.token)
    assert room.token not in caplog.text


def test_heartbeats_keep_the_camera_supervised(room: Room) -> None:
    response = post(HEARTBEAT, {}, room.token)
    assert response.status_code == 200
    camera = AlarmUnit.objects.get(pk=room.camera.pk)
    assert camera.last_seen_at is not None
    assert camera.supervision_due_at == camera.last_seen_at + dt.timedelta(seconds=360)
    # Silent past the deadline: the heartbeat job raises the lost connection ...
    assert raise_lost_connections(camera.supervision_due_at + dt.timedelta(seconds=1)) == 1
    lost = Alarm.objects.get(kind=AlarmKind.CONNECTION_LOST)
    assert lost.client == room.place.client
    # ... and the next heartbeat (or event) restores it.
    post(HEARTBEAT, {}, room.token)
    lost.refresh_from_db()
    assert lost.status == AlarmStatus.CLOSED
    assert not AlarmUnit.objects.get(pk=room.camera.pk).connection_lost


def test_events_count_as_heard_from(room: Room) -> None:
    post(EVENTS, {"events": [event(1, "sitting_up", timezone.now())]}, room.token)
    assert AlarmUnit.objects.get(pk=room.camera.pk).last_seen_at is not None
