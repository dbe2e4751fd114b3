"""The welfare-technology team and administrators plan, announce, move, cancel and complete
outages in the back office; nobody else gets in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.models import User
from trygg.outages.constants import OutageStatus
from trygg.outages.models import Outage, OutageNotice

from .conftest import STOCKHOLM, World
from .helpers import make_outage


def _http(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def _next_tuesday(at_least_days: int) -> dt.date:
    day = timezone.now().astimezone(STOCKHOLM).date() + dt.timedelta(days=at_least_days)
    return day + dt.timedelta(days=(2 - day.isoweekday()) % 7)


def _form(day: dt.date, **extra: str) -> dict[str, str]:
    return {
        "system": "visit_app",
        "kind": "planned",
        "title": "Uppgradering av besöksappen",
        "description": "Registrera på papper under tiden.",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T12:00",
        **extra,
    }


def test_planners_see_the_menu_item_others_see_the_status_link(world: World) -> None:
    planner = _http(world.welfare_tech).get("/").text
    assert 'href="/outages/"' in planner
    assert 'href="/status/"' in planner
    worker = _http(world.care_worker).get("/").text
    assert 'href="/outages/"' not in worker
    assert 'href="/status/"' in worker


@pytest.mark.parametrize("who", ["manager", "care_worker", "operator", "manager_a"])
def test_others_may_not_open_the_planning_pages(world: World, who: str) -> None:
    outage = make_outage(world.municipality, in_days=20)
    http = _http(getattr(world, who))
    assert http.get("/outages/").status_code == 403
    assert http.get("/outages/new/").status_code == 403
    assert http.get(f"/outages/{outage.pk}/").status_code == 403
    assert http.post(f"/outages/{outage.pk}/cancel/").status_code == 403


def test_another_municipalitys_planner_gets_not_found(world: World) -> None:
    outage = make_outage(world.municipality, in_days=20)
    assert _http(world.outsider).get(f"/outages/{outage.pk}/").status_code == 404


def test_a_planner_plans_in_local_time_and_lands_on_the_detail_page(world: World) -> None:
    day = _next_tuesday(16)
    response = _http(world.welfare_tech).post("/outages/new/", _form(day))
    assert response.status_code == 302
    outage = Outage.objects.get()
    assert response["Location"] == f"/outages/{outage.pk}/"
    assert outage.starts_at == dt.datetime.combine(day, dt.time(9), tzinfo=STOCKHOLM)
    assert outage.created_by == world.welfare_tech
    assert outage.status == OutageStatus.DRAFT


def test_the_form_shows_each_broken_rule_and_takes_an_override(world: World) -> None:
    day = _next_tuesday(1)
    http = _http(world.admin)
    refused = http.post("/outages/new/", _form(day))
    assert refused.status_code == 200
    text = refused.text
    assert "form-error" in text
    assert "14" in text
    assert 'name="override_reason"' in text
    assert not Outage.objects.exists()
    accepted = http.post("/outages/new/", _form(day, override_reason="Akut säkerhetsrättelse"))
    assert accepted.status_code == 302
    assert Outage.objects.get().override_reason == "Akut säkerhetsrättelse"


def test_announce_then_the_detail_page_shows_the_notice_log(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    day = _next_tuesday(16)
    http = _http(world.welfare_tech)
    http.post("/outages/new/", _form(day))
    outage = Outage.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = http.post(f"/outages/{outage.pk}/announce/")
    assert response.status_code == 302
    assert len(mail.outbox) == 10
    detail = http.get(f"/outages/{outage.pk}/").text
    assert "Omsorg A AB" in detail  # the private provider's own row
    # The time is "svensk tid" in the page and in every e-mail, never a zone's name.
    assert "(svensk tid)" in detail
    assert "Europe/" not in detail
    assert all("Europe/" not in message.body for message in mail.outbox)
    assert any("Alla tider är svensk tid." in message.body for message in mail.outbox)
    assert OutageNotice.objects.filter(outage=outage).count() == 8
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        http.post(f"/outages/{outage.pk}/announce/")
    assert len(mail.outbox) == 10


def test_a_late_announcement_asks_for_a_reason(world: World) -> None:
    outage = make_outage(
        world.municipality, in_days=3, status=OutageStatus.DRAFT, override_reason=""
    )
    http = _http(world.welfare_tech)
    detail = http.get(f"/outages/{outage.pk}/").text
    assert 'name="override_reason"' in detail
    refused = http.post(f"/outages/{outage.pk}/announce/")
    assert refused.status_code == 400
    assert "form-error" in refused.text
    outage.refresh_from_db()
    assert outage.status == OutageStatus.DRAFT
    http.post(f"/outages/{outage.pk}/announce/", {"override_reason": "Akut"})
    outage.refresh_from_db()
    assert outage.status == OutageStatus.ANNOUNCED


def test_moving_an_outage_to_a_bad_time_is_refused_on_the_page(world: World) -> None:
    outage = make_outage(world.municipality, in_days=20)
    day = _next_tuesday(16) - dt.timedelta(days=1)  # a Monday
    response = _http(world.welfare_tech).post(
        f"/outages/{outage.pk}/reschedule/",
        {"starts_at": f"{day}T09:00", "ends_at": f"{day}T10:00"},
    )
    assert response.status_code == 400
    assert "form-error" in response.text


def test_cancel_and_complete(world: World) -> None:
    http = _http(world.welfare_tech)
    upcoming = make_outage(world.municipality, in_days=20)
    http.post(f"/outages/{upcoming.pk}/cancel/")
    upcoming.refresh_from_db()
    assert upcoming.status == OutageStatus.CANCELLED

    under_way = make_outage(world.municipality, in_days=-0.05)
    http.post(f"/outages/{under_way.pk}/complete/")
    under_way.refresh_from_db()
    assert under_way.status == OutageStatus.COMPLETED


def test_the_list_costs_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    for days in range(1, 8):
        make_outage(world.municipality, in_days=days * 3)
    http = _http(world.welfare_tech)
    http.get("/outages/")  # warm the session
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = http.get("/outages/")
    assert response.status_code == 200


def test_the_form_refuses_christmas_eve_and_says_why(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trygg.outages.models import MaintenanceWindow

    MaintenanceWindow.objects.create(
        municipality=world.municipality,
        system="trygg",
        weekdays="234",
        start_time=dt.time(8),
        end_time=dt.time(16),
    )
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: dt.datetime(2026, 12, 10, 7, tzinfo=dt.UTC)
    )
    http = _http(world.welfare_tech)
    refused = http.post(
        "/outages/new/",
        {**_form(dt.date(2026, 12, 24)), "system": "trygg"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert refused.status_code == 200
    assert "form-error" in refused.text
    assert "julafton" in refused.text
    assert "tis 29 dec 08:00" in refused.text
    assert not Outage.objects.exists()
