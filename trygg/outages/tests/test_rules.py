"""A planned outage fits its system's maintenance window and gives each audience notice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from trygg.outages.constants import OutageStatus, RuleAudience, System
from trygg.outages.models import MaintenanceWindow, NoticeRule
from trygg.outages.services import OutageRefused, announce_outage, check_rules, plan_outage

from .conftest import NOW, World, local


def _rules(world: World, start: dt.datetime, end: dt.datetime, now: dt.datetime = NOW) -> set[str]:
    return {v.rule for v in check_rules(world.municipality, System.VISIT_APP, start, end, now)}


# Maintenance window ------------------------------------------------------------------


def test_it_accepts_tuesday_nine_to_two(world: World) -> None:
    assert _rules(world, local(2025, 3, 25, 9), local(2025, 3, 25, 14)) == set()


def test_it_refuses_a_monday(world: World) -> None:
    assert _rules(world, local(2025, 3, 24, 9), local(2025, 3, 24, 12)) == {"window"}


def test_it_refuses_an_outage_running_past_the_window(world: World) -> None:
    assert _rules(world, local(2025, 3, 25, 13), local(2025, 3, 25, 15)) == {"window"}


def test_it_refuses_an_outage_spanning_two_window_days(world: World) -> None:
    assert _rules(world, local(2025, 3, 25, 13), local(2025, 3, 26, 10)) == {"window"}


def test_the_window_follows_the_local_clock_across_summer_time(world: World) -> None:
    utc_8_to_13 = (dt.time(8), dt.time(13))

    def on(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return tuple(dt.datetime.combine(day, t, tzinfo=dt.UTC) for t in utc_8_to_13)  # type: ignore[return-value]

    # 08-13 UTC is 09-14 in winter, and 10-15 after the clocks go forward on 30 March.
    assert _rules(world, *on(dt.date(2025, 3, 25))) == set()
    assert _rules(world, *on(dt.date(2025, 4, 1))) == {"window"}
    # 09-14 local in summer time is 07-12 UTC.
    assert _rules(world, local(2025, 4, 1, 9), local(2025, 4, 1, 14)) == set()
    assert local(2025, 4, 1, 9).astimezone(dt.UTC).hour == 7


def test_the_refusal_names_the_earliest_slot_that_meets_every_rule(world: World) -> None:
    [violation] = check_rules(
        world.municipality, System.VISIT_APP, local(2025, 3, 24, 9), local(2025, 3, 24, 12), NOW
    )
    # Managers need 14 days from Monday 3 March, 11:00: Monday the 17th is out of the
    # window, so Tuesday the 18th at 09:00.
    assert violation.earliest == local(2025, 3, 18, 9)
    assert re.search(r"Tue 18 Mar (2025 )?09:00", violation.message)
    assert "09:00\u201314:00" in violation.message


def test_a_system_without_a_window_cannot_be_planned_without_an_override(world: World) -> None:
    violations = check_rules(
        world.municipality, System.LOCKS, local(2025, 3, 25, 9), local(2025, 3, 25, 10), NOW
    )
    assert [v.rule for v in violations] == ["window"]
    assert violations[0].earliest is None


def test_a_second_window_widens_what_fits(world: World) -> None:
    MaintenanceWindow.objects.create(
        municipality=world.municipality,
        system=System.VISIT_APP,
        weekdays="1",
        start_time=dt.time(7),
        end_time=dt.time(9),
    )
    assert _rules(world, local(2025, 3, 24, 7), local(2025, 3, 24, 9)) == set()


# Notice -------------------------------------------------------------------------------


def _days_before(start: dt.datetime, days: int) -> dt.datetime:
    return start - dt.timedelta(days=days)


START, END = local(2025, 3, 25, 9), local(2025, 3, 25, 12)


def test_six_days_ahead_is_too_short_for_users_and_managers(world: World) -> None:
    violations = check_rules(
        world.municipality, System.VISIT_APP, START, END, START - dt.timedelta(days=6)
    )
    assert [v.rule for v in violations] == ["notice_managers", "notice_users"]
    users = violations[1]
    # Every suggestion is the first start that meets every rule: the managers' 14 days
    # end on Wednesday 2 April at 09:00, inside the window (not the users' 26 March).
    assert users.earliest == violations[0].earliest == local(2025, 4, 2, 9)
    assert "7 days" in users.message
    assert re.search(r"Wed 2 Apr (2025 )?09:00", users.message)


def test_ten_days_ahead_is_too_short_for_managers_only(world: World) -> None:
    assert _rules(world, START, END, START - dt.timedelta(days=10)) == {"notice_managers"}


def test_fifteen_days_ahead_is_enough(world: World) -> None:
    outage = plan_outage(
        municipality=world.municipality,
        system=System.VISIT_APP,
        title="Uppgradering",
        starts_at=START,
        ends_at=END,
        by=world.welfare_tech,
        now=START - dt.timedelta(days=15),
    )
    assert outage.status == OutageStatus.DRAFT
    assert outage.override_reason == ""
    assert outage.overridden_rules == ""


def test_exactly_the_minimum_notice_is_enough(world: World) -> None:
    assert _rules(world, START, END, START - dt.timedelta(days=14)) == set()


def test_it_refuses_short_notice_listing_every_broken_rule(world: World) -> None:
    with pytest.raises(OutageRefused) as refused:
        plan_outage(
            municipality=world.municipality,
            system=System.VISIT_APP,
            title="Uppgradering",
            starts_at=local(2025, 3, 10, 9),
            ends_at=local(2025, 3, 10, 12),
            by=world.welfare_tech,
            now=NOW,
        )
    assert [v.rule for v in refused.value.violations] == [
        "notice_managers",
        "notice_users",
        "window",
    ]


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_an_empty_override_reason_is_refused(world: World, reason: str) -> None:
    with pytest.raises(OutageRefused):
        plan_outage(
            municipality=world.municipality,
            system=System.VISIT_APP,
            title="Säkerhetsuppdatering",
            starts_at=START,
            ends_at=END,
            by=world.welfare_tech,
            now=START - dt.timedelta(days=3),
            override_reason=reason,
        )


def test_an_override_with_a_reason_is_accepted_and_recorded(world: World) -> None:
    outage = plan_outage(
        municipality=world.municipality,
        system=System.VISIT_APP,
        title="Säkerhetsuppdatering",
        starts_at=START,
        ends_at=END,
        by=world.welfare_tech,
        now=START - dt.timedelta(days=3),
        override_reason="  Leverantörens säkerhetsrättelse kan inte vänta.  ",
    )
    assert outage.override_reason == "Leverantörens säkerhetsrättelse kan inte vänta."
    assert outage.overridden_rules == "notice_managers,notice_users"


def test_a_reason_given_when_no_rule_is_broken_is_not_recorded(world: World) -> None:
    outage = plan_outage(
        municipality=world.municipality,
        system=System.VISIT_APP,
        title="Uppgradering",
        starts_at=START,
        ends_at=END,
        by=world.welfare_tech,
        now=START - dt.timedelta(days=20),
        override_reason="för säkerhets skull",
    )
    assert outage.override_reason == ""


def test_a_municipality_sets_its_own_notice(world: World) -> None:
    NoticeRule.objects.create(
        municipality=world.municipality, audience=RuleAudience.MANAGERS, min_days=21
    )
    NoticeRule.objects.create(
        municipality=world.municipality, audience=RuleAudience.USERS, min_days=3
    )
    assert _rules(world, START, END, START - dt.timedelta(days=20)) == {"notice_managers"}
    assert _rules(world, START, END, START - dt.timedelta(days=21)) == set()


def test_a_draft_announced_too_late_needs_an_override_then(world: World) -> None:
    outage = plan_outage(
        municipality=world.municipality,
        system=System.VISIT_APP,
        title="Uppgradering",
        starts_at=START,
        ends_at=END,
        by=world.welfare_tech,
        now=START - dt.timedelta(days=20),
    )
    with pytest.raises(OutageRefused) as refused:
        announce_outage(outage, world.welfare_tech, now=START - dt.timedelta(days=10))
    assert [v.rule for v in refused.value.violations] == ["notice_managers"]
    announce_outage(
        outage,
        world.welfare_tech,
        now=START - dt.timedelta(days=10),
        override_reason="Glömde att annonsera i tid.",
    )
    outage.refresh_from_db()
    assert outage.status == OutageStatus.ANNOUNCED
    assert outage.overridden_rules == "notice_managers"
    assert outage.override_reason == "Glömde att annonsera i tid."


# Working days -------------------------------------------------------------------------


def _trygg_window(world: World) -> None:
    MaintenanceWindow.objects.create(
        municipality=world.municipality,
        system=System.TRYGG,
        weekdays="234",
        start_time=dt.time(8),
        end_time=dt.time(16),
    )


def test_christmas_eve_on_a_thursday_is_outside_the_window(world: World) -> None:
    _trygg_window(world)
    now = local(2026, 12, 10, 8)  # exactly 14 days' notice for 24 December 08:00
    with translation.override("sv"):
        [violation] = check_rules(
            world.municipality, System.TRYGG, local(2026, 12, 24, 9), local(2026, 12, 24, 11), now
        )
    assert violation.rule == "window"
    assert "julafton" in violation.message
    assert "arbetsdag" in violation.message
    # Christmas Day, the weekend and a Monday outside the window pass: Tuesday 29th.
    assert violation.earliest == local(2026, 12, 29, 8)
    # The working day before is fine.
    earlier = local(2026, 12, 1, 8)
    assert _trygg_rules(world, local(2026, 12, 23, 9), local(2026, 12, 23, 11), earlier) == set()


def _trygg_rules(world: World, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> set[str]:
    return {v.rule for v in check_rules(world.municipality, System.TRYGG, start, end, now)}


def test_a_municipalitys_own_closed_day_has_no_window(world: World) -> None:
    _trygg_window(world)
    bridge = dt.date(2026, 5, 12)  # a Tuesday the municipality closes
    world.municipality.extra_closed_days.create(date=bridge)
    now = local(2026, 4, 1, 10)
    violations = check_rules(
        world.municipality, System.TRYGG, local(2026, 5, 12, 9), local(2026, 5, 12, 10), now
    )
    [violation] = violations
    assert violation.rule == "window"
    assert "closed" in violation.message


def test_a_holiday_is_refused_without_an_override_and_planned_with_one(world: World) -> None:
    _trygg_window(world)
    now = local(2026, 12, 1, 10)
    times = {"starts_at": local(2026, 12, 24, 9), "ends_at": local(2026, 12, 24, 10)}
    with pytest.raises(OutageRefused) as refused:
        plan_outage(
            municipality=world.municipality,
            system=System.TRYGG,
            title="Uppgradering",
            by=world.welfare_tech,
            now=now,
            **times,
        )
    assert [v.rule for v in refused.value.violations] == ["window"]
    outage = plan_outage(
        municipality=world.municipality,
        system=System.TRYGG,
        title="Uppgradering",
        by=world.welfare_tech,
        now=now,
        override_reason="Leverantörens enda lediga dag",
        **times,
    )
    assert outage.overridden_rules == "window"


def test_the_suggested_start_is_inside_the_window_not_at_the_end_of_the_notice(
    world: World,
) -> None:
    # NOW is Monday 3 March 11:00: 14 days on is Monday the 17th 11:00, outside the
    # Tuesday/Wednesday window; the suggestion is Tuesday the 18th at 09:00.
    violations = check_rules(
        world.municipality, System.VISIT_APP, local(2025, 3, 11, 9), local(2025, 3, 11, 12), NOW
    )
    assert [v.rule for v in violations] == ["notice_managers"]
    assert violations[0].earliest == local(2025, 3, 18, 9)
    assert re.search(r"Tue 18 Mar (2025 )?09:00", violations[0].message)
    assert "2025-03-17" not in violations[0].message
