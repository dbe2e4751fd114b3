"""Training over the JSON API: the same rules as the pages, each provider scoped to itself,
refusals a 4xx with the reason and nothing written."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from trygg.core.models import User
from trygg.training import services
from trygg.training.models import Booking, StartPlan, TrainingSession, WebCourseCompletion

from .conftest import World, at, http_as, local_today, make_session, plan


def _send(http: HttpClient, method: str, url: str, body: dict[str, Any]) -> Any:
    return http.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.fixture
def booked(world: World) -> TrainingSession:
    plan(world, local_today() + dt.timedelta(days=20))
    session = make_session(world, at(local_today() + dt.timedelta(days=3)))
    services.book(session, world.provider_a, world.manager_a, world.service_desk)
    services.book(session, world.provider_b, world.worker_b, world.service_desk)
    return session


def test_the_service_desk_lists_starting_providers_with_their_margin(
    world: World, booked: TrainingSession
) -> None:
    response = http_as(world.service_desk).get("/api/v1/training/providers")
    assert response.status_code == 200
    [row] = response.json()
    assert row["provider_id"] == world.provider_a.pk
    assert row["status"] == "at_risk"
    assert row["deadline"] == (local_today() + dt.timedelta(days=13)).isoformat()
    assert row["days_to_deadline"] == 13
    assert {r["code"] for r in row["reasons"]} == {
        "not_booked",
        "booked_not_completed",
        "web_course_missing",
    }
    assert (row["teacher_led_done"], row["teacher_led_total"]) == (0, 2)


def test_a_manager_gets_their_own_provider_only(world: World, booked: TrainingSession) -> None:
    http = http_as(world.manager_b)
    assert http.get("/api/v1/training/providers").json() == []  # B has no start date
    assert http.get(f"/api/v1/training/providers/{world.provider_a.pk}").status_code == 404
    detail = http.get(f"/api/v1/training/providers/{world.provider_b.pk}").json()
    assert [b["person_id"] for b in detail["bookings"]] == [world.worker_b.pk]
    assert "Digitala lås" in detail["bookings"][0]["agenda"]
    session = http.get(f"/api/v1/training/sessions/{booked.pk}").json()
    assert [b["person_id"] for b in session["bookings"]] == [world.worker_b.pk]
    assert session["booked"] == 2


def test_the_provider_detail_lists_who_needs_what(world: World, booked: TrainingSession) -> None:
    detail = http_as(world.manager_a).get(f"/api/v1/training/providers/{world.provider_a.pk}")
    people = {p["id"]: p for p in detail.json()["people"]}
    assert people[world.manager_a.pk]["need"] == "teacher_led"
    assert people[world.manager_a.pk]["state"] == "booked"
    assert people[world.leader_a.pk]["state"] == "not_booked"
    assert people[world.worker_a.pk]["need"] == "web_course"
    assert people[world.worker_a.pk]["state"] == "not_done"
    assert world.worker_b.pk not in people


def test_a_start_before_the_approval_is_a_400(world: World) -> None:
    http = http_as(world.service_desk)
    url = f"/api/v1/training/providers/{world.provider_b.pk}/start"
    response = _send(http, "PUT", url, {"approved_on": "2026-05-04", "starts_on": "2026-05-01"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "starts_on": ["Verksamhetsstarten kan inte ligga före godkännandet (2026-05-04)."]
    }
    assert not StartPlan.objects.exists()
    ok = _send(http, "PUT", url, {"approved_on": "2026-05-04", "starts_on": "2026-06-01"})
    assert ok.status_code == 200
    assert ok.json()["deadline"] == "2026-05-25"
    refused = _send(
        http_as(world.manager_b),
        "PUT",
        url,
        {"approved_on": "2026-05-04", "starts_on": "2026-06-02"},
    )
    assert refused.status_code == 403


def test_booking_through_the_api(world: World, booked: TrainingSession) -> None:
    http = http_as(world.service_desk)
    url = f"/api/v1/training/sessions/{booked.pk}/bookings"
    body = {"provider_id": world.provider_a.pk, "person_id": world.leader_a.pk}
    created = _send(http, "POST", url, body)
    assert created.status_code == 201
    assert created.json()["person_id"] == world.leader_a.pk
    double = _send(http, "POST", url, body)
    assert double.status_code == 400
    assert "redan bokad på det här tillfället" in double.json()["detail"]
    other = _send(http, "POST", url, {**body, "person_id": world.worker_b.pk})
    assert other.status_code == 400
    assert other.json()["errors"]["person_id"] == [
        "Välj någon som arbetar hos Morgonljus Omsorg AB."
    ]
    nobody = _send(http, "POST", url, {**body, "person_id": 999999})
    assert nobody.json() == other.json()  # another provider's person is like nobody at all
    assert Booking.objects.filter(session=booked).count() == 3
    manager = _send(http_as(world.manager_a), "POST", url, body)
    assert manager.status_code in (403, 404)


def test_attendance_through_the_api(world: World, booked: TrainingSession) -> None:
    http = http_as(world.service_desk)
    booking = Booking.objects.get(person=world.manager_a)
    url = f"/api/v1/training/bookings/{booking.pk}/attendance"
    future = _send(http, "PUT", url, {"attended": True})
    assert future.status_code == 400
    assert "först när tillfället har börjat" in future.json()["detail"]
    booking.refresh_from_db()
    assert booking.attended is None
    TrainingSession.objects.filter(pk=booked.pk).update(
        starts_at=at(local_today() - dt.timedelta(days=1)),
        ends_at=at(local_today() - dt.timedelta(days=1), 12),
    )
    done = _send(http, "PUT", url, {"attended": True})
    assert done.status_code == 200
    assert done.json()["attended"] is True
    assert done.json()["attendance_recorded_by"] == world.service_desk.get_full_name()


def test_moving_and_cancelling_through_the_api(world: World, booked: TrainingSession) -> None:
    http = http_as(world.service_desk)
    booking = Booking.objects.get(person=world.manager_a)
    later = make_session(world, at(local_today() + dt.timedelta(days=6)), title="Senare")
    moved = _send(
        http, "POST", f"/api/v1/training/bookings/{booking.pk}/move", {"session_id": later.pk}
    )
    assert moved.status_code == 200
    assert moved.json()["session_id"] == later.pk
    elsewhere = make_session(
        world, at(local_today() + dt.timedelta(days=6)), municipality=world.other_municipality
    )
    refused = _send(
        http, "POST", f"/api/v1/training/bookings/{booking.pk}/move", {"session_id": elsewhere.pk}
    )
    assert refused.status_code == 400
    cancelled = http.delete(f"/api/v1/training/bookings/{booking.pk}")
    assert cancelled.status_code == 200
    assert not Booking.objects.active().filter(pk=booking.pk).exists()


def test_planning_sessions_through_the_api(world: World) -> None:
    http = http_as(world.service_desk)
    day = local_today() + dt.timedelta(days=10)
    body = {
        "kind": "ongoing",
        "title": "Löpande utbildning",
        "starts_at": f"{day}T13:00",
        "ends_at": f"{day}T15:00",
        "link": "https://moten.example/lopande",
        "systems": ["locks"],
        "agenda": "Nyheter",
        "seats": 20,
        "repeat_weeks": 2,
        "occurrences": 2,
    }
    created = _send(http, "POST", "/api/v1/training/sessions", body)
    assert created.status_code == 201
    assert len(created.json()) == 2
    # Without an offset, the municipality's local time.
    assert dt.datetime.fromisoformat(created.json()[0]["starts_at"]) == at(day, 13)
    empty = _send(http, "POST", "/api/v1/training/sessions", {**body, "systems": []})
    assert empty.status_code == 400
    assert list(empty.json()["errors"]) == ["systems"]
    assert TrainingSession.objects.count() == 2
    listed = http.get("/api/v1/training/sessions").json()
    assert listed["count"] == 2
    assert (
        _send(http_as(world.manager_a), "POST", "/api/v1/training/sessions", body).status_code
        == 403
    )


def test_web_courses_through_the_api(world: World) -> None:
    url = f"/api/v1/training/providers/{world.provider_a.pk}/web-course/{world.worker_a.pk}"
    today = local_today().isoformat()
    assert _send(http_as(world.manager_a), "PUT", url, {"completed_on": today}).status_code == 200
    future = (local_today() + dt.timedelta(days=2)).isoformat()
    refused = _send(http_as(world.worker_a), "PUT", url, {"completed_on": future})
    assert refused.status_code == 400
    assert WebCourseCompletion.objects.get().completed_on == local_today()
    assert http_as(world.worker_a).delete(url).status_code == 200  # the person themself
    assert not WebCourseCompletion.objects.exists()
    # Another provider's manager, and a colleague, are refused.
    assert _send(http_as(world.manager_b), "PUT", url, {"completed_on": today}).status_code == 404
    colleague = http_as(world.night_a)
    assert _send(colleague, "PUT", url, {"completed_on": today}).status_code == 404
    # Provider A's manager naming provider B's person: like nobody at all.
    other = f"/api/v1/training/providers/{world.provider_a.pk}/web-course/{world.worker_b.pk}"
    assert _send(http_as(world.manager_a), "PUT", other, {"completed_on": today}).status_code == 404
    assert not WebCourseCompletion.objects.exists()


def test_my_training(world: World, booked: TrainingSession) -> None:
    mine = http_as(world.manager_a).get("/api/v1/training/me").json()
    assert [m["provider_id"] for m in mine] == [world.provider_a.pk]
    assert mine[0]["training"]["state"] == "booked"
    assert mine[0]["booking"]["session_id"] == booked.pk


def test_nobody_without_a_role_gets_anything(world: World, booked: TrainingSession) -> None:
    nobody = User.objects.create_user("ingen", password="x")
    http = http_as(nobody)
    assert http.get("/api/v1/training/providers").json() == []
    assert http.get(f"/api/v1/training/sessions/{booked.pk}").status_code == 403
    assert http.get("/api/v1/training/me").json() == []
