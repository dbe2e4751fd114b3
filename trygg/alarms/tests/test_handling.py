"""After an alarm is received: routed to the team on duty, escalated while nobody takes it,
and acknowledged, given a responder, marked on site and closed, each step logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from trygg.alarms import handling
from trygg.alarms.models import (
    Alarm,
    AlarmAction,
    AlarmCause,
    AlarmEvent,
    AlarmOutbox,
    AlarmPolicy,
    AlarmStatus,
    District,
    EscalationLevel,
    ResponderShift,
)
from trygg.alarms.services import ingest
from trygg.core import events
from trygg.core.constants import Role
from trygg.core.models import Team, User
from trygg.core.tests.factories import TeamFactory, make_staff
from trygg.devices.models import AlarmUnit
from trygg.devices.services import place_unit
from trygg.receivers.incoming import IncomingEvent

from .conftest import Place, incoming

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
    subscription = events.subscribe([handling.channel(place.municipality.pk)])
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
    handling.dispatch_pending(now=at)
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


# Routing ---------------------------------------------------------------------------------


def test_a_day_alarm_goes_to_the_day_team_of_the_clients_district(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    assert alarm.team == duty.day_team
    assert alarm.backup_team == duty.backup_team
    assert alarm.escalation_level == EscalationLevel.TEAM
    assert alarm.escalate_at == DAY + dt.timedelta(seconds=120)
    assert actions(alarm) == [AlarmAction.RAISED, AlarmAction.ROUTED]
    assert not AlarmOutbox.objects.filter(delivered_at__isnull=True).exists()


def test_a_night_alarm_goes_to_the_night_patrol(duty: Duty) -> None:
    alarm = raise_alarm(duty, NIGHT)
    assert alarm.team == duty.night_team
    assert alarm.backup_team is None


def test_with_no_team_on_duty_the_alarm_centre_has_it_at_once(duty: Duty) -> None:
    evening = DAY.replace(hour=18)  # no shift from 16 to 22
    alarm = raise_alarm(duty, evening)
    assert alarm.team is None
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    assert alarm.escalate_at == evening + dt.timedelta(seconds=60)
    assert actions(alarm) == [AlarmAction.RAISED, AlarmAction.ESCALATED]


def test_a_technical_alarm_goes_to_the_technical_queue_without_escalating(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY, kind="low_battery", code="YT")
    assert alarm.category == "technical"
    assert alarm.routed_at is not None
    assert alarm.team is None
    assert alarm.escalate_at is None
    assert handling.escalate_due(DAY + dt.timedelta(hours=1)) == 0


def test_a_restore_closes_the_alarm_and_the_consoles_hear_it(
    duty: Duty, heard: events.Subscription
) -> None:
    alarm = raise_alarm(duty, DAY, kind="low_battery", code="YT")
    assert announced(heard, 1)[0]["action"] == "raised"
    ingest(
        [incoming("1001", at=DAY, events=(IncomingEvent("restore", "YR", restores="low_battery"),))]
    )
    handling.dispatch_pending(now=DAY)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED
    assert [data["action"] for data in announced(heard, 1)] == ["closed"]


def test_a_new_alarm_and_its_routing_are_announced_without_personal_data(
    duty: Duty, heard: events.Subscription, place: Place
) -> None:
    alarm = raise_alarm(duty, DAY)
    [data] = announced(heard, 1)
    assert data["action"] == "raised"
    assert data["alarm"] == alarm.pk
    assert data["team"] == duty.day_team.pk
    text = repr(data)
    assert place.client.last_name not in text
    assert place.client.national_id not in text


def test_the_outbox_is_delivered_once(duty: Duty) -> None:
    raise_alarm(duty, DAY)
    assert handling.dispatch_pending(now=DAY) == 0
    assert AlarmEvent.objects.filter(action=AlarmAction.RAISED).count() == 1


# Escalation ------------------------------------------------------------------------------


def test_an_unacknowledged_alarm_escalates_to_the_backup_team_then_the_centre_then_reminds(
    duty: Duty,
) -> None:
    alarm = raise_alarm(duty, DAY)
    assert handling.escalate_due(DAY + dt.timedelta(seconds=119)) == 0
    assert handling.escalate_due(DAY + dt.timedelta(seconds=120)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.BACKUP_TEAM
    later = DAY + dt.timedelta(seconds=240)
    assert handling.escalate_due(later) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    assert alarm.escalate_at == later + dt.timedelta(seconds=60)
    for minute in (1, 2, 3):
        assert handling.escalate_due(later + dt.timedelta(seconds=60 * minute)) == 1
    alarm.refresh_from_db()
    assert alarm.reminders == 3
    assert actions(alarm)[2:] == [AlarmAction.ESCALATED] * 2 + [AlarmAction.REMINDED] * 3


def test_without_a_backup_team_the_alarm_goes_straight_to_the_centre(duty: Duty) -> None:
    alarm = raise_alarm(duty, NIGHT)
    handling.escalate_due(NIGHT + dt.timedelta(seconds=120))
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE


def test_acknowledging_stops_the_escalation(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    handling.acknowledge(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(seconds=30))
    assert handling.escalate_due(DAY + dt.timedelta(hours=1)) == 0
    alarm.refresh_from_db()
    assert alarm.escalate_at is None
    assert alarm.escalation_level == EscalationLevel.TEAM


def test_the_policy_sets_the_times(duty: Duty, place: Place) -> None:
    AlarmPolicy.objects.filter(municipality=place.municipality).update(acknowledge_within=30)
    alarm = raise_alarm(duty, DAY)
    assert alarm.escalate_at == DAY + dt.timedelta(seconds=30)


# Steps -----------------------------------------------------------------------------------


def test_acknowledge_records_who_and_when_and_refuses_a_second_person(
    duty: Duty, place: Place
) -> None:
    alarm = raise_alarm(duty, DAY)
    when = DAY + dt.timedelta(seconds=20)
    handling.acknowledge(place.alarm_operator, alarm.pk, now=when)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    assert alarm.acknowledged_by == place.alarm_operator
    assert alarm.acknowledged_at == when
    with pytest.raises(handling.AlarmConflict, match="acknowledged the alarm at 10:00"):
        handling.acknowledge(duty.day_worker, alarm.pk)
    # The same person again is no error, and no second log line.
    handling.acknowledge(place.alarm_operator, alarm.pk)
    assert actions(alarm).count(AlarmAction.ACKNOWLEDGED) == 1


def test_a_responder_accepts_on_the_phone_and_a_second_one_is_told_who_has_it(
    duty: Duty,
) -> None:
    alarm = raise_alarm(duty, DAY)
    handling.accept(duty.day_worker, alarm.pk)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    assert alarm.assigned_to == duty.day_worker
    with pytest.raises(handling.AlarmConflict, match="already on the way"):
        handling.accept(duty.backup_worker, alarm.pk)
    assert actions(alarm)[-2:] == [AlarmAction.ACKNOWLEDGED, AlarmAction.ACCEPTED]


def test_the_operator_sends_someone_from_the_alarms_teams_only(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    assert {u.pk for u in handling.responders(alarm)} == {
        duty.day_worker.pk,
        duty.backup_worker.pk,
    }
    with pytest.raises(handling.AlarmError, match="not in the alarm's responder teams"):
        handling.assign(place.alarm_operator, alarm.pk, duty.night_worker)
    handling.assign(place.alarm_operator, alarm.pk, duty.backup_worker)
    alarm.refresh_from_db()
    assert alarm.assigned_to == duty.backup_worker
    assert alarm.acknowledged_by == place.alarm_operator
    event = AlarmEvent.objects.get(alarm=alarm, action=AlarmAction.ASSIGNED)
    assert event.actor == place.alarm_operator
    assert event.responder == duty.backup_worker


def test_on_site_then_close_with_a_cause(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    handling.accept(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(minutes=1))
    handling.mark_on_site(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(minutes=12))
    handling.close(duty.day_worker, alarm.pk, AlarmCause.FALL, "Lyfte upp, inga skador.")
    alarm.refresh_from_db()
    assert alarm.on_site_at == DAY + dt.timedelta(minutes=12)
    assert alarm.status == AlarmStatus.CLOSED
    assert alarm.cause == AlarmCause.FALL
    assert alarm.close_note == "Lyfte upp, inga skador."
    assert actions(alarm)[-2:] == [AlarmAction.ON_SITE, AlarmAction.CLOSED]
    with pytest.raises(handling.AlarmConflict, match="closed by"):
        handling.acknowledge(duty.backup_worker, alarm.pk)


def test_closing_needs_a_cause_that_fits_and_a_note_for_other(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    with pytest.raises(handling.AlarmError, match="Choose the cause"):
        handling.close(place.alarm_operator, alarm.pk, "")
    with pytest.raises(handling.AlarmError, match="Choose the cause"):
        handling.close(place.alarm_operator, alarm.pk, AlarmCause.TECHNICAL_FIXED)
    with pytest.raises(handling.AlarmError, match="Write a note"):
        handling.close(place.alarm_operator, alarm.pk, AlarmCause.OTHER, "   ")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN  # nothing half-written
    assert actions(alarm) == [AlarmAction.RAISED, AlarmAction.ROUTED]


def test_closing_an_unacknowledged_alarm_acknowledges_it_too(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    handling.close(place.alarm_operator, alarm.pk, AlarmCause.BY_MISTAKE)
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == place.alarm_operator
    assert alarm.escalate_at is None
    assert actions(alarm)[-2:] == [AlarmAction.ACKNOWLEDGED, AlarmAction.CLOSED]


def test_a_technical_alarm_closes_with_a_technical_cause(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY, kind="low_battery", code="YT")
    assert [c for c, _label in handling.causes_for(alarm)] == [
        AlarmCause.TECHNICAL_FIXED,
        AlarmCause.TEST,
        AlarmCause.OTHER,
    ]
    handling.close(place.tech, alarm.pk, AlarmCause.TECHNICAL_FIXED, "Bytt batteri")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED


def test_a_note_is_logged_and_an_empty_one_refused(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    with pytest.raises(handling.AlarmError):
        handling.add_note(place.alarm_operator, alarm.pk, " ")
    handling.add_note(place.alarm_operator, alarm.pk, "Ringde dottern.")
    assert AlarmEvent.objects.get(alarm=alarm, action=AlarmAction.NOTE).note == "Ringde dottern."


def test_every_step_is_announced(duty: Duty, heard: events.Subscription) -> None:
    alarm = raise_alarm(duty, DAY)
    handling.accept(duty.day_worker, alarm.pk)
    handling.mark_on_site(duty.day_worker, alarm.pk)
    handling.close(duty.day_worker, alarm.pk, AlarmCause.HELP_GIVEN)
    handling.escalate_due(DAY + dt.timedelta(hours=1))  # closed: nothing to escalate
    said = [data["action"] for data in announced(heard, 4)]
    assert said == ["raised", "accepted", "on_site", "closed"]


def test_a_failed_step_announces_nothing(duty: Duty, heard: events.Subscription) -> None:
    alarm = raise_alarm(duty, DAY)
    announced(heard, 1)
    with pytest.raises(handling.AlarmError):
        handling.close(duty.day_worker, alarm.pk, "")
    assert heard.get(timeout=0.5) is None


def test_the_dispatcher_loop_routes_a_new_alarm_at_once(duty: Duty, transactional_db: None) -> None:
    import threading

    stop = threading.Event()
    seen = events.subscribe([handling.channel(duty.unit.municipality_id)])
    thread = threading.Thread(target=handling.run_dispatcher, args=(stop,), daemon=True)
    thread.start()
    try:
        now = timezone.now()
        ingest([incoming("1001", at=now)])
        handling.wake_dispatcher()
        event = seen.get(timeout=5)
        assert event is not None
        assert event.data["action"] == "raised"
    finally:
        stop.set()
        thread.join(timeout=5)
        events.unsubscribe(seen)
    assert Alarm.objects.get(unit=duty.unit).routed_at is not None


def test_an_idle_dispatcher_pass_only_reads(duty: Duty) -> None:
    """On SQLite a write transaction holds the database's one lock: idle, take none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raise_alarm(duty, DAY)
    handling.acknowledge(duty.day_worker, Alarm.objects.get().pk)
    with CaptureQueriesContext(connection) as queries:
        assert handling.dispatch_pending() == 0
        assert handling.escalate_due() == 0
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SELECT"]


def test_a_shift_changed_in_the_admin_applies_to_the_next_alarm(duty: Duty, place: Place) -> None:
    from django.test import Client as HttpClient

    raise_alarm(duty, DAY)  # the dispatcher now holds the organisation
    shift = ResponderShift.objects.get(name="Dag Norr")
    http = HttpClient()
    http.force_login(place.admin)
    response = http.post(
        f"/admin/alarms/respondershift/{shift.pk}/change/",
        {
            "municipality": place.municipality.pk,
            "name": shift.name,
            "team": duty.backup_team.pk,
            "backup_team": "",
            "provider": "",
            "district": shift.district_id,
            "weekdays": "1234567",
            "starts": "07:00",
            "ends": "16:00",
            "priority": 100,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    later = DAY + dt.timedelta(minutes=5)
    alarm = raise_alarm(duty, later)
    assert alarm.team == duty.backup_team


def test_an_alarm_long_overdue_after_an_outage_goes_on_to_the_centre_at_once(
    duty: Duty,
) -> None:
    """The dispatcher was down for an hour: the alarm does not wait two more minutes at
    the backup team before the alarm centre gets it."""
    alarm = raise_alarm(duty, DAY)
    an_hour_later = DAY + dt.timedelta(hours=1)
    assert handling.escalate_due(an_hour_later) == 1
    assert handling.escalate_due(an_hour_later) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    assert alarm.escalate_at == an_hour_later + dt.timedelta(seconds=60)
    assert alarm.reminders == 0  # the hour is not made up with sixty reminders
