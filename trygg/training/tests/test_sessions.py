"""Planning sessions and the fixed schedule of ongoing training, changing and cancelling them;
start dates; web courses and support users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.notifications.models import Notification
from trygg.training import services
from trygg.training.constants import SessionKind, TrainedSystem
from trygg.training.models import (
    Booking,
    StartPlan,
    SupportUser,
    TrainingSession,
    WebCourseCompletion,
)
from trygg.training.services import TrainingError

from .conftest import NOW, STOCKHOLM, TODAY, World, at, make_session


def _schedule(world: World, **changes: Any) -> list[TrainingSession]:
    fields: dict[str, Any] = {
        "kind": SessionKind.ONGOING,
        "title": "Löpande utbildning",
        "starts_at": at(TODAY + dt.timedelta(days=7), 13),
        "ends_at": at(TODAY + dt.timedelta(days=7), 15),
        "place": "",
        "link": "https://moten.example/lopande",
        "systems": [TrainedSystem.LOCKS, TrainedSystem.VISIT_APP],
        "agenda": "Nyheter och frågor",
        "seats": 20,
        "by": world.service_desk,
        "now": NOW,
    }
    fields.update(changes)
    return services.schedule_sessions(world.municipality, **fields)


def test_a_fixed_schedule_keeps_the_local_time_across_summer_time(world: World) -> None:
    sessions = _schedule(world, repeat_weeks=4, occurrences=3)
    local = [s.starts_at.astimezone(STOCKHOLM) for s in sessions]
    assert [d.date() for d in local] == [
        dt.date(2026, 2, 9),
        dt.date(2026, 3, 9),
        dt.date(2026, 4, 6),  # after the clocks went forward on 29 March
    ]
    assert {d.time() for d in local} == {dt.time(13)}
    assert sessions[0].systems == "visit_app,locks"  # in the catalogue's order


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"starts_at": at(TODAY - dt.timedelta(days=1)), "ends_at": at(TODAY, 11)},
            "ends_at",  # longer than a working day
        ),
        (
            {"starts_at": at(TODAY, 7), "ends_at": at(TODAY, 10)},
            "starts_at",  # NOW is 08:00: begun already
        ),
        ({"ends_at": at(TODAY + dt.timedelta(days=7), 12)}, "ends_at"),
        ({"link": "", "place": "  "}, "place"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"systems": []}, "systems"),
        ({"systems": ["fax"]}, "systems"),
        ({"agenda": " "}, "agenda"),
        ({"seats": 0}, "seats"),
        ({"occurrences": 3}, "repeat_weeks"),
        ({"occurrences": 27, "repeat_weeks": 1}, "occurrences"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_sessions_are_refused_whole(world: World, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(TrainingError) as refused:
        _schedule(world, **changes)
    assert refused.value.field == field
    assert not TrainingSession.objects.exists()


def test_changing_a_session_tells_everyone_booked(world: World) -> None:
    session = make_session(world, at(TODAY + dt.timedelta(days=5)))
    services.book(session, world.provider_a, world.leader_a, world.service_desk, NOW)
    services.book(session, world.provider_b, world.manager_b, world.service_desk, NOW)
    Notification.objects.all().delete()
    later = at(TODAY + dt.timedelta(days=6), 10)
    services.change_session(
        session,
        title=session.title,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=2),
        place="Stadshuset, sal 5",
        link="",
        systems=[TrainedSystem.VISIT_APP],
        agenda="Ny agenda",
        seats=5,
        by=world.service_desk,
        now=NOW,
    )
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"chef.a", "ledare.a", "chef.b"}
    note = Notification.objects.get(recipient=world.manager_b)
    assert "Stadshuset, sal 5" in note.body
    assert "Ny agenda" in note.body
    # Provider A's manager is told of A's booking only: nothing of B's people.
    name_b = world.manager_b.get_full_name()
    assert all(name_b not in n.body for n in Notification.objects.filter(recipient=world.manager_a))


def test_a_session_keeps_seats_for_everyone_booked(world: World) -> None:
    session = make_session(world, at(TODAY + dt.timedelta(days=5)))
    services.book(session, world.provider_a, world.leader_a, world.service_desk, NOW)
    services.book(session, world.provider_a, world.manager_a, world.service_desk, NOW)
    with pytest.raises(TrainingError, match="2 people are booked"):
        services.change_session(
            session,
            title="x",
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            place="Stadshuset",
            link="",
            systems=[TrainedSystem.LOCKS],
            agenda="x",
            seats=1,
            by=world.service_desk,
            now=NOW,
        )
    session.refresh_from_db()
    assert session.seats == 10


def test_cancelling_a_session_tells_each_booking_and_leaves_them_unbooked(world: World) -> None:
    session = make_session(world, at(TODAY + dt.timedelta(days=5)))
    services.book(session, world.provider_a, world.leader_a, world.service_desk, NOW)
    Notification.objects.all().delete()
    cancelled = services.cancel_session(session, world.service_desk, NOW)
    assert [b.person for b in cancelled] == [world.leader_a]
    assert Notification.objects.filter(recipient=world.manager_a).count() == 1
    assert not Booking.objects.active().exists()
    with pytest.raises(TrainingError, match="cancelled"):
        services.cancel_session(session, world.service_desk, NOW)


def test_a_held_session_cannot_change(world: World) -> None:
    session = make_session(world, at(TODAY - dt.timedelta(days=1)))
    with pytest.raises(TrainingError, match="already taken place"):
        services.cancel_session(session, world.service_desk, NOW)


# Start dates --------------------------------------------------------------------------


def test_a_start_before_the_approval_is_refused(world: World) -> None:
    with pytest.raises(TrainingError) as refused:
        services.set_start_plan(
            world.provider_a,
            approved_on=TODAY,
            starts_on=TODAY - dt.timedelta(days=1),
            by=world.service_desk,
        )
    assert refused.value.field == "starts_on"
    assert not StartPlan.objects.exists()


def test_recording_and_moving_the_start_tells_the_managers(world: World) -> None:
    services.set_start_plan(
        world.provider_a,
        approved_on=TODAY,
        starts_on=TODAY + dt.timedelta(days=30),
        by=world.service_desk,
    )
    first = Notification.objects.get(recipient=world.manager_a)
    assert "2026-03-04" in first.subject
    assert "2026-02-25" in first.body  # the deadline
    services.set_start_plan(
        world.provider_a,
        approved_on=TODAY,
        starts_on=TODAY + dt.timedelta(days=30),
        note="Bara en anteckning",
        by=world.service_desk,
    )
    assert Notification.objects.filter(recipient=world.manager_a).count() == 1  # nothing new
    services.set_start_plan(
        world.provider_a,
        approved_on=TODAY,
        starts_on=TODAY + dt.timedelta(days=40),
        by=world.service_desk,
    )
    assert Notification.objects.filter(recipient=world.manager_a).count() == 2
    assert StartPlan.objects.get().starts_on == TODAY + dt.timedelta(days=40)
    assert not Notification.objects.filter(recipient=world.manager_b).exists()


# Web course and support users ----------------------------------------------------------


def test_a_web_course_is_recorded_once_and_can_be_corrected(world: World) -> None:
    services.record_web_course(world.provider_a, world.worker_a, TODAY, world.manager_a, TODAY)
    services.record_web_course(
        world.provider_a, world.worker_a, TODAY - dt.timedelta(days=1), world.worker_a, TODAY
    )
    completion = WebCourseCompletion.objects.get()
    assert completion.completed_on == TODAY - dt.timedelta(days=1)
    assert completion.recorded_by == world.worker_a
    assert services.withdraw_web_course(world.provider_a, world.worker_a)
    assert not WebCourseCompletion.objects.exists()


def test_a_web_course_in_the_future_or_for_another_provider_is_refused(world: World) -> None:
    with pytest.raises(TrainingError, match="future"):
        services.record_web_course(
            world.provider_a, world.worker_a, TODAY + dt.timedelta(days=1), world.manager_a, TODAY
        )
    with pytest.raises(TrainingError) as refused:
        services.record_web_course(world.provider_a, world.worker_b, TODAY, world.manager_a, TODAY)
    assert refused.value.field == "person"
    assert not WebCourseCompletion.objects.exists()


def test_support_users_are_named_among_staff_who_are_not_managers(world: World) -> None:
    services.name_support_user(world.provider_a, world.worker_a, world.manager_a)
    assert SupportUser.objects.filter(provider=world.provider_a, person=world.worker_a).exists()
    with pytest.raises(TrainingError, match="already a support user"):
        services.name_support_user(world.provider_a, world.worker_a, world.manager_a)
    with pytest.raises(TrainingError, match="already takes the teacher-led training"):
        services.name_support_user(world.provider_a, world.leader_a, world.manager_a)
    with pytest.raises(TrainingError):
        services.name_support_user(world.provider_a, world.worker_b, world.manager_a)
    assert services.remove_support_user(world.provider_a, world.worker_a)
    assert SupportUser.objects.count() == 0
