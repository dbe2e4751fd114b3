"""The JSON API: the status for anyone, planning for the welfare-technology team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.models import User
from trygg.outages.constants import OutageStatus, System
from trygg.outages.models import Outage, OutageNotice

from .conftest import STOCKHOLM, World
from .helpers import make_outage

URL = "/api/v1/outages/"


def _http(user: User | None = None) -> HttpClient:
    http = HttpClient()
    if user is not None:
        http.force_login(user)
    return http


def _next_tuesday(at_least_days: int) -> dt.date:
    day = timezone.now().astimezone(STOCKHOLM).date() + dt.timedelta(days=at_least_days)
    return day + dt.timedelta(days=(2 - day.isoweekday()) % 7)


def _payload(day: dt.date, **extra: object) -> dict[str, object]:
    return {
        "system": System.VISIT_APP,
        "title": "Uppgradering",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T12:00",
        **extra,
    }


def test_the_status_is_public(world: World) -> None:
    make_outage(world.municipality, in_days=3, title="Besöksappen uppgraderas")
    make_outage(world.municipality, in_days=2, status=OutageStatus.DRAFT, title="Utkast")
    response = _http().get(URL, {"municipality": "9100"})
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["municipality"] == "9100"
    assert [o["title"] for o in entry["upcoming"]] == ["Besöksappen uppgraderas"]
    assert entry["current"] == []
    states = {s["system"]: s["state"] for s in entry["systems"]}
    assert states["visit_app"] == "planned"
    assert states["locks"] == "ok"
    assert "created_by" not in response.text
    assert "override_reason" not in response.text


def test_planning_in_good_time_is_created(world: World) -> None:
    day = _next_tuesday(16)
    response = _http(world.welfare_tech).post(URL, _payload(day), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    outage = Outage.objects.get(pk=body["id"])
    # A time without an offset is the municipality's local time.
    assert outage.starts_at == dt.datetime.combine(day, dt.time(9), tzinfo=STOCKHOLM)


def test_short_notice_is_refused_with_every_broken_rule(world: World) -> None:
    day = _next_tuesday(1)
    response = _http(world.welfare_tech).post(URL, _payload(day), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    rules = [v["rule"] for v in body["violations"]]
    assert "notice_managers" in rules
    assert all(v["message"] for v in body["violations"])
    assert body["violations"][0]["earliest"]
    assert not Outage.objects.exists()


def test_an_override_reason_plans_and_can_announce_at_once(world: World) -> None:
    day = _next_tuesday(1)
    response = _http(world.admin).post(
        URL,
        _payload(day, override_reason="Akut säkerhetsrättelse", announce=True),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "announced"
    assert body["override_reason"] == "Akut säkerhetsrättelse"
    assert "notice_managers" in body["overridden_rules"]
    assert len(body["notices"]) == OutageNotice.objects.count() == 8


def test_only_planners_may_plan(world: World) -> None:
    day = _next_tuesday(16)
    for user in (world.manager, world.care_worker, world.operator):
        response = _http(user).post(URL, _payload(day), content_type="application/json")
        assert response.status_code == 403
    assert _http().post(URL, _payload(day), content_type="application/json").status_code == 401


def test_one_cannot_plan_for_another_municipality(world: World) -> None:
    day = _next_tuesday(16)
    response = _http(world.outsider).post(
        URL, _payload(day, municipality_id=world.municipality.pk), content_type="application/json"
    )
    assert response.status_code == 403


def test_announcing_through_the_api_is_idempotent(world: World) -> None:
    day = _next_tuesday(16)
    http = _http(world.welfare_tech)
    outage_id = http.post(URL, _payload(day), content_type="application/json").json()["id"]
    first = http.post(f"{URL}{outage_id}/announce", {}, content_type="application/json")
    second = http.post(f"{URL}{outage_id}/announce", {}, content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert len(second.json()["notices"]) == 8
    other = _http(world.outsider).post(
        f"{URL}{outage_id}/announce", {}, content_type="application/json"
    )
    assert other.status_code == 404


@pytest.mark.parametrize("body", ["[]", '[{"override_reason": "x"}]', '"announce"', "null"])
def test_announcing_with_a_body_that_is_not_an_object_is_refused(world: World, body: str) -> None:
    """Ninja read any JSON as an empty object for an operation whose fields all have
    defaults, so an array announced the outage."""
    day = _next_tuesday(16)
    http = _http(world.welfare_tech)
    outage_id = http.post(URL, _payload(day), content_type="application/json").json()["id"]
    response = http.post(f"{URL}{outage_id}/announce", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The body must be a JSON object."}
    assert Outage.objects.get(pk=outage_id).announced_at is None
    assert not OutageNotice.objects.filter(outage_id=outage_id).exists()


def test_a_holiday_in_the_window_days_is_refused_with_why(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trygg.outages.models import MaintenanceWindow

    MaintenanceWindow.objects.create(
        municipality=world.municipality,
        system=System.TRYGG,
        weekdays="234",
        start_time=dt.time(8),
        end_time=dt.time(16),
    )
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: dt.datetime(2026, 12, 10, 7, tzinfo=dt.UTC)
    )
    response = _http(world.welfare_tech).post(
        URL,
        _payload(dt.date(2026, 12, 24), system=System.TRYGG),
        content_type="application/json",
        headers={"accept-language": "sv"},
    )
    assert response.status_code == 400, response.content
    [violation] = response.json()["violations"]
    assert violation["rule"] == "window"
    assert "julafton" in violation["message"]
    assert violation["earliest"].startswith("2026-12-29T07:00")
    assert not Outage.objects.exists()
