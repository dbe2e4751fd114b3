"""Working days (helgfri vardag / arbeidsdag) for Sweden and Norway.

Sweden: weekends, public holidays and the de-facto closed eves (midsummer eve, Christmas
eve, New Year's eve) are not working days. Norway: weekends and public holidays. A
municipality may close extra days (a bridge day, say); callers pass them as `closed`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache

import holidays

SUPPORTED_COUNTRIES = ("SE", "NO")
_CATEGORIES = {"SE": (holidays.PUBLIC, holidays.DE_FACTO), "NO": (holidays.PUBLIC,)}
# Searching for a working day never needs to look further than this: the longest run of
# closed days in either calendar is under a week, plus whatever a municipality adds.
_MAX_SEARCH_DAYS = 366
# Sweden's calendar lists every Sunday as a holiday under this name.
_PLAIN_SUNDAY = frozenset({"Söndag", "Sunday"})


# The holidays package's names for the interface languages (Django's codes).
_HOLIDAY_LANGUAGES = {"sv": "sv", "nb": "no", "en": "en_US"}


def holiday_language(language_code: str | None) -> str | None:
    """The holidays package's language for an interface language code ("nb" -> "no")."""
    return _HOLIDAY_LANGUAGES.get((language_code or "")[:2])


def _check_country(country: str) -> None:
    if country not in SUPPORTED_COUNTRIES:
        raise ValueError(f"Unsupported country {country!r}; expected one of {SUPPORTED_COUNTRIES}")


@lru_cache(maxsize=256)
def _holidays_for(country: str, year: int) -> frozenset[dt.date]:
    _check_country(country)
    calendar = holidays.country_holidays(country, years=year, categories=_CATEGORIES[country])
    return frozenset(calendar.keys())


@lru_cache(maxsize=256)
def _named_holidays_for(country: str, year: int) -> frozenset[dt.date]:
    """The holidays with a name of their own: Sweden's ordinary Sundays left out."""
    _check_country(country)
    calendar = holidays.country_holidays(country, years=year, categories=_CATEGORIES[country])
    return frozenset(day for day, name in calendar.items() if name not in _PLAIN_SUNDAY)


def holiday_name(day: dt.date, country: str, language: str | None = None) -> str | None:
    """The name of the holiday on `day`, or None when it is not one."""
    _check_country(country)
    calendar = holidays.country_holidays(
        country, years=day.year, categories=_CATEGORIES[country], language=language
    )
    name = calendar.get(day)
    # Sweden's calendar lists every Sunday as a holiday; a Sunday is closed as a weekend.
    if name in _PLAIN_SUNDAY:
        return None
    return name


def is_working_day(day: dt.date, country: str, closed: Collection[dt.date] = ()) -> bool:
    """True when `day` is a working day in `country`, given extra `closed` days."""
    _check_country(country)
    if day.weekday() >= 5:
        return False
    if day in closed:
        return False
    return day not in _holidays_for(country, day.year)


def is_holiday(day: dt.date, country: str, closed: Collection[dt.date] = ()) -> bool:
    """True when `day` is a public holiday (or a closed eve, or one of the municipality's
    `closed` days), on whatever weekday it falls: All Saints' Day on a Saturday counts.
    An ordinary weekend day does not."""
    _check_country(country)
    if day in closed:
        return True
    return day in _named_holidays_for(country, day.year)


def is_day_before_holiday(day: dt.date, country: str, closed: Collection[dt.date] = ()) -> bool:
    """True when `day` is a working day, Monday to Friday, and a holiday follows it.

    The routines' "the day before a public holiday, Monday to Friday" (dag före helgdag):
    the Friday before a holiday that falls on a Saturday is one too (Friday 30 October 2026
    before All Saints' Day), since the holiday need not itself be a weekday.
    """
    if not is_working_day(day, country, closed):
        return False
    return is_holiday(day + dt.timedelta(days=1), country, closed)


def next_working_day(day: dt.date, country: str, closed: Collection[dt.date] = ()) -> dt.date:
    """The first working day strictly after `day`."""
    candidate = day
    for _ in range(_MAX_SEARCH_DAYS):
        candidate += dt.timedelta(days=1)
        if is_working_day(candidate, country, closed):
            return candidate
    raise ValueError(f"No working day within a year after {day}")


def previous_working_day(day: dt.date, country: str, closed: Collection[dt.date] = ()) -> dt.date:
    """The last working day strictly before `day`."""
    candidate = day
    for _ in range(_MAX_SEARCH_DAYS):
        candidate -= dt.timedelta(days=1)
        if is_working_day(candidate, country, closed):
            return candidate
    raise ValueError(f"No working day within a year before {day}")


def add_working_days(
    day: dt.date, n: int, country: str, closed: Collection[dt.date] = ()
) -> dt.date:
    """The day `n` working days after `day` (before it when `n` is negative).

    `day` itself need not be a working day: an order placed on a Saturday with a deadline
    of 2 working days is due on Tuesday. With n == 0 the answer is `day` when it is a
    working day, else the next one.
    """
    if n == 0:
        return (
            day if is_working_day(day, country, closed) else next_working_day(day, country, closed)
        )
    step = next_working_day if n > 0 else previous_working_day
    current = day
    for _ in range(abs(n)):
        current = step(current, country, closed)
    return current


def nearest_working_days(
    day: dt.date, country: str, closed: Collection[dt.date] = ()
) -> tuple[dt.date, dt.date]:
    """The working days just before and just after `day`, for messages that refuse a date."""
    return previous_working_day(day, country, closed), next_working_day(day, country, closed)
