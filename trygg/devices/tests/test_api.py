"""/api/v1/devices/phones: list, one, register, transitions."""

from __future__ import annotations

from typing import Any

import pytest

from trygg.devices.constants import PhoneStatus
from trygg.devices.models import Phone

from .conftest import World, login, new_imei

pytestmark = pytest.mark.django_db
API = "/api/v1/devices/phones"


def post(http: Any, url: str, body: dict[str, Any]) -> Any:
    return http.post(url, body, content_type="application/json")


def test_list_and_get_within_the_users_scope(
    world: World, django_assert_max_num_queries: Any
) -> None:
    mine = [world.phone(world.colleague) for _ in range(5)]
    world.phone(world.other_care_worker, provider=world.other_provider)
    http = login(world.manager)
    http.get(API)
    with django_assert_max_num_queries(8):
        body = http.get(API).json()
    assert body["count"] == 5
    assert {p["id"] for p in body["items"]} == {p.pk for p in mine}
    assert body["items"][0]["actions"] == ["hand_in", "report_lost"]
    one = http.get(f"{API}/{mine[0].pk}").json()
    assert one["events"][0]["action"] == "register"


def test_another_providers_phone_answers_404(world: World) -> None:
    theirs = world.phone(world.other_care_worker, provider=world.other_provider)
    http = login(world.manager)
    assert http.get(f"{API}/{theirs.pk}").status_code == 404
    response = post(http, f"{API}/{theirs.pk}/transitions", {"action": "report_lost"})
    assert response.status_code == 404


def test_transitions_answer_with_clear_status_codes(world: World) -> None:
    phone = world.phone()
    url = f"{API}/{phone.pk}/transitions"
    worker = login(world.care_worker)
    response = post(worker, url, {"action": "report_lost", "note": "lost at 03:00"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PhoneStatus.LOST
    again = post(worker, url, {"action": "report_lost"})
    assert again.status_code == 409  # already lost
    manager = login(world.manager)
    conflict = post(manager, url, {"action": "pick_up"})
    assert conflict.status_code == 409
    assert "cannot be changed like that" in conflict.json()["detail"]
    bad = post(manager, url, {"action": "fly_away"})
    assert bad.status_code == 422
    done = post(manager, url, {"action": "request_wipe"})
    assert done.json()["status"] == PhoneStatus.WIPE_REQUESTED


def test_hand_in_to_someone_of_another_provider_is_400(world: World) -> None:
    phone = world.phone(status=PhoneStatus.IN_STOCK)
    response = post(
        login(world.manager),
        f"{API}/{phone.pk}/transitions",
        {"action": "hand_in", "assigned_to_id": world.other_care_worker.pk},
    )
    assert response.status_code == 400
    assert "does not work for" in response.json()["detail"]


def test_register_through_the_api(world: World) -> None:
    http = login(world.tech)
    imei = new_imei()
    body = {"provider_id": world.provider.pk, "imei": imei, "model_name": "Nokia XR21"}
    response = post(http, API, body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == PhoneStatus.IN_STOCK
    duplicate = post(http, API, body)
    assert duplicate.status_code == 400
    assert "already registered" in duplicate.json()["detail"]
    wrong = post(http, API, {**body, "imei": "490154203237517"})
    assert wrong.status_code == 400
    assert "last digit" in wrong.json()["detail"]
    assert Phone.objects.count() == 1


def test_register_for_another_provider_is_403(world: World) -> None:
    body = {"provider_id": world.other_provider.pk, "imei": new_imei(), "model_name": "X"}
    assert post(login(world.manager), API, body).status_code == 403


def test_anonymous_gets_401(world: World) -> None:
    from django.test import Client

    assert Client().get(API).status_code == 401
