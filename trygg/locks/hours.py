"""Working hours: when a staff member's digital keys work.

The rule (docs/locks.md): a person works when a responder shift (alarms.ResponderShift)
of one of their teams is in force, the team being the shift's own team. A day team's hours
are its day shifts (Dag Norr 07-16), the evening patrol's its evening shift, the night
patrol's its nights. Being a shift's backup team does not count: the backup team is at
work during its own shift anyway, and a team named as backup for a long shift (the evening
patrol behind the private providers' 07-22) would otherwise hold keys all day. A team with
no shift of its own has no working hours, so its members' team keys issue no tokens: the
key overview says so, and the municipality gives the team a shift.

Consecutive shifts join up: a team on 07-16 and 16-22 works 07-22. Times are the
municipality's wall clock; a shift past midnight belongs to the day it starts, as in
routing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from trygg.alarms.models import ResponderShift
from trygg.lib import unlock

# Enough steps to join the shifts of the longest window a lock accepts.
_MAX_STEPS = 48


def occurrence_end(shift: ResponderShift, local: dt.datetime) -> dt.datetime:
    """The end, as a local time, of the occurrence of `shift` that covers `local`."""
    zone = local.tzinfo
    day = local.date()
    if shift.starts == shift.ends:  # around the clock: the whole of each listed day
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    if shift.starts < shift.ends:
        return dt.datetime.combine(day, shift.ends, tzinfo=zone)
    if local.time() >= shift.starts:  # past midnight: ends tomorrow
        return dt.datetime.combine(day + dt.timedelta(days=1), shift.ends, tzinfo=zone)
    return dt.datetime.combine(day, shift.ends, tzinfo=zone)


class WorkingHours:
    """The shifts of some teams, loaded once: whether the teams are at work at a moment,
    and until when."""

    def __init__(self, team_ids: Iterable[int]) -> None:
        ids = sorted(set(team_ids))
        self.shifts: list[ResponderShift] = (
            list(
                ResponderShift.objects.filter(team_id__in=ids, active=True).select_related(
                    "municipality"
                )
            )
            if ids
            else []
        )

    def _covering(self, moment: dt.datetime) -> list[tuple[ResponderShift, dt.datetime]]:
        found = []
        for shift in self.shifts:
            local = shift.municipality.localtime(moment)
            if shift.covers(local):
                found.append((shift, local))
        return found

    def at_work(self, moment: dt.datetime) -> bool:
        return bool(self._covering(moment))

    def until(self, moment: dt.datetime, *, cap: dt.timedelta | None = None) -> dt.datetime | None:
        """When the work that `moment` falls in ends (shifts that follow on without a gap
        joined up), at most `cap` ahead (default: the longest window a lock accepts). None
        when no shift covers `moment`."""
        limit = moment + (cap if cap is not None else dt.timedelta(seconds=unlock.MAX_WINDOW))
        covering = self._covering(moment)
        if not covering:
            return None
        end = moment
        for _step in range(_MAX_STEPS):
            if not covering:
                break
            end = max(occurrence_end(shift, local) for shift, local in covering)
            if end >= limit:
                return limit
            covering = self._covering(end)
        return min(end, limit)
