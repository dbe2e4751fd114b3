"""Which shift is in force: times past midnight, weekdays, around the clock, and the most
specific shift winning (provider, district by the longest postal-code prefix, priority)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from trygg.alarms.models import District, ResponderShift
from trygg.alarms.routing import Roster
from trygg.core.tests.factories import TeamFactory

from .conftest import Place

TZ = ZoneInfo("Europe/Stockholm")
FRIDAY_NIGHT = dt.datetime(2026, 11, 27, 23, 30, tzinfo=TZ)
SATURDAY_3AM = dt.datetime(2026, 11, 28, 3, 0, tzinfo=TZ)
MONDAY_3AM = dt.datetime(2026, 11, 30, 3, 0, tzinfo=TZ)


def shift(starts: int, ends: int, weekdays: str = "1234567") -> ResponderShift:
    return ResponderShift(starts=dt.time(starts), ends=dt.time(ends), weekdays=weekdays)


def test_a_shift_past_midnight_belongs_to_the_day_it_starts() -> None:
    weekday_nights = shift(22, 7, "12345")
    assert weekday_nights.covers(FRIDAY_NIGHT)
    assert weekday_nights.covers(SATURDAY_3AM)  # Friday's night
    assert not weekday_nights.covers(MONDAY_3AM)  # Sunday's night
    assert not weekday_nights.covers(FRIDAY_NIGHT.replace(hour=12))


def test_a_day_shift_ends_at_its_end_time() -> None:
    day = shift(7, 16)
    assert day.covers(FRIDAY_NIGHT.replace(hour=7))
    assert not day.covers(FRIDAY_NIGHT.replace(hour=16))


def test_the_same_start_and_end_is_around_the_clock() -> None:
    always = shift(0, 0, "67")
    assert always.covers(SATURDAY_3AM)
    assert not always.covers(FRIDAY_NIGHT)


def test_weekdays_are_checked(place: Place) -> None:
    bad = ResponderShift(
        municipality=place.municipality,
        name="x",
        team=TeamFactory(provider=place.provider),
        starts=dt.time(7),
        ends=dt.time(16),
        weekdays="1189",
    )
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "weekdays" in caught.value.message_dict


def test_the_most_specific_shift_wins(place: Place) -> None:
    everyone = TeamFactory(provider=place.provider, name="Alla")
    north_team = TeamFactory(provider=place.provider, name="Norr")
    inner_team = TeamFactory(provider=place.provider, name="Innerstaden")
    own = TeamFactory(provider=place.other_provider, name="Egna")
    north = District.objects.create(
        municipality=place.municipality, code="n", name="Norr", postal_codes="999"
    )
    inner = District.objects.create(
        municipality=place.municipality, code="i", name="Inner", postal_codes="999 1"
    )
    common = {"municipality": place.municipality, "starts": dt.time(0), "ends": dt.time(0)}
    ResponderShift.objects.create(name="Alla", team=everyone, **common)
    ResponderShift.objects.create(name="Norr", team=north_team, district=north, **common)
    ResponderShift.objects.create(name="Inner", team=inner_team, district=inner, **common)
    ResponderShift.objects.create(name="Egna", team=own, provider=place.other_provider, **common)
    roster = Roster(place.municipality.pk)
    assert roster.district_for("999 12") == inner  # the longest prefix
    assert roster.district_for("99950") == north
    assert roster.district_for("111 22") is None
    route = lambda code, provider: roster.route(  # noqa: E731
        SATURDAY_3AM, provider_id=provider, postal_code=code
    )
    assert route("999 12", place.provider.pk).team == inner_team
    assert route("999 50", place.provider.pk).team == north_team
    assert route("111 22", place.provider.pk).team == everyone
    assert route("999 12", place.other_provider.pk).team == own  # the provider's own first
    assert route("", place.provider.pk).team == everyone  # no postal code: no district


def test_an_inactive_shift_is_not_in_force(place: Place) -> None:
    team = TeamFactory(provider=place.provider)
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Gammal",
        team=team,
        starts=dt.time(0),
        ends=dt.time(0),
        active=False,
    )
    assert Roster(place.municipality.pk).route(SATURDAY_3AM, provider_id=None).team is None


def test_postal_codes_must_be_digits(place: Place) -> None:
    district = District(
        municipality=place.municipality, code="x", name="X", postal_codes="123 45, ABC"
    )
    with pytest.raises(ValidationError):
        district.full_clean()
