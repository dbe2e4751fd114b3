"""`raise_alarms` writes its alarms as tuples (thousands at once when a night's look-ins are
missed), not through `ingest.build_alarm`: what it writes must stay exactly what
build_alarm builds for the same unit, placement, kind and event, with its outbox messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from trygg.alarms.ingest import OUTBOX_RAISED, Placements, build_alarm
from trygg.alarms.models import RECORD_ONLY_KINDS, Alarm, AlarmKind, AlarmPriority
from trygg.alarms.raising import Raise, UnitRef, raise_alarms
from trygg.core.models import OutboxMessage
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import end_placement, place_unit
from trygg.devices.tests.places import Place
from trygg.receivers.incoming import EventKind, IncomingEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 1, 15, tzinfo=dt.UTC)
PLACED = dt.date(2026, 11, 1)


def _loaded(unit: AlarmUnit) -> AlarmUnit:
    return AlarmUnit.objects.select_related("municipality").get(pk=unit.pk)


def _stored(pk: int) -> dict[str, Any]:
    names = [f.attname for f in Alarm._meta.concrete_fields if not f.primary_key]
    return Alarm.objects.filter(pk=pk).values(*names).get()


def _built(raise_: Raise, now: dt.datetime) -> dict[str, Any]:
    """What build_alarm makes of the same raise, as it would be stored."""
    unit = _loaded(AlarmUnit(pk=raise_.unit.pk))
    moment = raise_.at or now
    placement = Placements([unit.pk], [unit.municipality.local_date(moment)]).at(unit, moment)
    event = IncomingEvent(EventKind.ALARM, raise_.code, zone=raise_.zone, text=raise_.text)
    alarm = build_alarm(unit, None, placement, raise_.kind, event, now)
    alarm.priority = raise_.priority
    names = [f.attname for f in Alarm._meta.concrete_fields if not f.primary_key]
    return {name: getattr(alarm, name) for name in names}


def test_every_kind_is_written_as_build_alarm_builds_it(place: Place) -> None:
    """A camera with a client, an emergency alarm held by a provider, a unit placed with
    nobody, and a moment before the camera's placement began: client, provider, placement,
    category, status, closing and priority all as the ingest's alarms have them; long texts
    cut as there."""
    camera = _loaded(place.unit(protocol=AlarmProtocol.API, kind=AlarmUnitKind.SAFETY_CAMERA))
    place_unit(place.tech, camera, client=place.client, active_from=PLACED)
    emergency = _loaded(place.unit(kind=AlarmUnitKind.EMERGENCY_ALARM))
    place_unit(place.tech, emergency, provider=place.provider, active_from=PLACED)
    unplaced = _loaded(place.unit())
    before = dt.datetime(2026, 10, 30, 23, 0, tzinfo=dt.UTC)
    raises = [
        Raise(unit, kind, f"code_{kind}", text="x" * 250, zone="z" * 40, priority=priority)
        for kind in AlarmKind
        for unit in (camera, emergency, unplaced)
        for priority in (AlarmPriority.NORMAL, AlarmPriority.HIGH)
    ]
    raises.append(Raise(camera, AlarmKind.ALARM, "lookin_missed", text="23:30", at=before))
    raises.append(Raise(UnitRef(camera.pk, camera.municipality), AlarmKind.ALARM, "by_ref"))
    with transaction.atomic():
        raised = raise_alarms(raises, NOW)
    assert len(raised) == len(raises)
    for alarm, raise_ in zip(raised, raises, strict=True):
        stored = _stored(alarm.pk)
        assert stored == _built(raise_, NOW), raise_
        assert (alarm.unit_id, alarm.kind, alarm.priority, alarm.status) == (
            stored["unit_id"],
            stored["kind"],
            stored["priority"],
            stored["status"],
        )
        assert (alarm.placement_id, alarm.client_id, alarm.provider_id) == (
            stored["placement_id"],
            stored["client_id"],
            stored["provider_id"],
        )
    by_ref = _stored(raised[-1].pk)
    assert (by_ref["client_id"], by_ref["provider_id"]) == (place.client.pk, place.provider.pk)
    assert _stored(raised[-2].pk)["placement_id"] is None  # before the camera was placed


def test_each_alarm_that_needs_someone_gets_one_outbox_message_in_order(place: Place) -> None:
    unit = _loaded(place.unit())
    place_unit(place.tech, unit, client=place.client, active_from=PLACED)
    kinds = [AlarmKind.ALARM, AlarmKind.TEST, AlarmKind.TECHNICAL, AlarmKind.RESTORE]
    with transaction.atomic():
        raised = raise_alarms([Raise(unit, kind, "c") for kind in kinds], NOW)
    messages = list(
        OutboxMessage.objects.filter(topic=OUTBOX_RAISED)
        .order_by("pk")
        .values_list("subject_id", "stream", "payload", "created_at", "attempts", "delivered_at")
    )
    needing = [alarm.pk for alarm in raised if alarm.kind not in RECORD_ONLY_KINDS]
    assert messages == [(pk, "alarm", None, NOW, 0, None) for pk in needing]


def test_a_thousand_alarms_take_a_handful_of_statements(place: Place) -> None:
    units = [_loaded(place.unit()) for _ in range(4)]
    for unit in units[:3]:
        place_unit(place.tech, unit, client=place.client, active_from=PLACED)
    end_placement(
        place.tech, units[0].placements.get(), dt.date(2026, 11, 10)
    )  # ended: nobody holds it now
    raises = [Raise(units[i % 4], AlarmKind.ALARM, "lookin_missed") for i in range(1000)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        raised = raise_alarms(raises, NOW)
    # No statement per alarm or per unit: the placements in one, the alarms and messages in
    # one each on PostgreSQL, split by the parameter limit on SQLite.
    assert len(queries) <= (4 if connection.vendor == "postgresql" else 60)
    clients = {alarm.client_id for alarm in raised if alarm.unit_id == units[0].pk}
    assert clients == {None}
    assert {alarm.client_id for alarm in raised if alarm.unit_id == units[1].pk} == {
        place.client.pk
    }
