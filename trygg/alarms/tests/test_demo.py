"""The demo's responders as the demo logins meet them: `teamledare` leads a day team and
gets no night alarms on the phone (the console shows them, read-only); `natt` is the night
patrol and gets them, and no day alarms."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.alarms import access, dispatch, phone, steps, views
from trygg.alarms.demo import seed_demo
from trygg.alarms.ingest import ingest
from trygg.alarms.models import Alarm
from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality, User

from .conftest import incoming

pytestmark = pytest.mark.django_db


def _raise(account: str, at: dt.datetime) -> Alarm:
    assert ingest([incoming(account, at=at)])[0].value == "stored"
    dispatch.dispatch_pending(now=at)
    alarm = (
        Alarm.objects.select_related("team")
        .filter(unit__dc09_account=account)
        .order_by("-pk")
        .first()
    )
    assert alarm is not None
    return alarm


def test_the_day_team_leader_gets_no_night_alarms_and_the_night_login_does() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    seed_demo(municipality)
    leader = User.objects.get(username="teamledare")
    night = User.objects.get(username="natt")
    yesterday = municipality.today() - dt.timedelta(days=1)
    at_0126 = dt.datetime.combine(yesterday, dt.time(1, 26), tzinfo=municipality.zone)
    at_1000 = at_0126.replace(hour=10, minute=0)

    # Account 1010: a client of the municipality's own home care in the north district.
    night_alarm = _raise("1010", at_0126)
    assert night_alarm.team is not None
    assert night_alarm.team.code == "NATT"
    assert phone.offered(leader, at_0126) == []
    assert [a.pk for a in phone.offered(night, at_0126)] == [night_alarm.pk]
    with pytest.raises(steps.AlarmRefused):
        steps.accept_alarm(leader, night_alarm.pk, now=at_0126)
    # The leader follows the provider's alarms on the console, without acting on them.
    assert night_alarm in views.queues(leader)["care"]
    assert not access.may_handle(leader, night_alarm, at_0126)
    leaders_phone = phone.phone_context(leader, at_0126)
    assert leaders_phone["next_shift"].team_name == "Norr"
    assert leaders_phone["next_shift"].next_start.time() == dt.time(7)

    # By day the north day team has that client's alarms: the leader, not the night staff.
    day_alarm = _raise("1010", at_1000)
    assert day_alarm.team is not None
    assert day_alarm.team.code == "NORR"
    assert [a.pk for a in phone.offered(leader, at_1000)] == [day_alarm.pk]
    assert day_alarm.pk not in {a.pk for a in phone.offered(night, at_1000)}
    steps.accept_alarm(night, night_alarm.pk, now=at_0126 + dt.timedelta(minutes=1))
    night_alarm.refresh_from_db()
    assert night_alarm.assigned_to == night
