"""Working hours: a staff member works while a responder shift of one of their own teams is
in force; consecutive shifts join up, a night shift runs past midnight, a backup team's
duty does not count, and no window is longer than a lock accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.alarms.models import ResponderShift
from trygg.core.models import Team
from trygg.core.tests.factories import TeamFactory
from trygg.lib import unlock
from trygg.locks.hours import WorkingHours

from .conftest import DAY, EVENING, NIGHT, SHIFT_END, STOCKHOLM, Home

pytestmark = pytest.mark.django_db


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=STOCKHOLM)


def shift(home: Home, team: Team, starts: int, ends: int, **fields: object) -> ResponderShift:
    return ResponderShift.objects.create(
        municipality=home.place.municipality,
        name=f"{team.name} {starts}-{ends}",
        team=team,
        starts=dt.time(starts),
        ends=dt.time(ends),
        **fields,
    )


def test_a_day_team_works_its_day_shift(home: Home) -> None:
    hours = WorkingHours([home.team.pk])
    assert hours.until(DAY) == SHIFT_END
    assert hours.until(local(24, 7)) == SHIFT_END
    assert hours.until(local(24, 6, 59)) is None
    assert hours.until(EVENING) is None
    assert not hours.at_work(SHIFT_END)


def test_a_night_shift_runs_past_midnight(home: Home) -> None:
    hours = WorkingHours([home.night_team.pk])
    assert hours.until(NIGHT) == local(25, 7)
    assert hours.until(local(25, 3)) == local(25, 7)
    assert hours.until(DAY) is None


def test_consecutive_shifts_join_up(home: Home) -> None:
    shift(home, home.team, 16, 22)
    assert WorkingHours([home.team.pk]).until(DAY) == local(24, 22)


def test_shifts_of_all_ones_teams_count(home: Home) -> None:
    hours = WorkingHours([home.team.pk, home.night_team.pk])
    assert hours.until(DAY) == SHIFT_END
    assert hours.until(EVENING) is None
    # The night joins the next day shift: 23:00 to 16:00, cut at the longest window.
    assert hours.until(NIGHT) == NIGHT + dt.timedelta(seconds=unlock.MAX_WINDOW)


def test_no_window_is_longer_than_a_lock_accepts(home: Home) -> None:
    patrol = TeamFactory(provider=home.place.provider, name="Dygnet runt")
    shift(home, patrol, 0, 0)  # around the clock
    assert WorkingHours([patrol.pk]).until(DAY) == DAY + dt.timedelta(seconds=unlock.MAX_WINDOW)


def test_weekdays_limit_a_shift(home: Home) -> None:
    weekend = TeamFactory(provider=home.place.provider, name="Helg")
    shift(home, weekend, 8, 20, weekdays="67")
    hours = WorkingHours([weekend.pk])
    assert hours.until(DAY) is None  # a Tuesday
    assert hours.until(local(28, 9)) == local(28, 20)  # a Saturday


def test_being_a_backup_team_is_not_working_hours(home: Home) -> None:
    backup = TeamFactory(provider=home.place.provider, name="Reserv")
    shift(home, home.night_team, 7, 22, backup_team=backup)
    assert WorkingHours([backup.pk]).until(DAY) is None


def test_an_inactive_shift_and_a_team_without_shifts_give_no_hours(home: Home) -> None:
    idle = TeamFactory(provider=home.place.provider, name="Utan pass")
    assert WorkingHours([idle.pk]).until(DAY) is None
    ResponderShift.objects.filter(team=home.team).update(active=False)
    assert WorkingHours([home.team.pk]).until(DAY) is None
    assert WorkingHours([]).until(DAY) is None
