"""The steps people take with an alarm: acknowledged, given a responder, marked on site and
closed, each step logged and announced, and refused when someone else got there first."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.alarms import dispatch, steps
from trygg.alarms.models import AlarmAction, AlarmCause, AlarmEvent, AlarmStatus
from trygg.core import events
from trygg.core.constants import Role
from trygg.core.tests.factories import make_staff

from .conftest import DAY, Duty, Place, actions, announced, raise_alarm

# Steps -----------------------------------------------------------------------------------


def test_acknowledge_records_who_and_when_and_refuses_a_second_person(
    duty: Duty, place: Place
) -> None:
    alarm = raise_alarm(duty, DAY)
    when = DAY + dt.timedelta(seconds=20)
    steps.acknowledge_alarm(place.alarm_operator, alarm.pk, now=when)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    assert alarm.acknowledged_by == place.alarm_operator
    assert alarm.acknowledged_at == when
    with pytest.raises(steps.AlarmConflict, match="acknowledged the alarm at 10:00"):
        steps.acknowledge_alarm(duty.day_worker, alarm.pk, now=when)
    # The same person again is no error, and no second log line.
    steps.acknowledge_alarm(place.alarm_operator, alarm.pk)
    assert actions(alarm).count(AlarmAction.ACKNOWLEDGED) == 1


def test_a_responder_accepts_on_the_phone_and_a_second_one_is_told_who_has_it(
    duty: Duty,
) -> None:
    alarm = raise_alarm(duty, DAY)
    steps.accept_alarm(duty.day_worker, alarm.pk, now=DAY)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    assert alarm.assigned_to == duty.day_worker
    colleague = make_staff(Role.CARE_WORKER, provider=duty.day_team.provider, teams=[duty.day_team])
    with pytest.raises(steps.AlarmConflict, match="already on the way"):
        steps.accept_alarm(colleague, alarm.pk, now=DAY)
    assert actions(alarm)[-2:] == [AlarmAction.ACKNOWLEDGED, AlarmAction.ACCEPTED]


def test_the_operator_sends_someone_from_the_alarms_teams_only(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    assert {u.pk for u in steps.responders(alarm, DAY)} == {
        duty.day_worker.pk,
        duty.backup_worker.pk,
    }
    with pytest.raises(steps.AlarmError, match="not in the alarm's responder teams"):
        steps.assign_responder(place.alarm_operator, alarm.pk, duty.night_worker, now=DAY)
    steps.assign_responder(place.alarm_operator, alarm.pk, duty.backup_worker, now=DAY)
    alarm.refresh_from_db()
    assert alarm.assigned_to == duty.backup_worker
    assert alarm.acknowledged_by == place.alarm_operator
    event = AlarmEvent.objects.get(alarm=alarm, action=AlarmAction.ASSIGNED)
    assert event.actor == place.alarm_operator
    assert event.responder == duty.backup_worker


def test_on_site_then_close_with_a_cause(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    steps.accept_alarm(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(minutes=1))
    steps.mark_on_site(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(minutes=12))
    steps.close_alarm(
        duty.day_worker,
        alarm.pk,
        AlarmCause.FALL,
        "Lyfte upp, inga skador.",
        now=DAY + dt.timedelta(minutes=20),
    )
    alarm.refresh_from_db()
    assert alarm.on_site_at == DAY + dt.timedelta(minutes=12)
    assert alarm.status == AlarmStatus.CLOSED
    assert alarm.cause == AlarmCause.FALL
    assert alarm.close_note == "Lyfte upp, inga skador."
    assert actions(alarm)[-2:] == [AlarmAction.ON_SITE, AlarmAction.CLOSED]
    with pytest.raises(steps.AlarmConflict, match="closed by"):
        steps.acknowledge_alarm(duty.backup_worker, alarm.pk)


def test_closing_needs_a_cause_that_fits_and_a_note_for_other(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    with pytest.raises(steps.AlarmError, match="Choose the cause"):
        steps.close_alarm(place.alarm_operator, alarm.pk, "")
    with pytest.raises(steps.AlarmError, match="Choose the cause"):
        steps.close_alarm(place.alarm_operator, alarm.pk, AlarmCause.TECHNICAL_FIXED)
    with pytest.raises(steps.AlarmError, match="Write a note"):
        steps.close_alarm(place.alarm_operator, alarm.pk, AlarmCause.OTHER, "   ")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN  # nothing half-written
    assert actions(alarm) == [AlarmAction.RAISED, AlarmAction.ROUTED]


def test_closing_an_unacknowledged_alarm_acknowledges_it_too(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    steps.close_alarm(place.alarm_operator, alarm.pk, AlarmCause.BY_MISTAKE)
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == place.alarm_operator
    assert alarm.escalate_at is None
    assert actions(alarm)[-2:] == [AlarmAction.ACKNOWLEDGED, AlarmAction.CLOSED]


def test_a_technical_alarm_closes_with_a_technical_cause(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY, kind="low_battery", code="YT")
    assert [c for c, _label in steps.causes_for(alarm)] == [
        AlarmCause.TECHNICAL_FIXED,
        AlarmCause.TEST,
        AlarmCause.OTHER,
    ]
    steps.close_alarm(place.tech, alarm.pk, AlarmCause.TECHNICAL_FIXED, "Bytt batteri")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED


def test_a_note_is_logged_and_an_empty_one_refused(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, DAY)
    with pytest.raises(steps.AlarmError):
        steps.add_alarm_note(place.alarm_operator, alarm.pk, " ")
    steps.add_alarm_note(place.alarm_operator, alarm.pk, "Ringde dottern.")
    assert AlarmEvent.objects.get(alarm=alarm, action=AlarmAction.NOTE).note == "Ringde dottern."


def test_every_step_is_announced(duty: Duty, heard: events.Subscription) -> None:
    alarm = raise_alarm(duty, DAY)
    steps.accept_alarm(duty.day_worker, alarm.pk, now=DAY)
    steps.mark_on_site(duty.day_worker, alarm.pk, now=DAY)
    steps.close_alarm(duty.day_worker, alarm.pk, AlarmCause.HELP_GIVEN, now=DAY)
    dispatch.escalate_due(DAY + dt.timedelta(hours=1))  # closed: nothing to escalate
    said = [data["action"] for data in announced(heard, 4)]
    assert said == ["raised", "accepted", "on_site", "closed"]


def test_a_failed_step_announces_nothing(duty: Duty, heard: events.Subscription) -> None:
    alarm = raise_alarm(duty, DAY)
    announced(heard, 1)
    with pytest.raises(steps.AlarmError):
        steps.close_alarm(duty.day_worker, alarm.pk, "", now=DAY)
    assert heard.get(timeout=0.5) is None
