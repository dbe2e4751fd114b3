"""Who do I call now? The routing rule as a pure function over plain data.

`who_to_call` answers for one system at one moment, in the municipality's time zone and by
its holiday calendar:

1. During a primary support line's opening hours: that line.
2. Otherwise (lunch, evening, night, weekend, holiday): the district's out-of-hours line;
   when the district has none open, the general out-of-hours line (no district); then a
   vendor line open now (the camera vendor's 24/7 service, the lock fault line); then
   on-call.
3. After the answer always comes what to do next: the escalation steps for the system
   (checklist steps such as "use the backup key", and lines to call), then the on-call
   lines not already named.

Opening hours are wall-clock rules per line (`OpeningRuleData`), read for the kind of day:

- A *holiday* is a Monday to Friday that is not a working day: a public holiday, in Sweden
  also midsummer eve, Christmas eve and New Year's eve, and any extra day the municipality
  closes. Saturdays and Sundays keep their weekday rules whatever falls on them.
- A *day before a holiday* is a working day whose next calendar day is a holiday in that
  sense: Maundy Thursday and the day before Ascension Day in Sweden, the day before
  midsummer eve and Christmas eve (themselves closed); the Wednesday before Maundy
  Thursday, or 16 May when 17 May is a weekday, in Norway. A Friday before a Monday
  holiday is not one: the next calendar day is a Saturday.
- On a holiday only the line's holiday rules apply; with none, the line is closed. On a
  day before a holiday the line's before-holiday rules replace its ordinary ones (lunch
  closures included: "07-13" is straight through); a line without such rules keeps its
  ordinary hours.
- A closed rule (lunch 12-13) cuts a gap in the open rules of the same kind of day.
- An end time of 00:00 means midnight at the end of the day; a line open overnight has two
  rules (17:00-00:00 and 00:00-07:00), and the time it is open until runs across them.

Rules are wall-clock times, so the day the clocks change needs nothing special: 07:00 is
07:00 local, whatever the UTC offset that morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from trygg.lib import workdays

from .constants import (
    Caller,
    DayType,
    LineAudience,
    LineKind,
    Reason,
    StepApplies,
    StepKind,
    System,
)

DAY_SECONDS = 24 * 3600
# How far ahead to look for the next opening, and how long an "open until" may run before
# the line counts as open around the clock.
_SEARCH_DAYS = 15


@dataclass(frozen=True)
class Calendar:
    """A municipality's working-day calendar and time zone."""

    country: str
    tz: ZoneInfo
    closed: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        return workdays.is_working_day(day, self.country, self.closed)

    def is_holiday(self, day: dt.date) -> bool:
        """A Monday to Friday that is not a working day."""
        return day.weekday() < 5 and not self.is_working_day(day)

    def day_type(self, day: dt.date) -> DayType:
        if self.is_holiday(day):
            return DayType.HOLIDAY
        if workdays.is_day_before_holiday(day, self.country, self.closed):
            return DayType.BEFORE_HOLIDAY
        return DayType.REGULAR

    def holiday_name(self, day: dt.date, language: str | None = None) -> str | None:
        name = workdays.holiday_name(day, self.country, language)
        if name is None and day in self.closed:
            return ""  # a closed day of the municipality's own, without a national name
        return name


@dataclass(frozen=True)
class OpeningRuleData:
    """One opening (or closed) interval of a line, for one kind of day."""

    start: dt.time
    end: dt.time  # 00:00 means midnight at the end of the day
    weekdays: frozenset[int] = frozenset(range(1, 8))  # ISO: Monday = 1; regular days only
    day_type: str = DayType.REGULAR
    closed: bool = False

    def seconds(self) -> tuple[int, int]:
        start = _seconds(self.start)
        end = _seconds(self.end) or DAY_SECONDS
        return start, end

    def applies_on(self, day: dt.date, day_type: str) -> bool:
        if self.day_type != day_type:
            return False
        return day_type != DayType.REGULAR or day.isoweekday() in self.weekdays


@dataclass(frozen=True)
class LineData:
    """A support line: who answers, for which systems, when."""

    id: int
    name: str
    phone: str
    kind: str
    systems: frozenset[str]
    email: str = ""
    district_id: int | None = None
    priority: int = 0
    always_open: bool = False
    rules: tuple[OpeningRuleData, ...] = ()
    note: str = ""
    audience: str = LineAudience.EVERYONE
    others_instead: str = ""  # where those the line does not serve turn instead
    no_account_help: bool = False  # does not unlock accounts or change passwords

    def serves(self, caller: str) -> bool:
        return self.audience == LineAudience.EVERYONE or caller == Caller.MUNICIPAL


@dataclass(frozen=True)
class StepData:
    """One escalation step for a system: a check to do yourself, or a line to call."""

    order: int
    system: str
    kind: str
    text: str = ""
    line_id: int | None = None
    applies: str = StepApplies.ALWAYS


@dataclass(frozen=True)
class LineStatus:
    open: bool
    # While open: when it closes; None when it is open around the clock.
    open_until: dt.datetime | None = None
    # While closed: when it opens next; None when not within two weeks.
    next_opening: dt.datetime | None = None
    # Closed by a closed rule (lunch) inside the day's opening hours.
    on_break: bool = False


@dataclass(frozen=True)
class NextStep:
    """What comes after the answer: a check, or a line with whether it is open now."""

    kind: str
    text: str = ""
    line: LineData | None = None
    status: LineStatus | None = None

    @property
    def names_line(self) -> bool:
        """The step's words already name its line ("Call the lock fault line" for the Lock
        fault line): the page then shows them with the number, not the name again."""
        return self.line is not None and self.line.name.casefold() in self.text.casefold()


@dataclass(frozen=True)
class AccountHelp:
    """Locked accounts and passwords: `refused_by` does not handle them; the support line
    `desk` does, now (`opens` None) or from its next opening."""

    refused_by: LineData
    desk: LineData | None = None
    opens: dt.datetime | None = None


@dataclass(frozen=True)
class Answer:
    system: str
    at: dt.datetime  # local time in the municipality
    line: LineData | None
    reason: Reason
    day_type: DayType
    # The answered line's closing time (None: around the clock, or no line).
    open_until: dt.datetime | None = None
    # When primary support opens again, if it is closed now.
    next_opening: dt.datetime | None = None
    # The holiday today (reason HOLIDAY) or tomorrow (a day before a holiday).
    holiday: str | None = None
    first_steps: tuple[StepData, ...] = ()
    escalation: tuple[NextStep, ...] = field(default=())
    # Lines for this system that do not serve the caller, with where to turn instead.
    not_for_caller: tuple[LineData, ...] = ()
    # A named line that does not unlock accounts, and where such requests go instead.
    accounts: AccountHelp | None = None

    @property
    def out_of_hours(self) -> bool:
        return self.reason not in (Reason.OPEN, Reason.OPEN_SHORT_DAY)


# Opening hours -----------------------------------------------------------------------


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _subtract(
    intervals: list[tuple[int, int]], gaps: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    for gap_start, gap_end in gaps:
        result: list[tuple[int, int]] = []
        for start, end in intervals:
            if gap_end <= start or gap_start >= end:
                result.append((start, end))
                continue
            if start < gap_start:
                result.append((start, gap_start))
            if gap_end < end:
                result.append((gap_end, end))
        intervals = result
    return intervals


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _day_rules(line: LineData, day: dt.date, calendar: Calendar) -> list[OpeningRuleData]:
    day_type = calendar.day_type(day)
    rules = [r for r in line.rules if r.applies_on(day, day_type)]
    if day_type == DayType.BEFORE_HOLIDAY and not rules:
        rules = [r for r in line.rules if r.applies_on(day, DayType.REGULAR)]
    return rules


def has_short_day(line: LineData, day: dt.date, calendar: Calendar) -> bool:
    """Whether the line keeps shorter hours on `day` because a holiday follows: only when it
    has rules of its own for such days (without them it keeps its ordinary hours)."""
    if line.always_open or calendar.day_type(day) != DayType.BEFORE_HOLIDAY:
        return False
    return any(r.applies_on(day, DayType.BEFORE_HOLIDAY) for r in line.rules)


def opening_hours(line: LineData, day: dt.date, calendar: Calendar) -> list[tuple[int, int]]:
    """The line's open intervals on `day`, in seconds after local midnight, sorted."""
    if line.always_open:
        return [(0, DAY_SECONDS)]
    rules = _day_rules(line, day, calendar)
    opened = _merge(r.seconds() for r in rules if not r.closed)
    return _subtract(opened, [r.seconds() for r in rules if r.closed])


def _closed_gaps(line: LineData, day: dt.date, calendar: Calendar) -> list[tuple[int, int]]:
    if line.always_open:
        return []
    return [r.seconds() for r in _day_rules(line, day, calendar) if r.closed]


def _local(day: dt.date, seconds: int, tz: ZoneInfo) -> dt.datetime:
    """Wall-clock time on `day` as an aware datetime; 24:00 is the next day's midnight."""
    day += dt.timedelta(days=seconds // DAY_SECONDS)
    seconds %= DAY_SECONDS
    naive = dt.datetime.combine(day, dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60))
    return naive.replace(tzinfo=tz)


def line_status(line: LineData, at: dt.datetime, calendar: Calendar) -> LineStatus:
    """Whether `line` is open at the aware moment `at`, and until or from when."""
    tz = calendar.tz
    local = at.astimezone(tz)
    day = local.date()
    now = _seconds(local.time())
    for start, end in opening_hours(line, day, calendar):
        if start <= now < end:
            return LineStatus(open=True, open_until=_open_until(line, day, end, calendar))
    on_break = any(start <= now < end for start, end in _closed_gaps(line, day, calendar))
    for offset in range(_SEARCH_DAYS):
        candidate = day + dt.timedelta(days=offset)
        for start, _end in opening_hours(line, candidate, calendar):
            if offset > 0 or start > now:
                return LineStatus(
                    open=False, next_opening=_local(candidate, start, tz), on_break=on_break
                )
    return LineStatus(open=False, on_break=on_break)


def _open_until(line: LineData, day: dt.date, end: int, calendar: Calendar) -> dt.datetime | None:
    # An interval ending at midnight runs on into one starting at the next midnight.
    for _ in range(_SEARCH_DAYS):
        if end < DAY_SECONDS:
            return _local(day, end, calendar.tz)
        day += dt.timedelta(days=1)
        following = opening_hours(line, day, calendar)
        if not following or following[0][0] != 0:
            return _local(day, 0, calendar.tz)
        end = following[0][1]
    return None


# The answer --------------------------------------------------------------------------


def _by_priority(lines: Iterable[LineData]) -> list[LineData]:
    return sorted(lines, key=lambda line: (line.priority, line.name, line.id))


def _closed_reason(
    primaries: Sequence[LineData],
    statuses: dict[int, LineStatus],
    local: dt.datetime,
    day_type: DayType,
    calendar: Calendar,
) -> Reason:
    if not primaries:
        return Reason.NO_SUPPORT
    if day_type == DayType.HOLIDAY:
        return Reason.HOLIDAY
    if local.weekday() >= 5:
        return Reason.WEEKEND
    if any(statuses[line.id].on_break for line in primaries):
        return Reason.LUNCH
    short_lines = [line for line in primaries if has_short_day(line, local.date(), calendar)]
    if short_lines:
        now = _seconds(local.time())
        opened_today = [
            start
            for line in short_lines
            for start, _end in opening_hours(line, local.date(), calendar)
        ]
        if opened_today and min(opened_today) <= now:
            return Reason.CLOSED_EARLY
    return Reason.OUT_OF_HOURS


def _fallback(
    serving: Sequence[LineData], statuses: dict[int, LineStatus], district_id: int | None
) -> LineData | None:
    def open_lines(kind: str, district: int | None) -> list[LineData]:
        return _by_priority(
            line
            for line in serving
            if line.kind == kind and line.district_id == district and statuses[line.id].open
        )

    candidates: list[LineData] = []
    if district_id is not None:
        candidates += open_lines(LineKind.OUT_OF_HOURS, district_id)
    candidates += open_lines(LineKind.OUT_OF_HOURS, None)
    for kind in (LineKind.VENDOR, LineKind.ON_CALL):
        # Vendors and on-call serve everyone; a district's own come first.
        if district_id is not None:
            candidates += open_lines(kind, district_id)
        candidates += open_lines(kind, None)
    return candidates[0] if candidates else None


def _steps_now(steps: Iterable[StepData], system: str, support_open: bool) -> list[StepData]:
    def applies(step: StepData) -> bool:
        if step.applies == StepApplies.OPENING_HOURS:
            return support_open
        if step.applies == StepApplies.OUT_OF_HOURS:
            return not support_open
        return True

    return sorted((s for s in steps if s.system == system and applies(s)), key=lambda s: s.order)


def who_to_call(
    system: str,
    at: dt.datetime,
    district: int | None,
    lines: Sequence[LineData],
    calendar: Calendar,
    steps: Sequence[StepData] = (),
    caller: str = Caller.MUNICIPAL,
) -> Answer:
    """The line to call about `system` at the moment `at`, why, and what comes next.

    `district` is the team (district) the caller works in, for its out-of-hours line;
    `caller` says whether they are the municipality's own staff or a private provider's,
    since some lines serve only the former.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be an aware datetime")
    local = at.astimezone(calendar.tz)
    day_type = calendar.day_type(local.date())
    for_system = [line for line in lines if system in line.systems]
    # A line that does not serve the caller is never offered, not even as a last resort:
    # a private provider's staff are told where to turn instead.
    serving = [line for line in for_system if line.serves(caller)]
    not_for_caller = tuple(_by_priority(line for line in for_system if not line.serves(caller)))
    it_desks = [line for line in lines if System.PHONES in line.systems and line.serves(caller)]
    statuses = {line.id: line_status(line, local, calendar) for line in serving}
    for desk in it_desks:
        if desk.id not in statuses:
            statuses[desk.id] = line_status(desk, local, calendar)
    primaries = _by_priority(line for line in serving if line.kind == LineKind.PRIMARY)
    open_primaries = [line for line in primaries if statuses[line.id].open]

    next_opening: dt.datetime | None = None
    if open_primaries:
        line: LineData | None = open_primaries[0]
        short_day = has_short_day(open_primaries[0], local.date(), calendar)
        reason = Reason.OPEN_SHORT_DAY if short_day else Reason.OPEN
    else:
        reason = _closed_reason(primaries, statuses, local, day_type, calendar)
        if reason == Reason.NO_SUPPORT and any(
            line.kind == LineKind.PRIMARY for line in not_for_caller
        ):
            reason = Reason.NOT_FOR_CALLER
        line = _fallback(serving, statuses, district)
        openings = [
            opening for p in primaries if (opening := statuses[p.id].next_opening) is not None
        ]
        next_opening = min(openings) if openings else None

    holiday: str | None = None
    if day_type == DayType.HOLIDAY:
        holiday = calendar.holiday_name(local.date())
    elif day_type == DayType.BEFORE_HOLIDAY:
        holiday = calendar.holiday_name(local.date() + dt.timedelta(days=1))

    first_steps, escalation = _next_steps(
        _steps_now(steps, system, bool(open_primaries)), line, serving, statuses
    )
    return Answer(
        system=system,
        at=local,
        line=line,
        reason=reason,
        day_type=day_type,
        open_until=statuses[line.id].open_until if line is not None else None,
        next_opening=next_opening,
        holiday=holiday,
        first_steps=tuple(first_steps),
        escalation=tuple(escalation),
        not_for_caller=not_for_caller,
        accounts=_account_help(line, escalation, primaries, statuses, it_desks),
    )


def _account_help(
    answered: LineData | None,
    escalation: Sequence[NextStep],
    primaries: Sequence[LineData],
    statuses: dict[int, LineStatus],
    it_desks: Sequence[LineData],
) -> AccountHelp | None:
    """When a line named in the answer does not unlock accounts or change passwords (the
    on-call's agreement leaves them out), send those requests to the support line: now if it
    is open, else at its next opening."""
    named = [answered] if answered is not None else []
    named += [step.line for step in escalation if step.line is not None]
    refusing = next((line for line in named if line.no_account_help), None)
    if refusing is None:
        return None
    # The desk keeps office hours: a line open around the clock (the alarm centre) does not
    # handle accounts. Without one for this system, the IT and telephony desk does.
    desks_for_system = [line for line in primaries if not line.always_open]
    if not desks_for_system:
        desks_for_system = [
            line for line in it_desks if line.kind == LineKind.PRIMARY and not line.always_open
        ]
    primaries = _by_priority(desks_for_system)
    open_desks = [line for line in primaries if statuses[line.id].open]
    if open_desks:
        return AccountHelp(refused_by=refusing, desk=open_desks[0])
    desks = sorted(
        (line for line in primaries if statuses[line.id].next_opening is not None),
        key=lambda line: (statuses[line.id].next_opening, line.priority, line.id),
    )
    if not desks:
        return AccountHelp(refused_by=refusing)
    return AccountHelp(refused_by=refusing, desk=desks[0], opens=statuses[desks[0].id].next_opening)


def _next_steps(
    steps: Sequence[StepData],
    answered: LineData | None,
    serving: Sequence[LineData],
    statuses: dict[int, LineStatus],
) -> tuple[list[StepData], list[NextStep]]:
    """Split the steps: checks before the first call are done first; the rest, then every
    on-call line not already named, come after the answered line."""
    by_id = {line.id: line for line in serving}
    first_call = next((i for i, s in enumerate(steps) if s.kind == StepKind.CALL), len(steps))
    first_steps = [s for s in steps[:first_call] if s.kind == StepKind.CHECK]
    escalation: list[NextStep] = []
    named = {answered.id} if answered is not None else set()
    for step in steps[first_call:]:
        if step.kind == StepKind.CHECK:
            escalation.append(NextStep(kind=StepKind.CHECK, text=step.text))
            continue
        target = by_id.get(step.line_id) if step.line_id is not None else None
        if target is None or target.id in named:
            continue
        named.add(target.id)
        escalation.append(
            NextStep(kind=StepKind.CALL, text=step.text, line=target, status=statuses[target.id])
        )
    for line in _by_priority(s for s in serving if s.kind == LineKind.ON_CALL):
        if line.id not in named:
            named.add(line.id)
            escalation.append(NextStep(kind=StepKind.CALL, line=line, status=statuses[line.id]))
    return first_steps, escalation
