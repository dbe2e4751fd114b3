"""Clients, providers, teams and the access log over the JSON API, per role."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role

from .world import NO_ROLE, World

pytestmark = pytest.mark.django_db

PERSONAS = [*Role.values, NO_ROLE]


def api(world: World, persona: str) -> HttpClient:
    http = HttpClient()
    http.force_login(world.personas[persona])
    return http


def visible_clients(world: World, persona: str) -> set[int]:
    level = world.level(persona)
    if level == "provider":
        return {c.pk for c in world.own_clients}
    if level == "municipality":
        return {c.pk for c in world.own_clients} | {world.neighbour.client.pk}
    return set()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clients",
        "/api/v1/clients/1",
        "/api/v1/providers",
        "/api/v1/teams",
        "/api/v1/access-log",
    ],
)
def test_anonymous_gets_401(url: str) -> None:
    response = HttpClient().get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_client_list_holds_exactly_the_clients_one_may_see(world: World, persona: str) -> None:
    payload = api(world, persona).get("/api/v1/clients").json()
    assert {item["id"] for item in payload["items"]} == visible_clients(world, persona)
    assert payload["count"] == len(visible_clients(world, persona))
    for item in payload["items"]:
        assert "national_id" not in item
        assert item["masked_national_id"].endswith("-****")


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_record_answers_for_visible_clients_and_404_otherwise(world: World, persona: str) -> None:
    http = api(world, persona)
    for corner in (world.own, world.neighbour, world.remote):
        response = http.get(f"/api/v1/clients/{corner.client.pk}")
        if corner.client.pk in visible_clients(world, persona):
            assert response.status_code == 200
            record = response.json()
            assert record["national_id"] == corner.client.national_id
            assert [s["service_type"] for s in record["granted_services"]] == ["PERS"]
            assert [c["technology"] for c in record["consents"]] == ["camera_supervision"]
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_providers_and_teams_stay_inside_the_boundary(world: World, persona: str) -> None:
    http = api(world, persona)
    providers = {p["id"] for p in http.get("/api/v1/providers").json()}
    teams = {t["provider_id"] for t in http.get("/api/v1/teams").json()}
    level = world.level(persona)
    expected = {
        "provider": {world.own.provider.pk},
        "municipality": {world.own.provider.pk, world.neighbour.provider.pk},
        "none": set(),
    }[level]
    assert providers == expected
    assert teams == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_access_log_answers_auditors_and_managers_only(world: World, persona: str) -> None:
    response = api(world, persona).get("/api/v1/access-log")
    if persona in (Role.AUDITOR, Role.PROVIDER_MANAGER):
        assert response.status_code == 200
        clients = {item["client_id"] for item in response.json()["items"]}
        assert world.remote.client.pk not in clients
        if persona == Role.PROVIDER_MANAGER:
            assert world.neighbour.client.pk not in clients
        else:
            assert world.neighbour.client.pk in clients
    else:
        assert response.status_code == 403
        assert "auditors" in response.json()["detail"]


def test_the_client_list_filters_by_search_team_and_day(world: World) -> None:
    http = api(world, Role.PROVIDER_MANAGER)
    by_name = http.get("/api/v1/clients", {"q": world.own.client.last_name}).json()
    assert [i["id"] for i in by_name["items"]] == [world.own.client.pk]
    by_team = http.get("/api/v1/clients", {"team_id": world.own.team.pk}).json()
    assert [i["id"] for i in by_team["items"]] == [world.own.client.pk]
    before = http.get("/api/v1/clients", {"active_on": "2023-12-31"}).json()
    assert before["count"] == 0
    paged = http.get("/api/v1/clients", {"limit": 1, "offset": 1}).json()
    assert paged["count"] == 2
    assert len(paged["items"]) == 1


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/clients", {"limit": 0}, "limit"),
        ("/api/v1/clients", {"limit": 501}, "limit"),
        ("/api/v1/clients", {"offset": -1}, "offset"),
        ("/api/v1/clients", {"active_on": "31/12/2025"}, "active_on"),
        ("/api/v1/clients", {"team_id": "abc"}, "team_id"),
        ("/api/v1/clients", {"q": "x" * 101}, "q"),
        ("/api/v1/clients/abc", {}, "client_id"),
        ("/api/v1/access-log", {"date_from": "yesterday"}, "date_from"),
        ("/api/v1/access-log", {"action": "peek"}, "action"),
        ("/api/v1/access-log", {"flagged": "maybe"}, "flagged"),
    ],
)
def test_bad_query_parameters_are_refused_with_a_clear_message(
    world: World, url: str, query: dict, field: str
) -> None:
    response = api(world, Role.AUDITOR).get(url, query)
    assert response.status_code in (400, 422)
    errors = response.json()["detail"]
    assert any(field in error["loc"] for error in errors), errors
    assert all(error["msg"] for error in errors)


def test_a_backwards_period_on_the_api_is_refused(world: World) -> None:
    response = api(world, Role.AUDITOR).get(
        "/api/v1/access-log", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code in (400, 422)
    assert "before" in str(response.json()["detail"])
