"""An alarm's priority (raised by an app above alarms, a sensor rule) orders the console and
the phone among calls for help: fire first still, then high before normal before low, then
the usual order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from trygg.alarms.models import Alarm, AlarmKind, AlarmPriority
from trygg.alarms.raising import Raise, raise_alarms
from trygg.devices import services as device_services
from trygg.devices.tests.places import Place

pytestmark = pytest.mark.django_db


def test_high_priority_comes_first_among_calls_for_help(place: Place) -> None:
    unit = place.unit()
    device_services.place_unit(
        place.tech, unit, client=place.client, active_from=dt.date(2025, 1, 1)
    )
    unit.refresh_from_db()
    now = timezone.now()
    with transaction.atomic():
        low, normal, high, fire = raise_alarms(
            [
                Raise(unit, AlarmKind.ALARM, "sensor_sitting_up", priority=AlarmPriority.LOW),
                Raise(unit, AlarmKind.ALARM, "sensor_left_bed"),
                Raise(unit, AlarmKind.ALARM, "sensor_fall", priority=AlarmPriority.HIGH),
                Raise(unit, AlarmKind.FIRE, "FA"),
            ],
            now,
        )
    assert normal.priority == AlarmPriority.NORMAL
    ordered = list(Alarm.objects.by_priority().values_list("pk", flat=True))
    assert ordered == [fire.pk, high.pk, normal.pk, low.pk]
