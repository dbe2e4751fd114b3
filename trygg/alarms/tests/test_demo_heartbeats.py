"""The demo's DC-09 and SCAIP units are living units: heard from at the seed and beaten every
minute while the demo runs, through the receivers' ingest, so the welfare-technology team and
the console see "Connected, last heard ..." and not "Not heard from yet". Nothing outside the
demo municipality is touched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from trygg import worker
from trygg.alarms.demo import beat_demo_alarm_units, seed_demo
from trygg.alarms.heartbeats import raise_lost_connections
from trygg.alarms.models import Alarm, AlarmKind
from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality, User
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit
from trygg.devices.tests.places import Place

pytestmark = pytest.mark.django_db


def test_the_demo_alarm_units_are_heard_from_and_keep_beating(place: Place) -> None:
    # Elsewhere a unit with a demo-like serial, placed and never heard from: left alone.
    elsewhere = place.unit(municipality=place.elsewhere)
    AlarmUnit.objects.filter(pk=elsewhere.pk).update(serial_number="DEMO-DC09-1001")
    AlarmPlacement.objects.create(
        unit=elsewhere, client=place.foreign_client, active_from=dt.date(2025, 1, 1)
    )
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    before = timezone.now()
    made = seed_demo(municipality)
    units = list(
        AlarmUnit.objects.filter(
            municipality=municipality, protocol__in=(AlarmProtocol.DC09, AlarmProtocol.SCAIP)
        )
    )
    assert len(units) == made > 20
    assert {u.protocol for u in units} == {AlarmProtocol.DC09, AlarmProtocol.SCAIP}
    for unit in units:
        assert unit.last_seen_at is not None
        assert before <= unit.last_seen_at <= timezone.now()
        assert unit.supervision_due_at == unit.due_after(unit.last_seen_at)
        assert not unit.connection_lost

    # Within the minute nothing is sent again; after it, every unit is.
    first = min(u.last_seen_at for u in units if u.last_seen_at)
    assert beat_demo_alarm_units(first + dt.timedelta(seconds=30)) == 0
    later = timezone.now() + dt.timedelta(minutes=20)  # past every unit's deadline
    assert beat_demo_alarm_units(later) == len(units)
    # The beat ran first (as in the worker's pass): no lost connection to raise.
    assert raise_lost_connections(later) == 0
    assert not Alarm.objects.filter(kind=AlarmKind.CONNECTION_LOST).exists()
    for unit in AlarmUnit.objects.filter(pk__in=[u.pk for u in units]):
        assert (unit.last_seen_at, unit.connection_lost) == (later, False)
    elsewhere.refresh_from_db()
    assert elsewhere.last_seen_at is None

    # The welfare-technology team sees a connected unit on the client's record.
    placement = AlarmPlacement.objects.filter(
        unit__protocol=AlarmProtocol.SCAIP, unit__municipality=municipality
    ).first()
    assert placement is not None
    assert placement.client_id is not None
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    http.force_login(User.objects.get(username="vft"))
    main = http.get(f"/clients/{placement.client_id}/").content.decode().split("<main", 1)[1]
    assert "Ansluten" in main
    assert "Har inte hörts av ännu" not in main


def test_the_demo_beat_runs_before_the_supervision_in_each_pass() -> None:
    names = [job.name for job in worker.jobs()]
    assert names.index("alarms.demo_heartbeats") < names.index("alarms.heartbeats")


def test_nothing_is_beaten_without_a_demo(place: Place) -> None:
    unit = place.unit()
    AlarmPlacement.objects.create(unit=unit, client=place.client, active_from=dt.date(2025, 1, 1))
    assert beat_demo_alarm_units() == 0
    unit.refresh_from_db()
    assert unit.last_seen_at is None
