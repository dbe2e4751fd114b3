"""The night round: look-ins due now and next, camera sessions only in the agreed window and
by the client's night team, outcomes and what follows when the client is not seen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from trygg.alarms import dispatch
from trygg.alarms.models import Alarm, AlarmStatus
from trygg.core.models import AccessLogEntry
from trygg.servicedesk.models import Order
from trygg.supervision import plans, rounds
from trygg.supervision.constants import LookInStatus, Outcome, RefusalReason
from trygg.supervision.models import CameraSession, LookIn
from trygg.supervision.schedule import make_lookins, raise_missed

from .conftest import AT_0200, AT_2300, NIGHT, Night, login

pytestmark = pytest.mark.django_db


def _first(night: Night) -> LookIn:
    return LookIn.objects.select_related("plan", "client", "municipality").get(
        scheduled_at=AT_2300, retry_of__isnull=True
    )


def test_tonights_look_ins_are_made_once_per_agreed_time(night: Night) -> None:
    plan = night.plan()
    assert make_lookins(AT_2300) == 0  # already made
    lookins = list(LookIn.objects.filter(plan=plan).order_by("scheduled_at"))
    assert [lk.scheduled_at for lk in lookins] == [AT_2300, AT_0200]
    assert {lk.night for lk in lookins} == {NIGHT}
    assert lookins[0].window_ends_at == AT_2300 + dt.timedelta(minutes=30)


def test_a_paused_night_has_no_look_ins_due(night: Night) -> None:
    plan = night.plan(make=False)
    plans.add_pause(
        night.night_worker, plan, NIGHT, NIGHT, "declined", now=AT_2300 - dt.timedelta(hours=2)
    )
    make_lookins(AT_2300 - dt.timedelta(hours=1))
    assert set(LookIn.objects.values_list("status", flat=True)) == {LookInStatus.PAUSED}


def test_the_round_shows_due_now_and_next_in_time_order(night: Night) -> None:
    night.plan()
    found = rounds.night_round(night.night_worker, AT_2300 + dt.timedelta(minutes=5))
    assert [lk.scheduled_at for lk in found.now] == [AT_2300]
    assert [lk.scheduled_at for lk in found.next] == [AT_0200]
    early = rounds.night_round(night.night_worker, AT_2300 - dt.timedelta(hours=2))
    assert [lk.scheduled_at for lk in early.next] == [AT_2300]  # 02:00 is over 3 hours ahead
    assert rounds.night_round(night.other_night_worker, AT_2300).now == []


def test_a_session_in_the_window_is_limited_and_logged(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    moment = AT_2300 + dt.timedelta(minutes=3)
    session = rounds.open_session(night.night_worker, lookin, now=moment, remote_addr="10.0.0.9")
    assert session.ends_at == moment + dt.timedelta(seconds=30)
    assert session.seconds == 30
    log = AccessLogEntry.objects.get(user=night.night_worker, client=night.client)
    assert log.shown == {"camera_session": [str(session.pk)]}
    assert log.path == f"/supervision/sessions/{session.pk}/"


def test_a_session_near_the_window_end_stops_at_it(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    moment = AT_2300 + dt.timedelta(minutes=29, seconds=50)
    session = rounds.open_session(night.night_worker, lookin, now=moment)
    assert session.ends_at == lookin.window_ends_at


@pytest.mark.parametrize(
    ("who", "minutes", "reason"),
    [
        ("night_worker", -5, RefusalReason.OUTSIDE_WINDOW),
        ("night_worker", 31, RefusalReason.OUTSIDE_WINDOW),
        ("other_night_worker", 3, RefusalReason.NOT_NIGHT_TEAM),
        ("care_worker", 3, RefusalReason.NOT_NIGHT_TEAM),
    ],
)
def test_a_session_outside_the_window_or_the_team_is_refused_and_logged(
    night: Night, who: str, minutes: int, reason: str
) -> None:
    night.plan()
    lookin = _first(night)
    user = getattr(night, who)
    with pytest.raises(rounds.SessionRefused) as caught:
        rounds.open_session(user, lookin, now=AT_2300 + dt.timedelta(minutes=minutes))
    assert caught.value.reason == reason
    attempt = CameraSession.objects.get(user=user)
    assert attempt.refused == reason
    assert attempt.ends_at is None
    assert not AccessLogEntry.objects.filter(user=user).exists()


def test_seen_and_fine_closes_the_look_in_and_the_session(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    moment = AT_2300 + dt.timedelta(minutes=2)
    with pytest.raises(rounds.RoundError):  # not without looking
        rounds.record_outcome(night.night_worker, lookin, Outcome.SEEN_FINE, now=moment)
    session = rounds.open_session(night.night_worker, lookin, now=moment)
    rounds.record_outcome(
        night.night_worker, lookin, Outcome.SEEN_FINE, now=moment + dt.timedelta(seconds=10)
    )
    lookin.refresh_from_db()
    assert lookin.status == LookInStatus.DONE
    assert lookin.done_by == night.night_worker
    session.refresh_from_db()
    assert session.ends_at == moment + dt.timedelta(seconds=10)
    assert raise_missed(AT_2300 + dt.timedelta(hours=1)) == 0


def test_not_seen_looks_again_then_phone_then_patrol(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    moment = AT_2300 + dt.timedelta(minutes=2)
    rounds.open_session(night.night_worker, lookin, now=moment)
    rounds.record_outcome(night.night_worker, lookin, Outcome.NOT_SEEN, now=moment)
    retry = LookIn.objects.select_related("plan", "municipality", "client").get(retry_of=lookin)
    assert retry.scheduled_at == moment + dt.timedelta(minutes=15)
    again = retry.scheduled_at + dt.timedelta(minutes=1)
    rounds.open_session(night.night_worker, retry, now=again)
    rounds.record_outcome(night.night_worker, retry, Outcome.NOT_SEEN, now=again)
    assert [lk.pk for lk in rounds.night_round(night.night_worker, again).calls] == [retry.pk]
    assert not Alarm.objects.exists()
    rounds.record_call(night.night_worker, retry, answered=False, now=again)
    alarm = Alarm.objects.get()
    assert alarm.client == night.client
    assert alarm.code == "lookin_not_seen"


def test_a_camera_fault_makes_visits_and_opens_a_fault_ticket(night: Night) -> None:
    plan = night.plan()
    lookin = _first(night)
    moment = AT_2300 + dt.timedelta(minutes=2)
    rounds.open_session(night.night_worker, lookin, now=moment)
    rounds.record_outcome(
        night.night_worker, lookin, Outcome.CAMERA_FAULT, "Svart bild", now=moment
    )
    plan.refresh_from_db()
    assert plan.camera_faulty_since == moment
    ticket = Order.objects.get(pk=plan.fault_order_id)
    assert ticket.order_type.code == "camera_fault"
    assert ticket.values["camera"] == plan.camera.serial_number
    later = LookIn.objects.select_related("plan", "municipality").get(scheduled_at=AT_0200)
    assert later.physical
    with pytest.raises(rounds.SessionRefused):
        rounds.open_session(night.night_worker, later, now=AT_0200 + dt.timedelta(minutes=1))
    # A visit is recorded without a camera.
    rounds.record_outcome(
        night.night_worker, later, Outcome.SEEN_FINE, now=AT_0200 + dt.timedelta(minutes=5)
    )
    assert Alarm.objects.filter(code="lookin_not_seen").count() == 1  # the faulty night
    plans.camera_repaired(night.tech, plan)
    plan.refresh_from_db()
    assert plan.camera_faulty_since is None
    page = login(night.tech).get(f"/orders/{ticket.pk}/").content.decode()
    assert "vendor-support" in page


def test_a_missed_look_in_raises_one_alarm_to_the_night_patrol(night: Night) -> None:
    night.plan()
    assert raise_missed(AT_2300 + dt.timedelta(minutes=29)) == 0
    closed = AT_2300 + dt.timedelta(minutes=30)
    assert raise_missed(closed) == 1
    assert raise_missed(closed + dt.timedelta(seconds=5)) == 0
    lookin = _first(night)
    assert lookin.status == LookInStatus.MISSED
    dispatch.dispatch_pending(now=closed)
    alarm = Alarm.objects.select_related("team").get(pk=lookin.alarm_id)
    assert alarm.client == night.client
    assert alarm.team == night.patrol
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.event_name == "Tillsyn inte gjord i tid"
    with pytest.raises(rounds.RoundError):
        rounds.record_outcome(night.night_worker, lookin, Outcome.SEEN_FINE, now=closed)


def test_the_round_page_works_on_a_phone_and_refuses_others(night: Night) -> None:
    night.plan()
    assert login(night.care_worker).get("/supervision/round/").status_code == 403
    page = login(night.night_worker).get("/supervision/round/")
    assert page.status_code == 200


def test_the_session_picture_is_shown_while_it_lasts_and_never_cached(night: Night) -> None:
    plan = night.plan(make=False)
    now = timezone.now()
    lookin = LookIn.objects.create(
        plan=plan,
        municipality=night.municipality,
        client=night.client,
        team=night.team,
        night=NIGHT,
        scheduled_at=now - dt.timedelta(minutes=1),
        window_ends_at=now + dt.timedelta(minutes=29),
    )
    http = login(night.night_worker)
    response = http.post(f"/supervision/lookins/{lookin.pk}/open/")
    assert response.status_code == 302
    session = CameraSession.objects.get(user=night.night_worker)
    page = http.get(response["Location"]).content.decode()
    assert f"/supervision/sessions/{session.pk}/picture/" in page
    picture = http.get(f"/supervision/sessions/{session.pk}/picture/")
    assert picture["Content-Type"] == "image/svg+xml"
    assert "no-store" in picture["Cache-Control"]
    assert plan.camera.serial_number in picture.content.decode()
    # Someone else's session is not theirs to see.
    assert (
        login(night.leader).get(f"/supervision/sessions/{session.pk}/picture/").status_code == 404
    )
    CameraSession.objects.filter(pk=session.pk).update(ends_at=now - dt.timedelta(seconds=1))
    assert http.get(f"/supervision/sessions/{session.pk}/picture/").status_code == 410
    # The outcome from the session page.
    response = http.post(f"/supervision/lookins/{lookin.pk}/outcome/", {"outcome": "seen_fine"})
    assert response.status_code == 302
    lookin.refresh_from_db()
    assert lookin.outcome == Outcome.SEEN_FINE


def test_an_outcome_without_a_choice_is_a_400(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    response = login(night.night_worker).post(f"/supervision/lookins/{lookin.pk}/outcome/", {})
    assert response.status_code == 400


def test_foreign_staff_do_not_find_the_look_in(night: Night) -> None:
    night.plan()
    lookin = _first(night)
    http = login(night.foreign_night_worker)
    assert http.get(f"/supervision/lookins/{lookin.pk}/").status_code == 404
    assert http.post(f"/supervision/lookins/{lookin.pk}/open/").status_code == 404
