"""The visit API as a phone and an integration use it: the day's clients to keep offline,
and the sync, answered per item."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.models import AccessLogEntry
from trygg.core.tokens import create_token
from trygg.visits.models import Visit

from .conftest import Place

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/sync"


def phone(place: Place) -> HttpClient:
    http = HttpClient(enforce_csrf_checks=False)
    http.force_login(place.worker)
    return http


def now_item(place: Place, **fields: Any) -> dict[str, Any]:
    return place.item(start=timezone.now() - dt.timedelta(hours=1), **fields)


def post(http: HttpClient, body: Any, **headers: Any) -> Any:
    return http.post(URL, json.dumps(body), content_type="application/json", **headers)


def test_a_phone_syncs_a_batch_and_sending_it_again_stores_nothing_new(place: Place) -> None:
    http = phone(place)
    batch = {
        "sent_at": timezone.now().isoformat(),
        "items": [now_item(place), now_item(place, client_id=place.other_client.pk)],
    }
    first = post(http, batch)
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["accepted"], body["duplicates"], body["refused"]) == (1, 0, 1)
    assert body["items"][1]["code"] == "not_your_client"
    again = post(http, batch).json()
    assert (again["accepted"], again["duplicates"], again["refused"]) == (0, 1, 1)
    assert Visit.objects.count() == 1


def test_the_answer_holds_every_field_the_schema_names(place: Place) -> None:
    http = phone(place)
    item = now_item(place, no_tag_reason="tag_missing")
    item["arrival"] = {"at": item["arrival"]["at"], "by": "none"}
    body = post(http, {"sent_at": timezone.now().isoformat(), "items": [item, 7]}).json()
    assert set(body) == {
        "received_at",
        "clock_offset_seconds",
        "clock_flagged",
        "accepted",
        "duplicates",
        "refused",
        "items",
    }
    assert dt.datetime.fromisoformat(body["received_at"]).tzinfo is not None
    assert (body["clock_flagged"], body["accepted"], body["refused"]) == (False, 1, 1)
    visit = Visit.objects.get()
    assert body["items"] == [
        {
            "index": 0,
            "id": item["id"],
            "status": "accepted",
            "visit_id": visit.pk,
            "code": "",
            "reason": "",
            "flags": ["no_tag"],
        },
        {
            "index": 1,
            "id": None,
            "status": "refused",
            "visit_id": None,
            "code": "invalid",
            "reason": "Varje registrering är ett objekt.",
            "flags": [],
        },
    ]


def test_text_with_nul_in_an_item_is_refused_before_anything_is_stored(place: Place) -> None:
    http = phone(place)
    answer = post(
        http, {"sent_at": timezone.now().isoformat(), "items": [now_item(place, note="a\x00b")]}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "items", 0, "note"]
    assert not Visit.objects.exists()


def test_refusals_speak_the_phones_language(place: Place) -> None:
    http = phone(place)
    item = now_item(place, tasks=[])
    body = post(
        http, {"sent_at": timezone.now().isoformat(), "items": [item]}, HTTP_ACCEPT_LANGUAGE="sv"
    ).json()
    assert body["items"][0]["reason"] == "Bocka för minst en uppgift som du utförde."


def test_a_batch_that_cannot_be_read_is_a_4xx_with_a_message(place: Place) -> None:
    http = phone(place)
    for body in ({"items": []}, {"sent_at": "yesterday", "items": []}, {"sent_at": "x"}, []):
        answer = post(http, body)
        # A JSON array is not an object at all (400); the rest miss what the schema needs.
        assert answer.status_code in (400, 422), body
        assert answer.json()["detail"]
    assert http.post(URL, "{not json", content_type="application/json").status_code in (400, 422)
    assert not Visit.objects.exists()


def test_a_municipal_role_without_a_provider_cannot_register(place: Place) -> None:
    http = HttpClient()
    http.force_login(place.welfare_tech)
    answer = post(http, {"sent_at": timezone.now().isoformat(), "items": []})
    assert answer.status_code == 403
    assert "provider" in answer.json()["detail"]


def test_nobody_registers_without_logging_in(place: Place) -> None:
    answer = post(HttpClient(), {"sent_at": timezone.now().isoformat(), "items": []})
    assert answer.status_code == 401


def test_an_integration_registers_with_a_providers_token(place: Place) -> None:
    _token, secret = create_token(
        "Planering", place.municipality, provider=place.provider, scopes="visits"
    )
    item = now_item(place, staff_id=place.colleague.pk)
    answer = post(
        HttpClient(),
        {"sent_at": timezone.now().isoformat(), "items": [item]},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["accepted"] == 1
    _import, import_secret = create_token("Import", place.municipality, provider=place.provider)
    refused = post(
        HttpClient(),
        {"sent_at": timezone.now().isoformat(), "items": [item]},
        HTTP_AUTHORIZATION=f"Bearer {import_secret}",
    )
    assert refused.status_code == 403


def test_the_day_holds_the_teams_clients_services_and_tags_and_is_logged(place: Place) -> None:
    answer = phone(place).get("/api/v1/visits/day")
    assert answer.status_code == 200
    body = answer.json()
    listed = {client["id"]: client for client in body["clients"]}
    assert set(listed) == {place.client.pk, place.second_client.pk}  # team Norr only
    mine = listed[place.client.pk]
    assert mine["tags"] == [place.tag.code]
    assert sorted(s["code"] for s in mine["services"]) == ["PERS", "STAD"]
    assert {t["value"] for t in body["tasks"]} == {"PERS", "STAD", "MAT"}
    logged = set(
        AccessLogEntry.objects.filter(user=place.worker).values_list("client_id", flat=True)
    )
    assert logged == set(listed)


def test_the_sync_is_documented_in_openapi(place: Place) -> None:
    document = HttpClient().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/visits/sync"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    item = schema["properties"]["items"]["items"]
    assert {"id", "client_id", "arrival"} <= set(item["required"])
    assert "$ref" not in json.dumps(item)
    assert set(operation["responses"]) >= {"200", "400", "403"}
