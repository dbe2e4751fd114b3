"""When a team is on shift, until when, and when it next starts: past midnight, back to back,
across the change to and from summer time, by the municipality's clock and not the
server's; and a person's duty when they are in two teams."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from trygg.alarms import access
from trygg.alarms.models import ResponderShift
from trygg.alarms.phone import when_label
from trygg.alarms.shifts import stretch_at
from trygg.core.constants import Role
from trygg.core.models import Team
from trygg.core.tests.factories import TeamFactory, make_staff

from .conftest import Place

TZ = ZoneInfo("Europe/Stockholm")
# Wednesday 25 November 2026, 01:26: the night of Tuesday's night shift.
WEDNESDAY_0126 = dt.datetime(2026, 11, 25, 1, 26, tzinfo=TZ)


def shift(starts: int, ends: int, weekdays: str = "1234567", name: str = "") -> ResponderShift:
    return ResponderShift(name=name, starts=dt.time(starts), ends=dt.time(ends), weekdays=weekdays)


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(TZ) if moment is not None else None


def test_a_night_shift_past_midnight_is_in_force_until_the_morning() -> None:
    where = stretch_at([shift(22, 7)], TZ, WEDNESDAY_0126)
    assert where.on_shift
    assert local(where.until) == dt.datetime(2026, 11, 25, 7, 0, tzinfo=TZ)


def test_a_day_team_at_night_is_off_shift_until_its_morning_start() -> None:
    where = stretch_at([shift(7, 16)], TZ, WEDNESDAY_0126)
    assert not where.on_shift
    assert local(where.next_start) == dt.datetime(2026, 11, 25, 7, 0, tzinfo=TZ)


def test_weekday_nights_belong_to_the_day_they_start() -> None:
    # Monday to Friday nights: Saturday 03:00 is Friday's night; Sunday 23:00 is nobody's,
    # and the next one starts Monday 22:00.
    nights = [shift(22, 7, "12345")]
    assert stretch_at(nights, TZ, dt.datetime(2026, 11, 28, 3, 0, tzinfo=TZ)).on_shift
    sunday = stretch_at(nights, TZ, dt.datetime(2026, 11, 29, 23, 0, tzinfo=TZ))
    assert not sunday.on_shift
    assert local(sunday.next_start) == dt.datetime(2026, 11, 30, 22, 0, tzinfo=TZ)


def test_back_to_back_shifts_are_one_stretch() -> None:
    where = stretch_at(
        [shift(7, 16), shift(16, 22)], TZ, dt.datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
    )
    assert local(where.until) == dt.datetime(2026, 11, 25, 22, 0, tzinfo=TZ)


def test_around_the_clock_every_day_has_no_end() -> None:
    where = stretch_at([shift(0, 0)], TZ, WEDNESDAY_0126)
    assert where.on_shift
    assert where.until is None


@pytest.mark.parametrize(
    ("night", "hours"),
    [
        (dt.date(2026, 10, 24), 10),  # the clocks go back at 03:00: a ten-hour night
        (dt.date(2026, 3, 28), 8),  # and forward at 02:00: an eight-hour one
    ],
)
def test_a_night_across_the_change_of_summer_time_ends_at_seven_on_the_clock(
    night: dt.date, hours: int
) -> None:
    at = dt.datetime.combine(night, dt.time(23), tzinfo=TZ)
    where = stretch_at([shift(22, 7)], TZ, at)
    assert where.until is not None
    assert local(where.until) == dt.datetime.combine(
        night + dt.timedelta(days=1), dt.time(7), tzinfo=TZ
    )
    start = dt.datetime.combine(night, dt.time(22), tzinfo=TZ).astimezone(dt.UTC)
    assert where.until - start == dt.timedelta(hours=hours)


def test_the_municipalitys_clock_decides_not_the_servers(place: Place, settings: object) -> None:
    """A server in UTC: at 21:30 UTC it is 22:30 in Stockholm, and the night patrol is on."""
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    night = TeamFactory(provider=place.provider, name="Nattpatrullen")
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Natt",
        team=night,
        starts=dt.time(22),
        ends=dt.time(7),
    )
    patrol = make_staff(Role.NIGHT_SUPERVISOR, provider=place.provider, teams=[night])
    duty = access.duty_for(patrol)
    assert duty.teams_on_shift(dt.datetime(2026, 11, 24, 21, 30, tzinfo=dt.UTC)) == {night.pk}
    assert duty.teams_on_shift(dt.datetime(2026, 11, 24, 20, 30, tzinfo=dt.UTC)) == frozenset()


def _team_with(place: Place, name: str, starts: int, ends: int) -> Team:
    team = TeamFactory(provider=place.provider, name=name)
    ResponderShift.objects.create(
        municipality=place.municipality,
        name=name,
        team=team,
        starts=dt.time(starts),
        ends=dt.time(ends),
    )
    return team


def test_a_person_in_two_teams_is_on_shift_with_either(place: Place) -> None:
    day = _team_with(place, "Norr dag", 7, 16)
    night = _team_with(place, "Nattpatrullen", 22, 7)
    both = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[day, night])
    duty = access.duty_for(both)
    assert duty.teams_on_shift(WEDNESDAY_0126) == {night.pk}
    assert duty.teams_on_shift(WEDNESDAY_0126.replace(hour=10, minute=0)) == {day.pk}
    evening = WEDNESDAY_0126.replace(hour=18, minute=0)
    assert duty.teams_on_shift(evening) == frozenset()
    coming = duty.next_shift(evening)
    assert coming is not None
    assert coming.team_name == "Nattpatrullen"
    assert coming.next_start == WEDNESDAY_0126.replace(hour=22, minute=0)
    # The phone reloads at the next change: the day team going off at 16:00.
    assert duty.next_change(WEDNESDAY_0126.replace(hour=10, minute=0)) == WEDNESDAY_0126.replace(
        hour=16, minute=0
    )


def test_when_the_next_shift_starts_is_said_as_people_say_it() -> None:
    with translation.override("sv"):
        assert (
            when_label(WEDNESDAY_0126.replace(hour=7, minute=0), WEDNESDAY_0126)
            == "i dag kl. 07:00"
        )
        assert (
            when_label(WEDNESDAY_0126.replace(hour=22, minute=0), WEDNESDAY_0126)
            == "i dag kl. 22:00"
        )
        tomorrow = WEDNESDAY_0126 + dt.timedelta(days=1)
        assert (
            when_label(tomorrow.replace(hour=7, minute=0), WEDNESDAY_0126) == "i morgon kl. 07:00"
        )
        monday = dt.datetime(2026, 11, 30, 7, 0, tzinfo=TZ)
        assert when_label(monday, WEDNESDAY_0126) == "måndag kl. 07:00"
        later = dt.datetime(2026, 12, 2, 7, 0, tzinfo=TZ)
        assert when_label(later, WEDNESDAY_0126) == "onsdag 2 december kl. 07:00"
