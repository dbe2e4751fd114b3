"""After an alarm is received: routed to the team on duty and escalated while nobody takes
it, by the dispatcher loop (the steps people take are in test_steps.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from trygg.alarms import dispatch, steps
from trygg.alarms.ingest import ingest
from trygg.alarms.models import (
    Alarm,
    AlarmAction,
    AlarmEvent,
    AlarmPolicy,
    AlarmStatus,
    EscalationLevel,
    ResponderShift,
)
from trygg.core import events, outbox
from trygg.core.models import OutboxMessage
from trygg.receivers.incoming import IncomingEvent

from .conftest import DAY, NIGHT, Duty, Place, actions, announced, incoming, raise_alarm

# Routing ---------------------------------------------------------------------------------


def test_a_day_alarm_goes_to_the_day_team_of_the_clients_district(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    assert alarm.team == duty.day_team
    assert alarm.backup_team == duty.backup_team
    assert alarm.escalation_level == EscalationLevel.TEAM
    assert alarm.escalate_at == DAY + dt.timedelta(seconds=120)
    assert actions(alarm) == [AlarmAction.RAISED, AlarmAction.ROUTED]
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()


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
    assert dispatch.escalate_due(DAY + dt.timedelta(hours=1)) == 0


def test_a_restore_closes_the_alarm_and_the_consoles_hear_it(
    duty: Duty, heard: events.Subscription
) -> None:
    alarm = raise_alarm(duty, DAY, kind="low_battery", code="YT")
    assert announced(heard, 1)[0]["action"] == "raised"
    ingest(
        [incoming("1001", at=DAY, events=(IncomingEvent("restore", "YR", restores="low_battery"),))]
    )
    dispatch.dispatch_pending(now=DAY)
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
    assert dispatch.dispatch_pending(now=DAY) == 0
    assert AlarmEvent.objects.filter(action=AlarmAction.RAISED).count() == 1


def test_the_alarm_topics_are_delivered_by_the_dispatcher_not_the_outbox_job(duty: Duty) -> None:
    ingest([incoming("1001", at=DAY)])
    assert outbox.deliver(now=DAY) == 0  # the worker's `core.outbox` job leaves them alone
    assert OutboxMessage.objects.get().delivered_at is None
    assert dispatch.dispatch_pending(now=DAY) == 1
    assert OutboxMessage.objects.get().delivered_at == DAY


def test_an_alarm_whose_routing_fails_holds_back_no_other_and_is_tried_again(
    duty: Duty, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ingest([incoming("1001", at=DAY), incoming("1001", at=DAY)])
    bad, good = Alarm.objects.order_by("pk")
    route = dispatch._route

    def failing(alarm: Alarm, *args: Any) -> None:
        if alarm.pk == bad.pk:
            raise RuntimeError("the roster could not be read")
        route(alarm, *args)

    monkeypatch.setattr(dispatch, "_route", failing)
    assert dispatch.dispatch_pending(now=DAY) == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.routed_at, good.team) == (None, duty.day_team)
    message = OutboxMessage.objects.get(subject_id=bad.pk)
    assert message.delivered_at is None
    assert message.attempts >= 1
    assert message.last_error.startswith("RuntimeError at ")
    assert "roster" not in message.last_error
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > DAY
    assert dispatch.dispatch_pending(now=DAY) == 0  # not at once: later

    monkeypatch.setattr(dispatch, "_route", route)
    assert dispatch.dispatch_pending(now=message.next_attempt_at) == 1
    bad.refresh_from_db()
    assert bad.team == duty.day_team
    assert actions(bad) == [AlarmAction.RAISED, AlarmAction.ROUTED]


def test_a_message_about_a_deleted_alarm_is_skipped(duty: Duty) -> None:
    ingest([incoming("1001", at=DAY), incoming("1001", at=DAY)])
    gone, kept = Alarm.objects.order_by("pk")
    gone.delete()
    assert dispatch.dispatch_pending(now=DAY) == 2
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    kept.refresh_from_db()
    assert kept.team == duty.day_team


# Escalation ------------------------------------------------------------------------------


def test_an_unacknowledged_alarm_escalates_to_the_backup_team_then_the_centre_then_reminds(
    duty: Duty,
) -> None:
    alarm = raise_alarm(duty, DAY)
    assert dispatch.escalate_due(DAY + dt.timedelta(seconds=119)) == 0
    assert dispatch.escalate_due(DAY + dt.timedelta(seconds=120)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.BACKUP_TEAM
    later = DAY + dt.timedelta(seconds=240)
    assert dispatch.escalate_due(later) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    assert alarm.escalate_at == later + dt.timedelta(seconds=60)
    for minute in (1, 2, 3):
        assert dispatch.escalate_due(later + dt.timedelta(seconds=60 * minute)) == 1
    alarm.refresh_from_db()
    assert alarm.reminders == 3
    assert actions(alarm)[2:] == [AlarmAction.ESCALATED] * 2 + [AlarmAction.REMINDED] * 3


def test_without_a_backup_team_the_alarm_goes_straight_to_the_centre(duty: Duty) -> None:
    alarm = raise_alarm(duty, NIGHT)
    dispatch.escalate_due(NIGHT + dt.timedelta(seconds=120))
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE


def test_acknowledging_stops_the_escalation(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    steps.acknowledge_alarm(duty.day_worker, alarm.pk, now=DAY + dt.timedelta(seconds=30))
    assert dispatch.escalate_due(DAY + dt.timedelta(hours=1)) == 0
    alarm.refresh_from_db()
    assert alarm.escalate_at is None
    assert alarm.escalation_level == EscalationLevel.TEAM


def test_the_policy_sets_the_times(duty: Duty, place: Place) -> None:
    AlarmPolicy.objects.filter(municipality=place.municipality).update(acknowledge_within=30)
    alarm = raise_alarm(duty, DAY)
    assert alarm.escalate_at == DAY + dt.timedelta(seconds=30)


# Shift changes ---------------------------------------------------------------------------


def _at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return DAY.replace(hour=hour, minute=minute, second=second)


def test_an_alarm_nobody_took_passes_to_the_next_team_when_its_team_goes_off_shift(
    duty: Duty,
) -> None:
    """Raised at 06:59:30 to the night patrol: at 07:00 the night patrol goes home and the
    day team, on shift now, gets it with its full two minutes; nobody waits for an answer
    from a team that has left."""
    alarm = raise_alarm(duty, _at(6, 59, 30))
    assert alarm.team == duty.night_team
    assert alarm.escalate_at == _at(7)
    assert dispatch.escalate_due(_at(6, 59, 59)) == 0
    assert dispatch.escalate_due(_at(7)) == 1
    alarm.refresh_from_db()
    assert alarm.team == duty.day_team
    assert alarm.backup_team == duty.backup_team
    assert alarm.escalation_level == EscalationLevel.TEAM
    assert alarm.escalate_at == _at(7, 2)
    handed = AlarmEvent.objects.filter(alarm=alarm, action=AlarmAction.ROUTED).last()
    assert handed is not None
    assert handed.team == duty.day_team
    assert "Nattpatrullen" in handed.note
    # From there on it escalates as any day alarm does.
    dispatch.escalate_due(_at(7, 2))
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.BACKUP_TEAM


def test_with_no_team_on_shift_after_it_the_alarm_escalates_at_the_shift_end(
    duty: Duty,
) -> None:
    alarm = raise_alarm(duty, _at(15, 59))
    assert alarm.escalate_at == _at(16)
    dispatch.escalate_due(_at(16))
    alarm.refresh_from_db()
    assert alarm.team == duty.day_team
    # The backup team has no shifts of its own: a standby team, always asked.
    assert alarm.escalation_level == EscalationLevel.BACKUP_TEAM


def test_a_backup_team_gone_home_is_skipped(duty: Duty, place: Place) -> None:
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Söder förmiddag",
        team=duty.backup_team,
        starts=dt.time(7),
        ends=dt.time(12),
        district=None,
        provider=place.other_provider,  # its own clients only: not this alarm's route
    )
    dispatch.forget_organisations()
    alarm = raise_alarm(duty, _at(13))
    assert alarm.backup_team == duty.backup_team
    dispatch.escalate_due(_at(13, 2))
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    escalated = AlarmEvent.objects.get(alarm=alarm, action=AlarmAction.ESCALATED)
    assert "Söder dag" in escalated.note


# The dispatcher loop ------------------------------------------------------------------


def test_the_dispatcher_loop_routes_a_new_alarm_at_once(duty: Duty, transactional_db: None) -> None:
    import threading

    stop = threading.Event()
    seen = events.subscribe([dispatch.channel(duty.unit.municipality_id)])
    thread = threading.Thread(target=dispatch.run_dispatcher, args=(stop,), daemon=True)
    thread.start()
    try:
        now = timezone.now()
        ingest([incoming("1001", at=now)])
        outbox.notify(["alarm.raised"])
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
    steps.acknowledge_alarm(duty.day_worker, Alarm.objects.get().pk, now=DAY)
    with CaptureQueriesContext(connection) as queries:
        assert dispatch.dispatch_pending() == 0
        assert dispatch.escalate_due() == 0
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
    assert dispatch.escalate_due(an_hour_later) == 1
    assert dispatch.escalate_due(an_hour_later) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    assert alarm.escalate_at == an_hour_later + dt.timedelta(seconds=60)
    assert alarm.reminders == 0  # the hour is not made up with sixty reminders
