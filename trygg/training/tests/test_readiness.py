"""Who needs which training, and a starting provider's readiness against the one-week
margin: completed on the start date minus seven days keeps it, one day later does not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.core.constants import Role
from trygg.core.models import RoleAssignment
from trygg.training.constants import Need, PersonState, Readiness
from trygg.training.models import Booking, SupportUser, TrainingSession, WebCourseCompletion
from trygg.training.readiness import (
    ProviderTraining,
    deadline_for,
    needed_training,
    provider_training,
)

from .conftest import TODAY, World, at, make_session, plan

START = TODAY + dt.timedelta(days=21)  # Monday 23 February
DEADLINE = START - dt.timedelta(days=7)


def _readiness(world: World, today: dt.date = TODAY) -> ProviderTraining:
    return provider_training([world.provider_a], today=today)[0]


def _attend(world: World, people: list[Any], day: dt.date, attended: bool | None = True) -> None:
    session = make_session(world, at(day), title=f"Tillfälle {day}")
    for person in people:
        Booking.objects.create(
            session=session, provider=world.provider_a, person=person, attended=attended
        )


def _web_course(world: World, people: list[Any], day: dt.date) -> None:
    for person in people:
        WebCourseCompletion.objects.create(
            municipality=world.municipality, person=person, completed_on=day
        )


@pytest.mark.parametrize(
    ("roles", "support", "need"),
    [
        ({Role.PROVIDER_MANAGER}, False, Need.TEACHER_LED),
        ({Role.TEAM_LEADER}, False, Need.TEACHER_LED),
        ({Role.CARE_WORKER}, False, Need.WEB_COURSE),
        ({Role.NIGHT_SUPERVISOR}, False, Need.WEB_COURSE),
        ({Role.CARE_WORKER}, True, Need.TEACHER_LED),
        ({Role.CARE_WORKER, Role.TEAM_LEADER}, False, Need.TEACHER_LED),
    ],
)
def test_the_role_decides_the_training(roles: set[str], support: bool, need: Need) -> None:
    assert needed_training(roles, support) == need


def test_the_deadline_is_one_week_before_the_start() -> None:
    assert deadline_for(dt.date(2026, 3, 2)) == dt.date(2026, 2, 23)


def test_a_provider_without_a_start_date_has_no_status(world: World) -> None:
    training = _readiness(world)
    assert training.status is None
    assert training.deadline is None
    assert {p.person for p in training.teacher_led} == {world.manager_a, world.leader_a}
    assert {p.person for p in training.web_course} == {world.worker_a, world.night_a}


def test_nothing_booked_is_at_risk_with_the_date_it_must_be_done_by(world: World) -> None:
    plan(world, START)
    training = _readiness(world)
    assert training.status == Readiness.AT_RISK
    assert training.deadline == DEADLINE
    assert training.days_to_deadline == 14
    assert training.margin_days is None
    codes = [r.code for r in training.reasons]
    assert codes == ["not_booked", "web_course_missing"]
    assert (
        "2 people who need the teacher-led training are not booked." in training.reasons[0].message
    )
    assert {p.state for p in training.teacher_led} == {PersonState.NOT_BOOKED}


def test_completed_exactly_seven_days_before_the_start_keeps_the_margin(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a, world.leader_a], DEADLINE)
    _web_course(world, [world.worker_a, world.night_a], DEADLINE - dt.timedelta(days=3))
    training = _readiness(world, today=DEADLINE)
    assert training.status == Readiness.READY
    assert training.completed_on == DEADLINE
    assert training.margin_days == 7
    assert training.reasons == []


def test_completed_six_days_before_the_start_misses_the_margin(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a], DEADLINE - dt.timedelta(days=5))
    _attend(world, [world.leader_a], DEADLINE + dt.timedelta(days=1))
    _web_course(world, [world.worker_a, world.night_a], DEADLINE)
    training = _readiness(world, today=START)
    assert training.status == Readiness.LATE
    assert training.margin_days == 6
    assert [r.code for r in training.reasons] == ["completed_late"]


def test_a_web_course_after_the_deadline_misses_the_margin_too(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a, world.leader_a], DEADLINE - dt.timedelta(days=1))
    _web_course(world, [world.worker_a], DEADLINE)
    _web_course(world, [world.night_a], DEADLINE + dt.timedelta(days=2))
    training = _readiness(world, today=START)
    assert training.status == Readiness.LATE
    assert training.margin_days == 5


def test_booked_before_the_deadline_but_not_held_is_at_risk_with_the_planned_margin(
    world: World,
) -> None:
    plan(world, START)
    _attend(world, [world.manager_a, world.leader_a], DEADLINE - dt.timedelta(days=2), None)
    _web_course(world, [world.worker_a, world.night_a], TODAY)
    training = _readiness(world)
    assert training.status == Readiness.AT_RISK
    assert training.margin_days == 9
    assert [r.code for r in training.reasons] == ["booked_not_completed"]
    assert {p.state for p in training.teacher_led} == {PersonState.BOOKED}


def test_booked_after_the_deadline_is_late_before_the_deadline_comes(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a, world.leader_a], DEADLINE + dt.timedelta(days=1), None)
    training = _readiness(world)
    assert training.status == Readiness.LATE
    assert "booked_after_deadline" in [r.code for r in training.reasons]


def test_the_day_after_the_deadline_anything_missing_is_late(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a, world.leader_a], DEADLINE - dt.timedelta(days=3))
    on_deadline = _readiness(world, today=DEADLINE)
    assert on_deadline.status == Readiness.AT_RISK  # the web course can still be done today
    assert on_deadline.days_to_deadline == 0
    after = _readiness(world, today=DEADLINE + dt.timedelta(days=1))
    assert after.status == Readiness.LATE
    assert after.reasons[0].code == "deadline_passed"
    assert after.days_overdue == 1


def test_someone_who_missed_their_session_needs_a_new_booking(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a], TODAY - dt.timedelta(days=2), attended=False)
    training = _readiness(world)
    manager = next(p for p in training.people if p.person == world.manager_a)
    assert manager.state == PersonState.ABSENT
    assert "absent" in [r.code for r in training.reasons]
    _attend(world, [world.manager_a], TODAY + dt.timedelta(days=3), attended=None)
    manager = next(p for p in _readiness(world).people if p.person == world.manager_a)
    assert manager.state == PersonState.BOOKED


def test_cancelled_bookings_and_sessions_do_not_count(world: World) -> None:
    plan(world, START)
    _attend(world, [world.manager_a], TODAY - dt.timedelta(days=2))
    Booking.objects.filter(person=world.manager_a).update(cancelled_at=at(TODAY))
    _attend(world, [world.leader_a], TODAY + dt.timedelta(days=2), attended=None)
    TrainingSession.objects.filter(bookings__person=world.leader_a).update(cancelled_at=at(TODAY))
    training = _readiness(world)
    assert {p.state for p in training.teacher_led} == {PersonState.NOT_BOOKED}


def test_training_taken_through_another_provider_counts(world: World) -> None:
    RoleAssignment.objects.create(
        user=world.manager_b,
        role=Role.TEAM_LEADER,
        municipality=world.municipality,
        provider=world.provider_a,
    )
    session = make_session(world, at(TODAY - dt.timedelta(days=20)))
    Booking.objects.create(
        session=session, provider=world.provider_b, person=world.manager_b, attended=True
    )
    plan(world, START)
    entry = next(p for p in _readiness(world).people if p.person == world.manager_b)
    assert entry.state == PersonState.DONE
    assert entry.completed_on == TODAY - dt.timedelta(days=20)
    assert entry.booking is None  # booked for another provider: not shown here


def test_a_support_user_needs_the_teacher_led_training(world: World) -> None:
    SupportUser.objects.create(provider=world.provider_a, person=world.worker_a)
    plan(world, START)
    training = _readiness(world)
    worker = next(p for p in training.people if p.person == world.worker_a)
    assert worker.need == Need.TEACHER_LED
    assert worker.support_user
    assert len(training.teacher_led) == 3


def test_a_provider_without_managers_is_never_ready(world: World) -> None:
    RoleAssignment.objects.filter(
        provider=world.provider_a, role__in=[Role.PROVIDER_MANAGER, Role.TEAM_LEADER]
    ).delete()
    plan(world, START)
    _web_course(world, [world.worker_a, world.night_a], TODAY)
    training = _readiness(world)
    assert training.status == Readiness.AT_RISK
    assert training.reasons[0].code == "no_teacher_led"


def test_inactive_logins_are_not_counted(world: World) -> None:
    world.night_a.is_active = False
    world.night_a.save(update_fields=["is_active"])
    assert world.night_a not in [p.person for p in _readiness(world).people]


def test_many_providers_cost_the_same_queries(world: World, django_assert_num_queries: Any) -> None:
    plan(world, START)
    plan(world, START, world.provider_b)
    providers = [world.provider_a, world.provider_b, world.own]
    with django_assert_num_queries(6):
        rows = provider_training(providers, today=TODAY)
    assert [r.provider for r in rows] == providers
    assert rows[2].status is None
