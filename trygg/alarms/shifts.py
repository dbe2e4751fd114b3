"""When responder shifts are in force, by the municipality's clock, and who is on one.

A shift (models.ResponderShift) is in force on its weekdays from its start to its end; one
past midnight (22-07) belongs to the day it starts; the same start and end is around the
clock on its weekdays. A team is on shift while any of its shifts is in force: two shifts
back to back (07-16 and 16-22) are one stretch of duty, so a team is not off shift for an
instant at 16:00.

Here: whether a team is on shift, until when, and when its next shift starts; and a
person's `Duty` (their teams and those teams' shifts, loaded once) that answers who is on
shift at a moment without the database, because the live stream asks for every event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .models import EscalationLevel, ResponderShift

# How far ahead a next start is looked for: a week and a day covers every weekly pattern.
LOOKAHEAD_DAYS = 8
_MIDNIGHT = dt.time(0)
_UTC = dt.UTC


def _at(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    # In UTC, so that comparing and joining stretches across a change to or from summer
    # time compares moments, not wall-clock readings (aware datetimes sharing one tzinfo
    # are compared by their wall clocks).
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(_UTC)


def occurrences(
    shift: ResponderShift, zone: ZoneInfo, first: dt.date, days: int
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Each time the shift is in force that starts on one of the `days` days from
    `first`, as (start, end) moments."""
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if str(day.isoweekday()) not in shift.weekdays:
            continue
        if shift.starts == shift.ends:  # around the clock: the whole calendar day
            yield _at(day, _MIDNIGHT, zone), _at(day + dt.timedelta(days=1), _MIDNIGHT, zone)
        elif shift.starts < shift.ends:
            yield _at(day, shift.starts, zone), _at(day, shift.ends, zone)
        else:  # past midnight: belongs to the day it starts
            yield (
                _at(day, shift.starts, zone),
                _at(day + dt.timedelta(days=1), shift.ends, zone),
            )


def stretches(
    shifts: Iterable[ResponderShift], zone: ZoneInfo, at: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stretches of duty the shifts make together around `at` (from the day before,
    for a night shift that began then, to LOOKAHEAD_DAYS after): overlapping and
    back-to-back times joined, in order."""
    first = at.astimezone(zone).date() - dt.timedelta(days=1)
    times = sorted(
        span for shift in shifts for span in occurrences(shift, zone, first, LOOKAHEAD_DAYS + 1)
    )
    joined: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in times:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


@dataclass(frozen=True)
class Stretch:
    """Where a team stands at a moment: on shift until `until` (None: beyond the
    lookahead, around the clock), or off shift with its next start `next_start` (None: no
    shift within the lookahead)."""

    on_shift: bool
    until: dt.datetime | None = None
    next_start: dt.datetime | None = None


def stretch_at(shifts: Iterable[ResponderShift], zone: ZoneInfo, at: dt.datetime) -> Stretch:
    """Whether the shifts are in force at `at`, until when, or when they next start."""
    moment = at.astimezone(_UTC)
    horizon = moment + dt.timedelta(days=LOOKAHEAD_DAYS - 1)
    for start, end in stretches(shifts, zone, at):
        if start <= moment < end:
            return Stretch(True, until=end if end < horizon else None)
        if start > moment:
            return Stretch(False, next_start=start)
    return Stretch(False)


# A person's duty --------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamStanding:
    """One of a person's teams at a moment (times aware, in its municipality's zone)."""

    team_id: int
    team_name: str
    on_shift: bool
    until: dt.datetime | None  # on shift: when it ends (None: around the clock)
    next_start: dt.datetime | None  # off shift: when the next one starts
    next_shift_name: str


@dataclass(frozen=True)
class Duty:
    """A person's responder teams and those teams' active shifts (each with its
    municipality loaded, for the clock). Built by `access.duty_for`."""

    user_id: int | None
    team_ids: frozenset[int]
    shifts: tuple[ResponderShift, ...]

    def teams_on_shift(self, now: dt.datetime) -> frozenset[int]:
        """The person's teams with a shift in force at `now`, each by its municipality's
        clock (never the server's)."""
        return frozenset(
            shift.team_id
            for shift in self.shifts
            if shift.covers(shift.municipality.localtime(now))
        )

    def offers(
        self,
        *,
        team_id: int | None,
        backup_team_id: int | None,
        level: int,
        assigned_to_id: int | None,
        acknowledged_by_id: int | None,
        now: dt.datetime,
    ) -> bool:
        """Whether an alarm with these routing fields is the person's to answer at `now`:
        they took it or were sent (it stays theirs after their shift), escalation named
        their team as the backup, or it was routed to a team of theirs that is on shift."""
        if self.user_id is None:
            return False
        if self.user_id in (assigned_to_id, acknowledged_by_id):
            return True
        if (
            backup_team_id is not None
            and backup_team_id in self.team_ids
            and level >= EscalationLevel.BACKUP_TEAM
        ):
            return True
        return team_id is not None and team_id in self.teams_on_shift(now)

    def offers_event(self, data: dict[str, Any], now: dt.datetime) -> bool:
        """`offers` for an event on the bus (dispatch.event_data)."""
        return self.offers(
            team_id=data.get("team"),
            backup_team_id=data.get("backup_team"),
            level=int(data.get("level") or 0),
            assigned_to_id=data.get("assigned_to"),
            acknowledged_by_id=data.get("acknowledged_by"),
            now=now,
        )

    def standing(self, now: dt.datetime) -> list[TeamStanding]:
        """Each of the person's teams that has shifts: on shift until when, or off shift
        and when it next starts, by its municipality's clock."""
        teams: dict[int, list[ResponderShift]] = {}
        for shift in self.shifts:
            teams.setdefault(shift.team_id, []).append(shift)
        standing = []
        for team_shifts in teams.values():
            municipality = team_shifts[0].municipality
            where = stretch_at(team_shifts, municipality.zone, now)
            shift_name = ""
            if where.next_start is not None:
                local = municipality.localtime(where.next_start)
                shift_name = next((s.name for s in team_shifts if s.covers(local)), "")
            standing.append(
                TeamStanding(
                    team_id=team_shifts[0].team_id,
                    team_name=team_shifts[0].team.name,
                    on_shift=where.on_shift,
                    until=municipality.localtime(where.until) if where.until else None,
                    next_start=(
                        municipality.localtime(where.next_start) if where.next_start else None
                    ),
                    next_shift_name=shift_name,
                )
            )
        return sorted(standing, key=lambda t: t.team_name)

    def next_shift(self, now: dt.datetime) -> TeamStanding | None:
        """The team of the person's whose shift starts first (for someone off shift): None
        when their teams have no shift within the coming week."""
        coming = [t for t in self.standing(now) if t.next_start is not None and not t.on_shift]
        return min(coming, key=lambda t: t.next_start or now, default=None)

    def next_change(self, now: dt.datetime) -> dt.datetime | None:
        """The next moment one of the person's teams goes on or off shift: the phone
        reloads its list then."""
        moments = [
            moment
            for team in self.standing(now)
            if (moment := team.until if team.on_shift else team.next_start) is not None
        ]
        return min(moments, default=None)
