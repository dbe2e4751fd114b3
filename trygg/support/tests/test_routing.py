"""The routing rule itself: a pure function over plain data, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from trygg.support.constants import (
    Caller,
    DayType,
    LineAudience,
    LineKind,
    Reason,
    StepApplies,
    StepKind,
    System,
)
from trygg.support.routing import (
    Calendar,
    LineData,
    OpeningRuleData,
    StepData,
    line_status,
    opening_hours,
    who_to_call,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
SE = Calendar(country="SE", tz=STOCKHOLM)
NO = Calendar(country="NO", tz=OSLO)
NORR, SODER = 1, 2
T = dt.time

OFFICE_HOURS = (
    OpeningRuleData(T(7), T(16), frozenset({1, 2, 3, 4})),
    OpeningRuleData(T(7), T(15), frozenset({5})),
    OpeningRuleData(T(12), T(13), frozenset({1, 2, 3, 4, 5}), closed=True),
    OpeningRuleData(T(7), T(13), frozenset(), DayType.BEFORE_HOLIDAY),
)
SUPPORT = LineData(
    id=1,
    name="Support",
    phone="08-465 004 10",
    kind=LineKind.PRIMARY,
    systems=frozenset({System.VISIT_APP, System.LOCKS}),
    rules=OFFICE_HOURS,
)
ALARM_CENTRE = LineData(
    id=2,
    name="Alarm centre",
    phone="08-465 004 12",
    kind=LineKind.PRIMARY,
    systems=frozenset({System.ALARMS}),
    always_open=True,
)
NORR_NIGHT = LineData(
    id=3,
    name="Responder team Norr",
    phone="070-174 06 30",
    kind=LineKind.OUT_OF_HOURS,
    systems=frozenset({System.VISIT_APP, System.LOCKS}),
    district_id=NORR,
    always_open=True,
)
GENERAL_NIGHT = LineData(
    id=4,
    name="Night patrol",
    phone="070-174 06 20",
    kind=LineKind.OUT_OF_HOURS,
    systems=frozenset({System.VISIT_APP, System.LOCKS}),
    always_open=True,
    priority=20,
)
LOCK_FAULT = LineData(
    id=5,
    name="Lock fault line",
    phone="08-465 004 13",
    kind=LineKind.VENDOR,
    systems=frozenset({System.LOCKS}),
    rules=(
        OpeningRuleData(T(17), T(22), frozenset({1, 2, 3, 4, 5})),
        OpeningRuleData(T(7), T(22), frozenset({6, 7})),
        OpeningRuleData(T(7), T(22), frozenset(), DayType.HOLIDAY),
    ),
)
ON_CALL = LineData(
    id=6,
    name="On call",
    phone="070-174 06 21",
    kind=LineKind.ON_CALL,
    systems=frozenset(System.values),
    always_open=True,
)
CAMERA_TEAM = LineData(
    id=7,
    name="Welfare-technology team",
    phone="08-465 004 11",
    kind=LineKind.PRIMARY,
    systems=frozenset({System.CAMERAS}),
    rules=OFFICE_HOURS,
)
CAMERA_VENDOR = LineData(
    id=8,
    name="Camera vendor 24/7",
    phone="08-465 004 14",
    kind=LineKind.VENDOR,
    systems=frozenset({System.CAMERAS, System.SENSORS}),
    always_open=True,
)
LINES = (
    SUPPORT,
    ALARM_CENTRE,
    NORR_NIGHT,
    GENERAL_NIGHT,
    LOCK_FAULT,
    ON_CALL,
    CAMERA_TEAM,
    CAMERA_VENDOR,
)
STEPS = (
    StepData(
        1, System.LOCKS, StepKind.CHECK, "Use the backup key.", None, StepApplies.OUT_OF_HOURS
    ),
    StepData(2, System.LOCKS, StepKind.CALL, "Call", LOCK_FAULT.id, StepApplies.OUT_OF_HOURS),
    StepData(3, System.LOCKS, StepKind.CHECK, "On-call checklist.", None, StepApplies.ALWAYS),
)


def se(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)  # type: ignore[misc]


def no(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


# Ordinary days ------------------------------------------------------------------------


def test_it_answers_the_support_line_during_opening_hours() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 10, 0), NORR, LINES, SE, STEPS)
    assert answer.line == SUPPORT
    assert answer.reason == Reason.OPEN
    assert answer.open_until == se(2025, 3, 11, 12, 0)  # lunch comes first
    assert not answer.out_of_hours


def test_at_lunch_it_answers_the_districts_out_of_hours_line() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 12, 30), NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.LUNCH
    assert answer.line == NORR_NIGHT
    assert answer.next_opening == se(2025, 3, 11, 13, 0)


def test_the_afternoon_ends_at_16_monday_to_thursday() -> None:
    open_ = who_to_call(System.LOCKS, se(2025, 3, 13, 15, 59), NORR, LINES, SE, STEPS)
    closed = who_to_call(System.LOCKS, se(2025, 3, 13, 16, 0), NORR, LINES, SE, STEPS)
    assert (open_.line, open_.open_until) == (SUPPORT, se(2025, 3, 13, 16, 0))
    assert (closed.line, closed.reason) == (NORR_NIGHT, Reason.OUT_OF_HOURS)
    assert closed.next_opening == se(2025, 3, 14, 7, 0)


def test_friday_closes_at_15_and_opens_again_on_monday() -> None:
    before = who_to_call(System.LOCKS, se(2025, 3, 14, 14, 59), NORR, LINES, SE, STEPS)
    after = who_to_call(System.LOCKS, se(2025, 3, 14, 15, 0), NORR, LINES, SE, STEPS)
    assert before.line == SUPPORT
    assert before.open_until == se(2025, 3, 14, 15, 0)
    assert after.reason == Reason.OUT_OF_HOURS
    assert after.next_opening == se(2025, 3, 17, 7, 0)


def test_early_morning_is_out_of_hours() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 6, 59), NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.OUT_OF_HOURS
    assert answer.next_opening == se(2025, 3, 11, 7, 0)


def test_weekends_are_closed() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 15, 11, 0), NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.WEEKEND
    assert answer.line == NORR_NIGHT


# Holidays in Sweden -------------------------------------------------------------------


def test_maundy_thursday_is_open_straight_through_until_13() -> None:
    at_lunch = who_to_call(System.LOCKS, se(2025, 4, 17, 12, 30), NORR, LINES, SE, STEPS)
    last_minute = who_to_call(System.LOCKS, se(2025, 4, 17, 12, 59), NORR, LINES, SE, STEPS)
    assert at_lunch.line == last_minute.line == SUPPORT
    assert last_minute.reason == Reason.OPEN_SHORT_DAY
    assert last_minute.day_type == DayType.BEFORE_HOLIDAY
    assert last_minute.open_until == se(2025, 4, 17, 13, 0)
    assert last_minute.holiday == "Good Friday"


def test_maundy_thursday_closes_at_13_until_after_easter() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 4, 17, 13, 0), NORR, LINES, SE, STEPS)
    assert answer.line == NORR_NIGHT
    assert answer.reason == Reason.CLOSED_EARLY
    # Good Friday, the weekend and Easter Monday are closed.
    assert answer.next_opening == se(2025, 4, 22, 7, 0)


def test_an_around_the_clock_line_has_no_short_day() -> None:
    answer = who_to_call(System.ALARMS, se(2025, 4, 17, 13, 5), NORR, LINES, SE)
    assert answer.reason == Reason.OPEN
    assert answer.open_until is None


def test_easter_monday_is_a_holiday() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 4, 21, 10, 0), NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.HOLIDAY
    assert answer.holiday == "Easter Monday"
    assert answer.line == NORR_NIGHT
    # The lock fault line keeps its holiday hours, 07-22.
    fault = next(n for n in answer.escalation if n.line == LOCK_FAULT)
    assert fault.status is not None
    assert fault.status.open


def test_the_day_before_ascension_day_is_short() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 5, 28, 14, 0), NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.CLOSED_EARLY
    assert answer.holiday == "Ascension Day"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2025, 6, 20), "Midsummer Eve"),
        (dt.date(2025, 12, 24), "Christmas Eve"),
        (dt.date(2025, 12, 31), "New Year's Eve"),
    ],
)
def test_the_swedish_eves_are_closed(day: dt.date, name: str) -> None:
    at = dt.datetime.combine(day, T(10), tzinfo=STOCKHOLM)
    answer = who_to_call(System.LOCKS, at, NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.HOLIDAY
    assert answer.holiday == name
    assert answer.line == NORR_NIGHT


@pytest.mark.parametrize(
    ("day", "tomorrow"),
    [
        (dt.date(2025, 6, 19), "Midsummer Eve"),
        (dt.date(2025, 12, 23), "Christmas Eve"),
        (dt.date(2025, 12, 30), "New Year's Eve"),
    ],
)
def test_the_day_before_a_swedish_eve_is_short(day: dt.date, tomorrow: str) -> None:
    at = dt.datetime.combine(day, T(12, 30), tzinfo=STOCKHOLM)
    answer = who_to_call(System.LOCKS, at, NORR, LINES, SE, STEPS)
    assert answer.reason == Reason.OPEN_SHORT_DAY
    assert answer.holiday == tomorrow


def test_new_years_eve_reopens_on_the_second_of_january() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 12, 31, 10, 0), NORR, LINES, SE, STEPS)
    assert answer.next_opening == se(2026, 1, 2, 7, 0)


def test_a_friday_before_a_weekend_is_not_a_day_before_a_holiday() -> None:
    # 2 January 2026 is a Friday; the Monday after is a working day, Epiphany the Tuesday.
    assert SE.day_type(dt.date(2026, 1, 2)) == DayType.REGULAR
    assert SE.day_type(dt.date(2026, 1, 5)) == DayType.BEFORE_HOLIDAY


def test_a_municipalitys_own_closed_day_counts_as_a_holiday() -> None:
    bridge_day = dt.date(2025, 5, 30)  # the Friday after Ascension Day
    calendar = Calendar(country="SE", tz=STOCKHOLM, closed=frozenset({bridge_day}))
    answer = who_to_call(System.LOCKS, se(2025, 5, 30, 10, 0), NORR, LINES, calendar, STEPS)
    assert answer.reason == Reason.HOLIDAY
    assert answer.next_opening == se(2025, 6, 2, 7, 0)


# Norway -------------------------------------------------------------------------------


def test_17_may_is_closed_in_norway() -> None:
    answer = who_to_call(System.LOCKS, no(2024, 5, 17, 10, 0), NORR, LINES, NO, STEPS)
    assert answer.reason == Reason.HOLIDAY
    assert answer.holiday == "Constitution Day"


def test_16_may_is_short_when_17_may_is_a_weekday() -> None:
    answer = who_to_call(System.LOCKS, no(2024, 5, 16, 12, 30), NORR, LINES, NO, STEPS)
    assert answer.reason == Reason.OPEN_SHORT_DAY
    assert answer.open_until == no(2024, 5, 16, 13, 0)


def test_maundy_thursday_is_closed_in_norway_and_the_wednesday_is_short() -> None:
    thursday = who_to_call(System.LOCKS, no(2025, 4, 17, 10, 0), NORR, LINES, NO, STEPS)
    wednesday = who_to_call(System.LOCKS, no(2025, 4, 16, 13, 30), NORR, LINES, NO, STEPS)
    assert thursday.reason == Reason.HOLIDAY
    assert thursday.holiday == "Maundy Thursday"
    assert wednesday.reason == Reason.CLOSED_EARLY
    assert wednesday.next_opening == no(2025, 4, 22, 7, 0)


def test_christmas_eve_is_a_short_working_day_in_norway() -> None:
    morning = who_to_call(System.LOCKS, no(2025, 12, 24, 10, 0), NORR, LINES, NO, STEPS)
    afternoon = who_to_call(System.LOCKS, no(2025, 12, 24, 13, 30), NORR, LINES, NO, STEPS)
    assert morning.line == SUPPORT
    assert morning.reason == Reason.OPEN_SHORT_DAY
    assert morning.holiday == "Christmas Day"
    assert afternoon.reason == Reason.CLOSED_EARLY


# Summer time --------------------------------------------------------------------------


def test_spring_forward_night_opens_at_07_local() -> None:
    # Sunday 30 March 2025: clocks go from 02:00 to 03:00. 01:30 UTC is 03:30 CEST.
    at = dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    answer = who_to_call(System.LOCKS, at, NORR, LINES, SE, STEPS)
    assert answer.at.hour == 3
    assert answer.reason == Reason.WEEKEND
    assert answer.next_opening == dt.datetime(2025, 3, 31, 5, 0, tzinfo=UTC)
    fault = line_status(LOCK_FAULT, answer.at, SE)
    assert not fault.open
    assert fault.next_opening == dt.datetime(2025, 3, 30, 5, 0, tzinfo=UTC)


def test_fall_back_morning_opens_at_07_local() -> None:
    # Sunday 26 October 2025: clocks go from 03:00 back to 02:00; 05:30 UTC is 06:30 CET.
    before = line_status(LOCK_FAULT, dt.datetime(2025, 10, 26, 5, 30, tzinfo=UTC), SE)
    after = line_status(LOCK_FAULT, dt.datetime(2025, 10, 26, 6, 0, tzinfo=UTC), SE)
    assert not before.open
    assert before.next_opening == dt.datetime(2025, 10, 26, 6, 0, tzinfo=UTC)
    assert after.open
    assert after.open_until == dt.datetime(2025, 10, 26, 21, 0, tzinfo=UTC)


def test_saturday_before_fall_back_closes_at_22_summer_time() -> None:
    status = line_status(LOCK_FAULT, dt.datetime(2025, 10, 25, 12, 0, tzinfo=UTC), SE)
    assert status.open_until == dt.datetime(2025, 10, 25, 20, 0, tzinfo=UTC)


def test_an_around_the_clock_line_is_open_through_the_missing_hour() -> None:
    answer = who_to_call(System.ALARMS, dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC), None, LINES, SE)
    assert answer.line == ALARM_CENTRE
    assert answer.reason == Reason.OPEN
    assert answer.open_until is None


# Districts and fallbacks ---------------------------------------------------------------


def test_a_district_without_its_own_line_gets_the_general_line() -> None:
    at = se(2025, 3, 11, 20, 0)
    assert who_to_call(System.LOCKS, at, SODER, LINES, SE, STEPS).line == GENERAL_NIGHT
    assert who_to_call(System.LOCKS, at, None, LINES, SE, STEPS).line == GENERAL_NIGHT
    assert who_to_call(System.LOCKS, at, NORR, LINES, SE, STEPS).line == NORR_NIGHT


def test_a_district_line_closed_now_falls_back_to_the_general_line() -> None:
    evenings_only = LineData(
        id=30,
        name="Norr evenings",
        phone="070-174 06 31",
        kind=LineKind.OUT_OF_HOURS,
        systems=frozenset({System.LOCKS}),
        district_id=NORR,
        rules=(OpeningRuleData(T(16), T(22)),),
    )
    lines = (SUPPORT, evenings_only, GENERAL_NIGHT)
    assert who_to_call(System.LOCKS, se(2025, 3, 11, 20, 0), NORR, lines, SE).line == evenings_only
    assert who_to_call(System.LOCKS, se(2025, 3, 11, 23, 0), NORR, lines, SE).line == GENERAL_NIGHT


def test_cameras_go_to_the_vendor_out_of_hours() -> None:
    day = who_to_call(System.CAMERAS, se(2025, 3, 11, 10, 0), NORR, LINES, SE)
    night = who_to_call(System.CAMERAS, se(2025, 3, 11, 23, 0), NORR, LINES, SE)
    assert day.line == CAMERA_TEAM
    assert night.line == CAMERA_VENDOR
    assert night.out_of_hours


def test_a_system_with_only_a_vendor_line_says_so() -> None:
    answer = who_to_call(System.SENSORS, se(2025, 3, 11, 10, 0), NORR, LINES, SE)
    assert answer.reason == Reason.NO_SUPPORT
    assert answer.line == CAMERA_VENDOR


def test_with_nothing_open_there_is_no_line_but_a_next_opening() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 20, 0), NORR, (SUPPORT,), SE)
    assert answer.line is None
    assert answer.next_opening == se(2025, 3, 12, 7, 0)


# Steps --------------------------------------------------------------------------------


def test_out_of_hours_the_backup_key_comes_first_then_the_chain() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 18, 0), NORR, LINES, SE, STEPS)
    assert [s.text for s in answer.first_steps] == ["Use the backup key."]
    assert [(n.kind, n.line) for n in answer.escalation] == [
        (StepKind.CALL, LOCK_FAULT),
        (StepKind.CHECK, None),
        (StepKind.CALL, ON_CALL),
    ]
    assert answer.escalation[0].status is not None
    assert answer.escalation[0].status.open


def test_in_opening_hours_the_out_of_hours_steps_are_left_out() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 10, 0), NORR, LINES, SE, STEPS)
    assert [s.text for s in answer.first_steps] == ["On-call checklist."]
    assert [n.line for n in answer.escalation] == [ON_CALL]


def test_on_call_is_not_repeated_when_it_is_the_answer() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 20, 0), NORR, (SUPPORT, ON_CALL), SE)
    assert answer.line == ON_CALL
    assert answer.escalation == ()


# Opening hours ------------------------------------------------------------------------


def test_an_overnight_line_is_open_until_the_morning() -> None:
    night = LineData(
        id=40,
        name="Night",
        phone="1",
        kind=LineKind.OUT_OF_HOURS,
        systems=frozenset({System.LOCKS}),
        rules=(OpeningRuleData(T(17), T(0)), OpeningRuleData(T(0), T(7))),
    )
    status = line_status(night, se(2025, 3, 11, 20, 0), SE)
    assert status.open
    assert status.open_until == se(2025, 3, 12, 7, 0)


def test_opening_hours_subtract_lunch() -> None:
    assert opening_hours(SUPPORT, dt.date(2025, 3, 11), SE) == [
        (7 * 3600, 12 * 3600),
        (13 * 3600, 16 * 3600),
    ]


def test_a_holiday_without_holiday_rules_is_closed() -> None:
    assert opening_hours(SUPPORT, dt.date(2025, 4, 21), SE) == []


def test_it_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        who_to_call(System.LOCKS, dt.datetime(2025, 3, 11, 10, 0), NORR, LINES, SE)


def test_a_line_without_short_day_rules_keeps_its_hours_before_a_holiday() -> None:
    plain = LineData(
        id=41,
        name="Vendor desk",
        phone="08-465 004 99",
        kind=LineKind.PRIMARY,
        systems=frozenset({System.CAMERAS}),
        rules=(OpeningRuleData(T(8), T(17), frozenset({1, 2, 3, 4, 5})),),
    )
    # Maundy Thursday 2025: the line is open as any Thursday, and not "a short day".
    during = who_to_call(System.CAMERAS, se(2025, 4, 17, 15, 0), None, [plain], SE)
    assert during.reason == Reason.OPEN
    after = who_to_call(System.CAMERAS, se(2025, 4, 17, 18, 0), None, [plain], SE)
    assert after.reason == Reason.OUT_OF_HOURS  # closed as usual, not "closed early"


@pytest.mark.parametrize(
    ("moment", "reason", "until"),
    [
        # Friday 30 October 2026, before All Saints' Day on Saturday: open 07-13.
        ((2026, 10, 30, 10, 0), Reason.OPEN_SHORT_DAY, (2026, 10, 30, 13, 0)),
        ((2026, 10, 30, 14, 0), Reason.CLOSED_EARLY, None),
        # The Thursday before and the Friday after keep their ordinary hours.
        ((2026, 10, 29, 14, 0), Reason.OPEN, (2026, 10, 29, 16, 0)),
        ((2026, 11, 6, 14, 0), Reason.OPEN, (2026, 11, 6, 15, 0)),
    ],
)
def test_a_friday_before_a_saturday_holiday_is_a_short_day(
    moment: tuple[int, ...], reason: Reason, until: tuple[int, ...] | None
) -> None:
    answer = who_to_call(System.LOCKS, se(*moment), NORR, LINES, SE, STEPS)
    assert answer.reason == reason
    if until is not None:
        assert answer.open_until == se(*until)
    if reason == Reason.CLOSED_EARLY:
        assert answer.next_opening == se(2026, 11, 2, 7, 0)
    assert SE.day_type(dt.date(2026, 10, 30)) == DayType.BEFORE_HOLIDAY


def test_norway_keeps_the_short_day_before_a_saturday_holiday_too() -> None:
    # Friday 30 April 2027: Labour Day is Saturday 1 May.
    assert NO.day_type(dt.date(2027, 4, 30)) == DayType.BEFORE_HOLIDAY
    assert NO.day_type(dt.date(2027, 4, 29)) == DayType.REGULAR
    oslo = dt.datetime(2027, 4, 30, 14, 0, tzinfo=OSLO)
    answer = who_to_call(System.LOCKS, oslo, NORR, LINES, NO, STEPS)
    assert answer.reason == Reason.CLOSED_EARLY


# Audiences and accounts -------------------------------------------------------------

MUNICIPAL_ON_CALL = replace(
    ON_CALL,
    audience=LineAudience.MUNICIPAL,
    others_instead="Private providers: your own manager on call.",
    no_account_help=True,
)
IT_SUPPORT = LineData(
    id=9,
    name="IT and telephony",
    phone="08-465 004 15",
    kind=LineKind.PRIMARY,
    systems=frozenset({System.PHONES}),
    rules=OFFICE_HOURS,
    audience=LineAudience.MUNICIPAL,
    others_instead="Private providers: your own IT support.",
)
ORebro = (SUPPORT, NORR_NIGHT, GENERAL_NIGHT, LOCK_FAULT, MUNICIPAL_ON_CALL, IT_SUPPORT)
SATURDAY_NIGHT = (2025, 3, 15, 23, 0)


def test_a_private_providers_staff_are_never_sent_to_the_municipal_on_call() -> None:
    answer = who_to_call(System.PHONES, se(*SATURDAY_NIGHT), None, ORebro, SE, (), Caller.EXTERNAL)
    assert answer.line is None
    assert answer.reason == Reason.NOT_FOR_CALLER
    assert all(n.line is None or n.line.id != MUNICIPAL_ON_CALL.id for n in answer.escalation)
    assert {line.id for line in answer.not_for_caller} == {IT_SUPPORT.id, MUNICIPAL_ON_CALL.id}
    assert answer.accounts is None  # nothing named that refuses accounts


def test_municipal_staff_get_the_on_call_at_night_with_where_accounts_go() -> None:
    answer = who_to_call(System.PHONES, se(*SATURDAY_NIGHT), None, ORebro, SE, ())
    assert answer.line == MUNICIPAL_ON_CALL
    assert answer.not_for_caller == ()
    assert answer.accounts is not None
    assert answer.accounts.refused_by == MUNICIPAL_ON_CALL
    assert answer.accounts.desk == IT_SUPPORT
    assert answer.accounts.opens == se(2025, 3, 17, 7, 0)  # Monday's opening


def test_a_private_providers_staff_still_get_their_districts_line_for_locks() -> None:
    answer = who_to_call(
        System.LOCKS, se(2025, 3, 11, 23, 30), NORR, ORebro, SE, STEPS, Caller.EXTERNAL
    )
    assert answer.line == NORR_NIGHT
    assert MUNICIPAL_ON_CALL.id not in {n.line.id for n in answer.escalation if n.line}
    assert [line.id for line in answer.not_for_caller] == [MUNICIPAL_ON_CALL.id]


def test_the_on_call_in_the_escalation_names_the_service_desk_for_accounts() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 23, 30), NORR, ORebro, SE, STEPS)
    assert MUNICIPAL_ON_CALL.id in {n.line.id for n in answer.escalation if n.line}
    assert answer.accounts is not None
    assert answer.accounts.desk == SUPPORT
    assert answer.accounts.opens == se(2025, 3, 12, 7, 0)


def test_while_support_is_open_accounts_go_there_now() -> None:
    answer = who_to_call(System.LOCKS, se(2025, 3, 11, 10, 0), NORR, ORebro, SE, STEPS)
    assert answer.line == SUPPORT
    assert answer.accounts is not None
    assert answer.accounts.desk == SUPPORT
    assert answer.accounts.opens is None


def test_accounts_are_never_sent_to_a_line_open_around_the_clock() -> None:
    # The alarm centre answers about alarms day and night but does not handle accounts:
    # the IT and telephony desk does, at its next opening.
    lines = (ALARM_CENTRE, MUNICIPAL_ON_CALL, IT_SUPPORT)
    answer = who_to_call(System.ALARMS, se(*SATURDAY_NIGHT), None, lines, SE, ())
    assert answer.line == ALARM_CENTRE
    assert answer.accounts is not None
    assert answer.accounts.desk == IT_SUPPORT
    assert answer.accounts.opens == se(2025, 3, 17, 7, 0)
    private = who_to_call(System.ALARMS, se(*SATURDAY_NIGHT), None, lines, SE, (), Caller.EXTERNAL)
    assert private.accounts is None  # the on-call is not named to them at all
