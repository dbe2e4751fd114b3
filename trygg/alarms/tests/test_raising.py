"""Alarms raised by apps above this one (a missed look-in, a fall an infrared camera saw)
take the safety alarm's path: the unit's placement names the client, the dispatcher routes
them to the team on shift, and pages name the event instead of showing Trygg's code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from trygg.alarms import dispatch, event_names
from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind, AlarmStatus
from trygg.alarms.raising import Raise, raise_alarms
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import PlacementError, active_alarm_customers, place_unit
from trygg.devices.tests.places import Place

from .conftest import NIGHT, Duty

pytestmark = pytest.mark.django_db


def _camera(place: Place, kind: str = AlarmUnitKind.SAFETY_CAMERA) -> AlarmUnit:
    camera = place.unit(protocol=AlarmProtocol.API, kind=kind)
    return AlarmUnit.objects.select_related("municipality").get(pk=camera.pk)


def test_a_raised_alarm_reaches_the_team_on_shift_with_the_client(duty: Duty, place: Place):
    camera = _camera(place)
    place_unit(place.tech, camera, client=place.client, active_from=NIGHT.date())
    event_names.register_code("test_lookin_missed", "Look-in not done")
    with transaction.atomic():
        (alarm,) = raise_alarms(
            [Raise(camera, AlarmKind.ALARM, "test_lookin_missed", text="01:00")], now=NIGHT
        )
    dispatch.dispatch_pending(now=NIGHT)
    alarm = Alarm.objects.select_related("unit", "team").get(pk=alarm.pk)
    assert alarm.client == place.client
    assert alarm.provider == place.provider
    assert alarm.category == AlarmCategory.CARE
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.team == duty.night_team
    assert alarm.event_name == "Look-in not done"
    assert alarm.event_code == ""  # Trygg's own code is never shown


@pytest.mark.django_db(transaction=True)
def test_raising_belongs_to_the_callers_transaction(place: Place):
    with pytest.raises(RuntimeError):
        raise_alarms([Raise(_camera(place), AlarmKind.ALARM, "test_lookin_missed")])


def test_own_codes_cannot_pass_for_a_protocols_code():
    with pytest.raises(ValueError, match="lower_case"):
        event_names.register_code("MA", "Medical")


def test_a_camera_is_placed_with_a_client_and_is_no_alarm_customer(place: Place):
    camera = _camera(place, AlarmUnitKind.INFRARED_CAMERA)
    day = dt.date(2026, 11, 2)
    with pytest.raises(PlacementError):
        place_unit(place.tech, camera, provider=place.provider, active_from=day)
    place_unit(place.tech, camera, client=place.client, active_from=day)
    alarm = place.unit()
    place_unit(place.tech, alarm, client=place.client, active_from=day)
    lines = active_alarm_customers(place.municipality, day)
    assert [line.unit_serial for line in lines] == [alarm.serial_number]
