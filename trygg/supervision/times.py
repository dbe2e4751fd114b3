"""Look-in times as people write them ("22:00, 01.00, 4:30"), and nights on the local clock."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .constants import MAX_TIMES_PER_NIGHT, NIGHT_STARTS

_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


class BadTimes(ValueError):
    """The times cannot be read; the message says which."""


def parse_times(text: str) -> list[dt.time]:
    """Distinct times in night order (evening first, then after midnight)."""
    parts = [p.strip() for p in re.split(r"[,;\s]+", text or "") if p.strip()]
    if not parts:
        raise BadTimes(_("Give at least one time, such as 22:00."))
    found: set[dt.time] = set()
    for part in parts:
        match = _TIME.match(part)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise BadTimes(_("“%(text)s” is not a time; write it as 22:00.") % {"text": part})
        found.add(dt.time(int(match.group(1)), int(match.group(2))))
    if len(found) > MAX_TIMES_PER_NIGHT:
        raise BadTimes(_("At most %(n)s times a night.") % {"n": MAX_TIMES_PER_NIGHT})
    return sorted(found, key=night_order)


def night_order(clock: dt.time) -> tuple[int, dt.time]:
    return (0 if clock >= NIGHT_STARTS else 1, clock)


def moment_of(night: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The moment of `clock` in the night that starts on `night` (after midnight: the next
    calendar day), in UTC."""
    day = night if clock >= NIGHT_STARTS else night + dt.timedelta(days=1)
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def night_of(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The night a moment belongs to: from noon to noon, named by its evening."""
    local = moment.astimezone(zone)
    return local.date() if local.time() >= NIGHT_STARTS else local.date() - dt.timedelta(days=1)


def format_times(times: list[dt.time]) -> str:
    return ", ".join(f"{t:%H:%M}" for t in sorted(times, key=night_order))
