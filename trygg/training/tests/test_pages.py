"""The training pages as the service desk, a provider's manager and its staff see them: each
provider sees only its own people; bad input is a Swedish form error and writes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from trygg.training import services
from trygg.training.models import (
    Booking,
    StartPlan,
    SupportUser,
    TrainingSession,
    WebCourseCompletion,
)

from .conftest import World, at, http_as, local_today, make_session, plan


def _main(html: str) -> str:
    """The page's own content, without the header that names the person logged in."""
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert match is not None
    return match.group(1)


def _row(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert match is not None, f"no row {row_id}"
    return match.group(1)


@pytest.fixture
def starting(world: World) -> TrainingSession:
    """Provider A starts in twenty days; its manager is booked on a session in three."""
    plan(world, local_today() + dt.timedelta(days=20))
    session = make_session(world, at(local_today() + dt.timedelta(days=3)))
    services.book(session, world.provider_a, world.manager_a, world.service_desk)
    services.book(session, world.provider_b, world.worker_b, world.service_desk)
    return session


def test_the_menu_shows_training_to_those_it_concerns(world: World, starting: object) -> None:
    for user in (world.service_desk, world.admin, world.manager_a, world.worker_a):
        assert 'href="/training/"' in http_as(user).get("/").text, user.username
    # The municipality's own provider runs home care too: its staff take the web course.
    assert 'href="/training/"' in http_as(world.own_manager).get("/").text
    # Auditors plan no training and have no provider.
    for user in (world.auditor,):
        assert 'href="/training/"' not in http_as(user).get("/").text, user.username


def test_the_service_desk_sees_every_starting_provider(world: World, starting: object) -> None:
    response = http_as(world.service_desk).get("/training/")
    assert response.status_code == 200
    main = _main(response.text)
    row = _row(main, f"provider-{world.provider_a.pk}")
    deadline = local_today() + dt.timedelta(days=13)
    assert deadline.isoformat() in row
    assert "Risk" in row
    assert "1 person är bokad men har inte genomfört utbildningen än." in row
    assert "13 dagar kvar till sista dag." in row
    # Provider B has no start date: offered to be recorded.
    assert f"/training/providers/{world.provider_b.pk}/start/" in main


def test_a_manager_sees_their_own_provider_with_the_warning(world: World, starting: object) -> None:
    http = http_as(world.manager_a)
    response = http.get("/training/")
    assert response.status_code == 302
    assert response["Location"] == f"/training/providers/{world.provider_a.pk}/"
    main = _main(http.get(response["Location"]).text)
    assert 'id="readiness"' in main
    assert "Utbildningen är inte klar än" in main
    assert "Bokad" in _row(main, f"person-{world.manager_a.pk}")
    assert "Digitala lås" in main  # the agenda of the booked session
    assert world.worker_a.get_full_name() in _row(main, f"missing-{world.worker_a.pk}")
    assert "Grannlund" not in main  # provider B's person booked on the same session


def test_providers_never_see_each_other(world: World, starting: TrainingSession) -> None:
    http = http_as(world.manager_b)
    assert http.get(f"/training/providers/{world.provider_a.pk}/").status_code == 404
    assert (
        http.post(
            f"/training/providers/{world.provider_a.pk}/web-course/",
            {"person": world.worker_a.pk, "completed_on": local_today().isoformat()},
        ).status_code
        == 404
    )
    session_page = _main(http.get(f"/training/sessions/{starting.pk}/").text)
    assert "Grannlund" in session_page  # B's own booking
    assert world.manager_a.last_name not in session_page
    assert not WebCourseCompletion.objects.exists()


def test_staff_see_only_their_own_training(world: World, starting: object) -> None:
    http = http_as(world.worker_a)
    response = http.get("/training/")
    assert response["Location"] == "/training/me/"
    assert http.get(f"/training/providers/{world.provider_a.pk}/").status_code == 404
    assert http.get("/training/sessions/").status_code == 403
    main = _main(http.get("/training/me/").text)
    assert "Webbutbildning" in main
    assert world.manager_a.last_name not in main


def test_a_staff_member_records_their_own_web_course(world: World, starting: object) -> None:
    http = http_as(world.worker_a)
    today = local_today()
    future = http.post(
        "/training/me/",
        {"provider": world.provider_a.pk, "completed_on": (today + dt.timedelta(days=1))},
    )
    assert future.status_code == 400
    assert "Webbutbildningen kan inte vara genomförd i framtiden." in future.text
    assert not WebCourseCompletion.objects.exists()
    done = http.post("/training/me/", {"provider": world.provider_a.pk, "completed_on": today})
    assert done.status_code == 302
    completion = WebCourseCompletion.objects.get()
    assert (completion.person, completion.recorded_by) == (world.worker_a, world.worker_a)


def test_a_manager_records_the_web_course_and_the_list_shrinks(
    world: World, starting: object
) -> None:
    http = http_as(world.manager_a)
    url = f"/training/providers/{world.provider_a.pk}/web-course/"
    day = local_today() - dt.timedelta(days=2)
    assert http.post(url, {"person": world.worker_a.pk, "completed_on": day}).status_code == 302
    main = _main(http.get(f"/training/providers/{world.provider_a.pk}/").text)
    assert f'id="missing-{world.worker_a.pk}"' not in main
    assert day.isoformat() in _row(main, f"done-{world.worker_a.pk}")
    assert f'id="missing-{world.night_a.pk}"' in main
    # Another provider's person is not in the form's choices: refused, nothing written.
    refused = http.post(url, {"person": world.worker_b.pk, "completed_on": day})
    assert refused.status_code == 400
    assert "Välj ett giltigt alternativ" in refused.text
    assert WebCourseCompletion.objects.count() == 1


def test_a_manager_names_a_support_user(world: World, starting: object) -> None:
    http = http_as(world.manager_a)
    url = f"/training/providers/{world.provider_a.pk}/support-users/"
    assert http.post(url, {"person": world.worker_a.pk}).status_code == 302
    assert SupportUser.objects.filter(person=world.worker_a).exists()
    main = _main(http.get(f"/training/providers/{world.provider_a.pk}/").text)
    assert "Stödanvändare" in _row(main, f"person-{world.worker_a.pk}")
    leader = http.post(url, {"person": world.leader_a.pk})
    assert leader.status_code == 400
    assert "går redan den lärarledda utbildningen" in leader.text


def test_managers_do_not_book_or_record_start_dates(world: World, starting: object) -> None:
    http = http_as(world.manager_a)
    assert http.get(f"/training/providers/{world.provider_a.pk}/start/").status_code == 403
    session = make_session(world, at(local_today() + dt.timedelta(days=8)))
    booked = http.post(
        f"/training/providers/{world.provider_a.pk}/book/",
        {"person": world.leader_a.pk, "session": session.pk},
    )
    assert booked.status_code == 403
    assert http.get("/training/sessions/new/").status_code == 403


def test_a_start_before_the_approval_is_a_form_error(world: World) -> None:
    http = http_as(world.service_desk)
    url = f"/training/providers/{world.provider_b.pk}/start/"
    response = http.post(url, {"approved_on": "2026-05-04", "starts_on": "2026-05-01"})
    assert response.status_code == 400
    assert "Verksamhetsstarten kan inte ligga före godkännandet (2026-05-04)." in response.text
    assert not StartPlan.objects.exists()
    ok = http.post(url, {"approved_on": "2026-05-04", "starts_on": "2026-06-01"})
    assert ok.status_code == 302
    assert StartPlan.objects.get().starts_on == dt.date(2026, 6, 1)


def test_booking_from_the_provider_page(world: World, starting: TrainingSession) -> None:
    http = http_as(world.service_desk)
    url = f"/training/providers/{world.provider_a.pk}/book/"
    ok = http.post(url, {"person": world.leader_a.pk, "session": starting.pk})
    assert ok.status_code == 302
    assert Booking.objects.filter(person=world.leader_a, session=starting).exists()
    again = http.post(url, {"person": world.leader_a.pk, "session": starting.pk})
    assert again.status_code == 400
    assert "är redan bokad på det här tillfället" in again.text
    other = http.post(url, {"person": world.worker_b.pk, "session": starting.pk})
    assert other.status_code == 400
    assert Booking.objects.filter(person=world.worker_b).count() == 1  # only B's own


def test_a_booking_after_the_deadline_is_warned_about(world: World, starting: object) -> None:
    late = make_session(world, at(local_today() + dt.timedelta(days=15)))
    http = http_as(world.service_desk)
    response = http.post(
        f"/training/providers/{world.provider_a.pk}/book/",
        {"person": world.leader_a.pk, "session": late.pk},
        follow=True,
    )
    assert "Tillfället ligger efter" in response.text


def test_attendance_for_a_future_session_is_refused(
    world: World, starting: TrainingSession
) -> None:
    booking = Booking.objects.get(person=world.manager_a)
    http = http_as(world.service_desk)
    response = http.post(f"/training/bookings/{booking.pk}/attendance/", {"attended": "yes"})
    assert response.status_code == 400
    assert "Närvaro kan registreras först när tillfället har börjat" in response.text
    booking.refresh_from_db()
    assert booking.attended is None


def test_attendance_after_the_session(world: World) -> None:
    held = make_session(world, timezone.now() - dt.timedelta(hours=4))
    booking = Booking.objects.create(session=held, provider=world.provider_a, person=world.leader_a)
    http = http_as(world.service_desk)
    page = _main(http.get(f"/training/sessions/{held.pk}/").text)
    assert f"/training/bookings/{booking.pk}/attendance/" in page
    response = http.post(f"/training/bookings/{booking.pk}/attendance/", {"attended": "yes"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.attended, booking.attendance_recorded_by) == (True, world.service_desk)
    # The provider's manager sees who attended, and who recorded it.
    main = _main(http_as(world.manager_a).get(f"/training/providers/{world.provider_a.pk}/").text)
    row = _row(main, f"person-{world.leader_a.pk}")
    assert "Genomfört" in row
    assert world.service_desk.get_full_name() in row


def test_planning_a_session_and_a_schedule(world: World) -> None:
    http = http_as(world.service_desk)
    day = local_today() + dt.timedelta(days=10)
    form = {
        "kind": "ongoing",
        "title": "Löpande utbildning",
        "day": day.isoformat(),
        "start_time": "13:00",
        "end_time": "15:00",
        "link": "https://moten.example/lopande",
        "systems": ["visit_app", "locks"],
        "agenda": "Nyheter",
        "seats": "20",
        "repeat_weeks": "4",
        "occurrences": "3",
    }
    assert http.post("/training/sessions/new/", form).status_code == 302
    assert TrainingSession.objects.count() == 3
    bad = http.post("/training/sessions/new/", {**form, "end_time": "12:00", "link": ""})
    assert bad.status_code == 400
    assert "Tillfället måste sluta efter att det börjar." in bad.text
    assert "Ange en plats eller en länk till tillfället." in bad.text
    assert TrainingSession.objects.count() == 3


def test_another_municipality_is_out_of_reach(world: World, starting: TrainingSession) -> None:
    http = http_as(world.outsider)
    assert http.get(f"/training/providers/{world.provider_a.pk}/").status_code == 404
    assert http.get(f"/training/sessions/{starting.pk}/").status_code == 404
    booking = Booking.objects.get(person=world.manager_a)
    assert http.post(f"/training/bookings/{booking.pk}/cancel/").status_code == 404
    assert "Morgonljus" not in _main(http.get("/training/").text)


def test_the_admin_refuses_a_start_before_the_approval(world: World) -> None:
    response = http_as(world.admin).post(
        "/admin/training/startplan/add/",
        {"provider": world.provider_b.pk, "approved_on": "2026-05-04", "starts_on": "2026-05-01"},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "Verksamhetsstarten kan inte ligga före godkännandet." in response.text
    assert not StartPlan.objects.exists()
