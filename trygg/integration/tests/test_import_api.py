"""POST /api/v1/integration/import with a bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from trygg.core.models import Client
from trygg.core.tests.factories import MunicipalityFactory, ProviderFactory
from trygg.core.tokens import create_token
from trygg.integration.constants import ImportSource
from trygg.integration.models import ImportRun

from .helpers import SECRET_DOOR_CODE, Setting, make_setting, standard_rows, to_json

pytestmark = pytest.mark.django_db

URL = "/api/v1/integration/import"


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def post(document: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = document if isinstance(document, bytes) else json.dumps(document)
    return HttpClient().post(URL, body, content_type="application/json", headers=headers)


def test_it_imports_with_a_provider_token(setting: Setting) -> None:
    _token, plain = create_token(
        "case system", setting.provider.municipality, provider=setting.provider
    )
    response = post(to_json(standard_rows(3), setting.provider), plain)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["clients"] == {"created": 4, "updated": 0, "unchanged": 0, "ended": 0}
    assert body["services"]["created"] == 6
    assert Client.objects.filter(provider=setting.provider).count() == 4
    run = ImportRun.objects.get()
    assert (run.source, run.token_id, run.provider) == (
        ImportSource.API,
        _token.pk,
        setting.provider,
    )


def test_a_municipality_token_imports_for_any_of_its_providers(setting: Setting) -> None:
    _token, plain = create_token("case system", setting.provider.municipality)
    document = to_json(standard_rows(1), setting.provider, end_missing=True)
    document["provider"] = setting.provider.org_number.replace("-", "")
    assert post(document, plain).status_code == 200
    second = post(document, plain).json()
    assert second["clients"]["unchanged"] == 2


def test_it_refuses_without_a_token_or_with_a_bad_one(setting: Setting) -> None:
    document = to_json(standard_rows(1), setting.provider)
    assert post(document, None).status_code == 401
    assert post(document, "trg_not-a-real-token").status_code == 401
    token, plain = create_token("revoked", setting.provider.municipality)
    token.revoked_at = token.created_at
    token.save(update_fields=["revoked_at"])
    assert post(document, plain).status_code == 401
    assert Client.objects.count() == 0


def test_it_forbids_another_providers_import(setting: Setting) -> None:
    other = ProviderFactory(municipality=setting.provider.municipality)
    _token, plain = create_token("other's system", other.municipality, provider=other)
    response = post(to_json(standard_rows(1), setting.provider), plain)
    assert response.status_code == 403
    assert Client.objects.count() == 0


def test_it_forbids_a_provider_in_another_municipality(setting: Setting) -> None:
    _token, plain = create_token("elsewhere", MunicipalityFactory())
    response = post(to_json(standard_rows(1), setting.provider), plain)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "provider"


def test_it_forbids_a_token_without_the_import_scope(setting: Setting) -> None:
    _token, plain = create_token("device", setting.provider.municipality, scopes="devices")
    assert post(to_json(standard_rows(1), setting.provider), plain).status_code == 403


def test_it_rejects_invalid_input_with_errors_per_path_and_field(setting: Setting) -> None:
    _token, plain = create_token("case system", setting.provider.municipality)
    document = to_json(standard_rows(2), setting.provider)
    document["clients"][1]["team"] = "NOPE"
    document["clients"][1]["door_code"] = SECRET_DOOR_CODE * 10
    document["clients"][0]["services"][1]["granted_minutes"] = -5

    response = post(document, plain)

    assert response.status_code == 400
    body = response.json()
    # In Swedish, like the messages: the language of the municipality's staff.
    assert body["detail"] == "Dokumentet avvisades: ingenting importerades."
    assert body["errors"][0]["message"] == "Måste vara ett heltal större än noll."
    assert [(e["path"], e["field"]) for e in body["errors"]] == [
        ("clients[0].services[1]", "granted_minutes"),
        ("clients[1]", "door_code"),
        ("clients[1]", "team"),
    ]
    assert all("row" not in e for e in body["errors"])
    assert SECRET_DOOR_CODE not in response.content.decode()
    assert Client.objects.count() == 0


def test_it_rejects_a_body_that_is_not_json(setting: Setting) -> None:
    _token, plain = create_token("case system", setting.provider.municipality)
    response = post(b"client_id;national_id", plain)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_the_operation_is_in_the_openapi_document() -> None:
    schema = HttpClient().get("/api/v1/openapi.json").json()
    assert "/api/v1/integration/import" in schema["paths"]
