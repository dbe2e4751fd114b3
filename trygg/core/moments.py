"""Moments written the way people say them: "7 dec 14:05", "tis 29 dec 09:00".

Pages and e-mails name a moment by day and abbreviated month in the reader's language, the
year only when it is not this year's, never as an ISO timestamp ("2026-12-07 14:05:33"),
which is for files and the API.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language

# Day and abbreviated month as each language writes them: "7 dec", "7. des", "7 Dec".
_DAY_MONTH = {"sv": "j b", "nb": "j. b", "en": "j M"}


def moment_text(
    local: dt.datetime,
    *,
    seconds: bool = False,
    weekday: bool = False,
    this_year: int | None = None,
) -> str:
    """`local` (already in the clock it is to be read by) in the active language: the year
    only when it differs from `this_year` (default: the current year in `local`'s zone)."""
    language = (get_language() or "sv")[:2]
    parts = ["D"] if weekday else []
    parts.append(_DAY_MONTH.get(language, _DAY_MONTH["sv"]))
    if this_year is None:
        this_year = timezone.now().astimezone(local.tzinfo).year if local.tzinfo else local.year
    if local.year != this_year:
        parts.append("Y")
    parts.append("H:i:s" if seconds else "H:i")
    return date_format(local, " ".join(parts))


def day_text(day: dt.date, *, weekday: bool = False, this_year: int | None = None) -> str:
    """A day in the active language: "7 dec", "mån 7 dec", the year when not this year's."""
    language = (get_language() or "sv")[:2]
    parts = ["D"] if weekday else []
    parts.append(_DAY_MONTH.get(language, _DAY_MONTH["sv"]))
    if day.year != (this_year or timezone.localdate().year):
        parts.append("Y")
    return date_format(day, " ".join(parts))


# A month and its year: "dec 2026", "des. 2026", "Dec 2026".
_MONTH_YEAR = {"sv": "b Y", "nb": "b. Y", "en": "M Y"}


def month_text(day: dt.date) -> str:
    """The month `day` falls in, with its year, in the active language."""
    language = (get_language() or "sv")[:2]
    return date_format(day, _MONTH_YEAR.get(language, _MONTH_YEAR["sv"]))
