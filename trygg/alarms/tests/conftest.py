"""Helpers for the alarm tests: the shared personas (`trygg.devices.tests.places`), decoded
messages as a receiver hands them to the ingest, and an organisation on duty (shifts, teams
and a policy) for routing, escalation and the steps."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from trygg.alarms import dispatch
from trygg.alarms.ingest import ingest
from trygg.alarms.models import Alarm, AlarmEvent, AlarmPolicy, District, ResponderShift
from trygg.core import events
from trygg.core.constants import Role
from trygg.core.models import Team, User
from trygg.core.tests.factories import TeamFactory, make_staff
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.services import place_unit
from trygg.devices.tests import places
from trygg.devices.tests.places import Place
from trygg.receivers.incoming import IncomingEvent, IncomingSignal

place = places.place  # the fixture, this package's own
_numbers = itertools.count(1)
ALARM = IncomingEvent("alarm", "QA", zone="1")


def incoming(
    unit_ref: str,
    dedupe_key: str | None = None,
    *,
    events: tuple[IncomingEvent, ...] = (ALARM,),
    protocol: str = AlarmProtocol.DC09,
    at: dt.datetime | None = None,
    municipality_id: int | None = None,
    raw: bytes | None = None,
) -> IncomingSignal:
    """A decoded message as a receiver hands it over; a new dedupe key unless given."""
    key = dedupe_key or f"key-{next(_numbers)}"
    return IncomingSignal(
        protocol=protocol,
        municipality_id=municipality_id,
        unit_ref=unit_ref,
        dedupe_key=key,
        received_at=at or timezone.now(),
        events=events,
        raw=raw if raw is not None else f'"SIA-DCS"0001L0#{unit_ref}[{key}]'.encode(),
    )


# An organisation on duty, for routing, escalation and the steps ---------------------------

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Tuesday: 10:00 is the day team's, 23:00 the night patrol's.
DAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)
NIGHT = dt.datetime(2026, 11, 24, 23, 0, tzinfo=STOCKHOLM)


@dataclass
class Duty:
    day_team: Team
    backup_team: Team
    night_team: Team
    day_worker: User
    backup_worker: User
    night_worker: User
    unit: AlarmUnit


@pytest.fixture
def duty(place: Place) -> Duty:
    day_team = TeamFactory(provider=place.provider, name="Norr dag")
    backup_team = TeamFactory(provider=place.provider, name="Söder dag")
    night_team = TeamFactory(provider=place.provider, name="Nattpatrullen")
    north = District.objects.create(
        municipality=place.municipality, code="norr", name="Norr", postal_codes="999 1"
    )
    place.client.postal_code = "999 12"
    place.client.save()
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Dag Norr",
        team=day_team,
        backup_team=backup_team,
        district=north,
        starts=dt.time(7),
        ends=dt.time(16),
    )
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Natt",
        team=night_team,
        starts=dt.time(22),
        ends=dt.time(7),
    )
    AlarmPolicy.objects.create(
        municipality=place.municipality, acknowledge_within=120, remind_every=60
    )
    unit = place.unit("1001")
    place_unit(place.tech, unit, client=place.client, active_from=DAY.date() - dt.timedelta(30))
    return Duty(
        day_team=day_team,
        backup_team=backup_team,
        night_team=night_team,
        day_worker=make_staff(Role.CARE_WORKER, provider=place.provider, teams=[day_team]),
        backup_worker=make_staff(Role.CARE_WORKER, provider=place.provider, teams=[backup_team]),
        night_worker=make_staff(Role.NIGHT_SUPERVISOR, provider=place.provider, teams=[night_team]),
        unit=unit,
    )


@pytest.fixture
def heard(place: Place, transactional_db: None) -> Iterator[events.Subscription]:
    """What the bus announces about the municipality's alarms. Events go out on commit
    (and on PostgreSQL through the server), so these tests commit: a transactional db."""
    subscription = events.subscribe([dispatch.channel(place.municipality.pk)])
    yield subscription
    events.unsubscribe(subscription)


def announced(subscription: events.Subscription, count: int) -> list[dict[str, object]]:
    got = []
    while len(got) < count:
        event = subscription.get(timeout=5)
        assert event is not None, f"only {len(got)} of {count} events came: {got}"
        got.append(event.data)
    assert subscription.get(timeout=0.2) is None, "more events than expected"
    return got


def raise_alarm(duty: Duty, at: dt.datetime, kind: str = "alarm", code: str = "QA") -> Alarm:
    outcome = ingest([incoming("1001", at=at, events=(IncomingEvent(kind, code),))])
    assert outcome[0].value == "stored"
    dispatch.dispatch_pending(now=at)
    newest = (
        Alarm.objects.select_related("team", "backup_team")
        .filter(unit=duty.unit)
        .order_by("-pk")
        .first()
    )
    assert newest is not None
    return newest


def actions(alarm: Alarm) -> list[str]:
    return list(AlarmEvent.objects.filter(alarm=alarm).values_list("action", flat=True))
