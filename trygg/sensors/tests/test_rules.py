"""Which rule applies to an event: by kind, within its hours (past midnight too), the most
urgent when several would."""

from __future__ import annotations

import datetime as dt

from trygg.alarms.models import AlarmPriority
from trygg.sensors.models import SensorRule
from trygg.sensors.services import matching_rule


def rule(kind: str, starts: int, ends: int, priority: int = AlarmPriority.NORMAL) -> SensorRule:
    return SensorRule(kind=kind, starts=dt.time(starts), ends=dt.time(ends), priority=priority)


def test_a_night_rule_covers_the_hours_past_midnight() -> None:
    night = rule("left_bed", 22, 7)
    assert matching_rule([night], "left_bed", dt.time(23, 30)) is night
    assert matching_rule([night], "left_bed", dt.time(3)) is night
    assert matching_rule([night], "left_bed", dt.time(7)) is None
    assert matching_rule([night], "left_bed", dt.time(12)) is None
    assert matching_rule([night], "fall", dt.time(23)) is None


def test_the_same_start_and_end_is_around_the_clock() -> None:
    always = rule("fall", 0, 0, AlarmPriority.HIGH)
    assert all(matching_rule([always], "fall", dt.time(h)) is always for h in range(24))
    assert always.hours_label == "around the clock"


def test_the_most_urgent_rule_wins() -> None:
    low, high = rule("no_movement", 0, 0, AlarmPriority.LOW), rule("no_movement", 1, 5, 1)
    assert matching_rule([low, high], "no_movement", dt.time(2)) is high
    assert matching_rule([low, high], "no_movement", dt.time(6)) is low


def test_overlap_is_found_across_midnight() -> None:
    assert rule("fall", 22, 7).minutes() & rule("fall", 6, 8).minutes()
    assert not rule("fall", 22, 7).minutes() & rule("fall", 7, 22).minutes()
