"""Booking a provider's people on sessions, moving and cancelling, and recording who
attended: the provider's managers are told, with the agenda; refusals write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import TestCase

from trygg.notifications.models import Notification
from trygg.training import services
from trygg.training.models import Booking
from trygg.training.services import TrainingError

from .conftest import NOW, TODAY, World, at, make_session, plan


@pytest.fixture
def session(world: World):  # type: ignore[no-untyped-def]
    return make_session(world, at(TODAY + dt.timedelta(days=3)))


def _book(world: World, session, person=None, provider=None):  # type: ignore[no-untyped-def]
    return services.book(
        session, provider or world.provider_a, person or world.manager_a, world.service_desk, NOW
    )


def test_a_booking_tells_the_managers_and_the_person_with_the_agenda(world: World, session) -> None:
    plan(world, TODAY + dt.timedelta(days=20))
    Notification.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        booking = _book(world, session, person=world.leader_a)
    assert booking.provider == world.provider_a
    assert booking.booked_by == world.service_desk
    notes = Notification.objects.filter(topic=f"training.booking:{booking.pk}")
    assert {n.recipient for n in notes} == {world.manager_a, world.leader_a}
    to_manager = notes.get(recipient=world.manager_a)
    assert to_manager.subject.startswith("Utbildning bokad: Uppstartsutbildning")
    assert "Digitala lås" in to_manager.body  # the agenda comes with the booking
    assert "Stadshuset, sal 3" in to_manager.body
    assert "senast 2026-02-15" in to_manager.body  # the start minus seven days
    assert to_manager.url == f"/training/providers/{world.provider_a.pk}/"
    assert notes.get(recipient=world.leader_a).url == "/training/me/"
    assert {m.to[0] for m in mail.outbox} == {world.manager_a.email, world.leader_a.email}


def test_another_providers_person_is_refused_and_nothing_is_written(world: World, session) -> None:
    with pytest.raises(TrainingError) as refused:
        _book(world, session, person=world.worker_b)
    assert refused.value.field == "person"
    assert "Morgonljus Omsorg AB" in refused.value.message
    assert "Grannlund" not in refused.value.message
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()


def test_a_person_is_booked_once_per_session(world: World, session) -> None:
    _book(world, session)
    with pytest.raises(TrainingError, match="already booked on this session"):
        _book(world, session)
    assert Booking.objects.count() == 1


def test_overlapping_sessions_are_a_double_booking(world: World, session) -> None:
    _book(world, session)
    overlapping = make_session(world, session.starts_at + dt.timedelta(hours=1), title="Låsen")
    with pytest.raises(TrainingError, match="already booked on Uppstartsutbildning at that time"):
        _book(world, overlapping)
    after = make_session(world, session.ends_at, title="Eftermiddag")
    _book(world, after)  # back to back is fine


def test_a_full_session_takes_no_more(world: World) -> None:
    small = make_session(world, at(TODAY + dt.timedelta(days=3)), seats=1)
    _book(world, small)
    with pytest.raises(TrainingError, match="full"):
        _book(world, small, person=world.leader_a)


def test_a_cancelled_booking_frees_its_seat(world: World) -> None:
    small = make_session(world, at(TODAY + dt.timedelta(days=3)), seats=1)
    booking = _book(world, small)
    services.cancel_booking(booking, world.service_desk, NOW)
    _book(world, small, person=world.leader_a)
    _book(world, make_session(world, at(TODAY + dt.timedelta(days=5))))  # and rebook the first


def test_past_cancelled_and_other_municipalities_sessions_are_refused(world: World) -> None:
    past = make_session(world, at(TODAY - dt.timedelta(days=1)))
    with pytest.raises(TrainingError, match="already taken place"):
        _book(world, past)
    cancelled = make_session(world, at(TODAY + dt.timedelta(days=4)))
    services.cancel_session(cancelled, world.service_desk, NOW)
    with pytest.raises(TrainingError, match="cancelled"):
        _book(world, cancelled)
    elsewhere = make_session(
        world, at(TODAY + dt.timedelta(days=4)), municipality=world.other_municipality
    )
    with pytest.raises(TrainingError, match="another municipality"):
        _book(world, elsewhere)
    assert not Booking.objects.exists()


def test_moving_a_booking_tells_the_provider(world: World, session) -> None:
    booking = _book(world, session)
    later = make_session(world, at(TODAY + dt.timedelta(days=6)), title="Nästa tillfälle")
    Notification.objects.all().delete()
    moved = services.move_booking(booking, later, world.service_desk, NOW)
    assert moved.session == later
    assert Notification.objects.filter(
        recipient=world.manager_a, subject__startswith="Utbildningen flyttad: Nästa tillfälle"
    ).exists()
    with pytest.raises(TrainingError, match="already on that session"):
        services.move_booking(moved, later, world.service_desk, NOW)


def test_cancelling_a_booking_tells_the_provider(world: World, session) -> None:
    booking = _book(world, session)
    Notification.objects.all().delete()
    services.cancel_booking(booking, world.service_desk, NOW)
    booking.refresh_from_db()
    assert booking.cancelled_by == world.service_desk
    assert Notification.objects.filter(recipient=world.manager_a).count() == 1
    with pytest.raises(TrainingError, match="already cancelled"):
        services.cancel_booking(booking, world.service_desk, NOW)


def test_attendance_for_a_session_not_yet_begun_is_refused(world: World, session) -> None:
    booking = _book(world, session)
    with pytest.raises(TrainingError, match="once the session has started"):
        services.record_attendance(booking, True, world.service_desk, NOW)
    booking.refresh_from_db()
    assert booking.attended is None
    assert booking.attendance_recorded_by is None


def test_attendance_records_who_took_it_and_who_recorded_it(world: World, session) -> None:
    booking = _book(world, session)
    after = session.ends_at + dt.timedelta(minutes=5)
    services.record_attendance(booking, True, world.service_desk, after)
    booking.refresh_from_db()
    assert booking.attended is True
    assert booking.attendance_recorded_by == world.service_desk
    assert booking.attendance_recorded_at == after
    # A mistake is corrected by recording again.
    services.record_attendance(booking, False, world.admin, after)
    booking.refresh_from_db()
    assert booking.attended is False
    assert booking.attendance_recorded_by == world.admin
    # Once attendance is recorded the booking stays where it is.
    with pytest.raises(TrainingError):
        services.cancel_booking(booking, world.service_desk, NOW)


def test_a_held_booking_cannot_be_moved_or_cancelled(world: World, session) -> None:
    booking = _book(world, session)
    later = make_session(world, at(TODAY + dt.timedelta(days=8)))
    during = session.starts_at + dt.timedelta(minutes=10)
    with pytest.raises(TrainingError, match="already taken place"):
        services.move_booking(booking, later, world.service_desk, during)
    with pytest.raises(TrainingError, match="already taken place"):
        services.cancel_booking(booking, world.service_desk, during)
