"""Working days in Sweden and Norway: properties over any date, and the hard cases."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trygg.lib import workdays
from trygg.lib.workdays import (
    add_working_days,
    holiday_name,
    is_working_day,
    nearest_working_days,
    next_working_day,
    previous_working_day,
)


def working_days_between(
    start: dt.date, end: dt.date, country: str, closed: frozenset[dt.date] = frozenset()
) -> int:
    """The oracle for add_working_days, counting day by day: how many working days lie in
    (start, end], the n with add_working_days(start, n) == end when `end` is a working day.

    Counting backwards mirrors that: minus the working days in [end, start), so that
    stepping back from a Saturday to Friday is -1, as add_working_days(saturday, -1) is.
    """
    if end < start:
        return -sum(
            1
            for k in range((start - end).days)
            if is_working_day(end + dt.timedelta(days=k), country, closed)
        )
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, country, closed):
            count += 1
    return count


countries = st.sampled_from(["SE", "NO"])
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31))
offsets = st.integers(min_value=-40, max_value=40)
closed_sets = st.frozensets(days, max_size=5)


@settings(deadline=None)
@given(days, offsets.filter(lambda n: n != 0), countries)
def test_adding_working_days_lands_on_a_working_day(day, n, country) -> None:
    assert is_working_day(add_working_days(day, n, country), country)


@settings(deadline=None)
@given(days, offsets.filter(lambda n: n != 0), countries)
def test_counting_back_gives_the_number_added(day, n, country) -> None:
    end = add_working_days(day, n, country)
    assert working_days_between(day, end, country) == n


@settings(deadline=None)
@given(days, offsets, countries)
def test_counting_from_a_working_day_gives_the_number_added(day, n, country) -> None:
    start = add_working_days(day, 0, country)
    assert working_days_between(start, add_working_days(start, n, country), country) == n


@settings(deadline=None)
@given(days, offsets, offsets, countries)
def test_adding_more_days_never_lands_earlier(day, a, b, country) -> None:
    low, high = sorted((a, b))
    assert add_working_days(day, low, country) <= add_working_days(day, high, country)
    if low != high and ((low != 0 and high != 0) or is_working_day(day, country)):
        assert add_working_days(day, low, country) < add_working_days(day, high, country)


@settings(deadline=None)
@given(days, countries, closed_sets)
def test_next_working_day_skips_only_closed_days(day, country, closed) -> None:
    following = next_working_day(day, country, closed)
    assert following > day
    assert is_working_day(following, country, closed)
    between = day + dt.timedelta(days=1)
    while between < following:
        assert not is_working_day(between, country, closed)
        between += dt.timedelta(days=1)


@settings(deadline=None)
@given(days, countries, closed_sets)
def test_previous_working_day_skips_only_closed_days(day, country, closed) -> None:
    before = previous_working_day(day, country, closed)
    assert before < day
    assert is_working_day(before, country, closed)
    assert all(
        not is_working_day(before + dt.timedelta(days=k), country, closed)
        for k in range(1, (day - before).days)
    )


@settings(deadline=None)
@given(days, offsets.filter(lambda n: n != 0), countries, closed_sets)
def test_extra_closed_days_are_never_landed_on(day, n, country, closed) -> None:
    end = add_working_days(day, n, country, closed)
    assert end not in closed
    assert working_days_between(day, end, country, closed) == n


@settings(deadline=None)
@given(days, countries)
def test_weekends_are_never_working_days(day, country) -> None:
    if day.weekday() >= 5:
        assert not is_working_day(day, country)


# Sweden 2026 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (dt.date(2026, 1, 1), "New Year's Day"),
        (dt.date(2026, 1, 6), "Epiphany"),
        (dt.date(2026, 4, 3), "Good Friday"),
        (dt.date(2026, 4, 6), "Easter Monday"),
        (dt.date(2026, 5, 1), "May Day"),
        (dt.date(2026, 5, 14), "Ascension Day"),
        (dt.date(2026, 6, 19), "Midsummer Eve, a Friday"),
        (dt.date(2026, 12, 24), "Christmas Eve"),
        (dt.date(2026, 12, 25), "Christmas Day"),
        (dt.date(2026, 12, 31), "New Year's Eve"),
    ],
)
def test_swedish_holidays_and_eves_are_closed(day, why) -> None:
    assert day.weekday() < 5, why
    assert not is_working_day(day, "SE"), why


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 4, 2),  # Maundy Thursday is a working day in Sweden
        dt.date(2026, 4, 7),
        dt.date(2026, 6, 18),
        dt.date(2026, 12, 23),
        dt.date(2026, 12, 30),
    ],
)
def test_swedish_days_around_holidays_are_open(day) -> None:
    assert is_working_day(day, "SE")


def test_swedish_easter_is_skipped() -> None:
    # Thu 2 April + 1: Good Friday, the weekend and Easter Monday are all closed.
    assert add_working_days(dt.date(2026, 4, 2), 1, "SE") == dt.date(2026, 4, 7)
    assert previous_working_day(dt.date(2026, 4, 7), "SE") == dt.date(2026, 4, 2)


def test_swedish_christmas_and_new_year_are_skipped() -> None:
    assert next_working_day(dt.date(2026, 12, 23), "SE") == dt.date(2026, 12, 28)
    assert next_working_day(dt.date(2026, 12, 30), "SE") == dt.date(2027, 1, 4)
    assert working_days_between(dt.date(2026, 12, 23), dt.date(2027, 1, 4), "SE") == 4


def test_swedish_midsummer_is_skipped() -> None:
    assert next_working_day(dt.date(2026, 6, 18), "SE") == dt.date(2026, 6, 22)


# Norway 2026 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 2),  # Maundy Thursday (skjærtorsdag)
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 14),
        dt.date(2026, 5, 25),
        dt.date(2026, 12, 25),
    ],
)
def test_norwegian_public_holidays_are_closed(day) -> None:
    assert day.weekday() < 5
    assert not is_working_day(day, "NO")


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 12, 24),  # julaften: not a public holiday in Norway
        dt.date(2026, 12, 31),  # nyttårsaften
        dt.date(2026, 6, 19),  # no midsummer eve
        dt.date(2026, 1, 6),
    ],
)
def test_norwegian_eves_are_working_days(day) -> None:
    assert is_working_day(day, "NO")


def test_norwegian_easter_starts_on_maundy_thursday() -> None:
    assert next_working_day(dt.date(2026, 4, 1), "NO") == dt.date(2026, 4, 7)


def test_constitution_day_on_a_weekday_is_closed_in_norway() -> None:
    assert not is_working_day(dt.date(2027, 5, 17), "NO")
    assert is_working_day(dt.date(2027, 5, 17), "SE")


# Extra closed days, names, errors -----------------------------------------------------


def test_a_municipalitys_bridge_day_is_closed() -> None:
    bridge = dt.date(2026, 5, 15)  # the Friday after Ascension Day
    assert is_working_day(bridge, "SE")
    assert not is_working_day(bridge, "SE", closed={bridge})
    assert next_working_day(dt.date(2026, 5, 13), "SE", closed={bridge}) == dt.date(2026, 5, 18)


def test_an_order_placed_on_saturday_with_two_working_days_is_due_on_tuesday() -> None:
    assert add_working_days(dt.date(2026, 3, 7), 2, "SE") == dt.date(2026, 3, 10)


def test_zero_days_from_a_closed_day_is_the_next_working_day() -> None:
    assert add_working_days(dt.date(2026, 12, 24), 0, "SE") == dt.date(2026, 12, 28)
    assert add_working_days(dt.date(2026, 12, 22), 0, "SE") == dt.date(2026, 12, 22)


def test_nearest_working_days_surround_a_holiday() -> None:
    assert nearest_working_days(dt.date(2026, 6, 19), "SE") == (
        dt.date(2026, 6, 18),
        dt.date(2026, 6, 22),
    )


def test_holiday_names_are_given_and_sundays_are_not_holidays() -> None:
    assert holiday_name(dt.date(2026, 6, 19), "SE", language="en_US") == "Midsummer Eve"
    assert holiday_name(dt.date(2026, 3, 10), "SE") is None
    assert holiday_name(dt.date(2026, 3, 8), "SE") is None  # a plain Sunday
    assert holiday_name(dt.date(2026, 12, 24), "NO") is None


@pytest.mark.parametrize("country", ["DK", "FI", "se", ""])
def test_an_unsupported_country_is_refused(country) -> None:
    with pytest.raises(ValueError, match="Unsupported country"):
        is_working_day(dt.date(2026, 3, 10), country)
    with pytest.raises(ValueError, match="Unsupported country"):
        is_working_day(dt.date(2026, 3, 14), country)  # a Saturday: still refused
    with pytest.raises(ValueError, match="Unsupported country"):
        holiday_name(dt.date(2026, 3, 10), country)
    with pytest.raises(ValueError, match="Unsupported country"):
        add_working_days(dt.date(2026, 3, 10), 3, country)


def test_a_year_closed_altogether_is_refused_not_looped_forever() -> None:
    start = dt.date(2026, 1, 1)
    everything = {start + dt.timedelta(days=k) for k in range(400)}
    with pytest.raises(ValueError, match="No working day"):
        next_working_day(start, "SE", everything)
    assert workdays.SUPPORTED_COUNTRIES == ("SE", "NO")


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        # Friday 30 October 2026: All Saints' Day is Saturday 31 October.
        (dt.date(2026, 10, 30), "SE", True),
        (dt.date(2026, 10, 29), "SE", False),  # the Thursday before: an ordinary day
        (dt.date(2026, 11, 2), "SE", False),  # the Monday after
        (dt.date(2026, 11, 6), "SE", False),  # an ordinary Friday
        (dt.date(2026, 6, 5), "SE", True),  # National Day on a Saturday
        (dt.date(2026, 12, 23), "SE", True),  # Christmas Eve, a de-facto closed Thursday
        (dt.date(2026, 10, 31), "SE", False),  # a Saturday is not Monday to Friday
        # Norway: Friday 30 April 2027 before Labour Day (Saturday 1 May 2027).
        (dt.date(2027, 4, 30), "NO", True),
        (dt.date(2027, 4, 29), "NO", False),
        (dt.date(2026, 10, 30), "NO", False),  # All Saints' Day is not Norwegian
        (dt.date(2026, 1, 2), "SE", False),  # a Friday before an ordinary weekend
    ],
)
def test_the_day_before_a_holiday_includes_a_friday_before_a_saturday_holiday(
    day: dt.date, country: str, expected: bool
) -> None:
    assert workdays.is_day_before_holiday(day, country) is expected


def test_a_closed_day_makes_the_day_before_it_one_before_a_holiday() -> None:
    bridge_day = dt.date(2025, 5, 30)
    assert workdays.is_holiday(bridge_day, "SE", {bridge_day})
    assert not workdays.is_holiday(dt.date(2025, 5, 31), "SE")  # an ordinary Saturday
    assert not workdays.is_holiday(dt.date(2025, 6, 1), "SE")  # an ordinary Sunday
    assert workdays.is_holiday(dt.date(2025, 6, 8), "SE")  # Whit Sunday is one
