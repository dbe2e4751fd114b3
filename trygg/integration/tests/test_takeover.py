"""A provider's import cannot take over another provider's client (issue 12).

Case-system ids are sequential and easy to guess: a provider's manager or a token bound to
a provider naming another provider's client gets that row refused with a reason, nothing
of that client changes or is shown, and the rest of the file is imported. Only the
municipality's own import (an administrator, a token not bound to a provider, the command
line) moves a client between providers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils.html import escape

from trygg.core.constants import Role
from trygg.core.models import Client, User
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)
from trygg.core.tokens import create_token
from trygg.integration.constants import ImportSource
from trygg.integration.services import import_file

from .helpers import Setting, client_fields, make_setting, row, standard_rows, to_csv, to_json

pytestmark = pytest.mark.django_db

API = "/api/v1/integration/import"
PAGE = "/import/"
SECRET_NAME = "Hemlighetsdotter"
SECRET_ID = "191212121212"


@pytest.fixture
def setting() -> Setting:
    return make_setting()


@pytest.fixture
def foreign(setting: Setting) -> Client:
    """Another provider's client in the same municipality, with case-system id K0002: the
    id the standard file gives its second client."""
    other = ProviderFactory(municipality=setting.provider.municipality, name="Annan Omsorg AB")
    return ClientFactory(
        provider=other,
        team=TeamFactory(provider=other, code="ANNAN"),
        case_system_id="K0002",
        first_name="Hemligagnes",
        last_name=SECRET_NAME,
        national_id=SECRET_ID,
    )


def snapshot(client: Client) -> dict[str, Any]:
    client.refresh_from_db()
    return {f.attname: getattr(client, f.attname) for f in Client._meta.concrete_fields}


def assert_refused_and_rest_imported(
    setting: Setting, foreign: Client, before: dict[str, Any], shown: str
) -> None:
    assert snapshot(foreign) == before
    mine = set(
        Client.objects.filter(provider=setting.provider).values_list("case_system_id", flat=True)
    )
    assert mine == {"K0001", "K0003", "K0004"}
    for secret in (SECRET_NAME, SECRET_ID, "19121212-1212", "Annan Omsorg", "Hemligagnes"):
        assert secret not in shown


def post(document: Any, token: str) -> Any:
    return HttpClient().post(
        API,
        json.dumps(document),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_provider_token_cannot_take_over_another_providers_client(
    setting: Setting, foreign: Client
) -> None:
    before = snapshot(foreign)
    _token, plain = create_token(
        "case system", setting.provider.municipality, provider=setting.provider
    )
    response = post(to_json(standard_rows(3), setting.provider, end_missing=True), plain)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["clients"]["created"] == 3
    [refused] = body["errors"]
    assert refused["field"] == "client_id"
    assert "annan utförare" in refused["message"]  # the API speaks Swedish by default
    assert_refused_and_rest_imported(setting, foreign, before, response.content.decode())


def test_a_municipality_token_moves_the_client(setting: Setting, foreign: Client) -> None:
    _token, plain = create_token("case system", setting.provider.municipality)
    response = post(to_json(standard_rows(3), setting.provider), plain)
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == []
    foreign.refresh_from_db()
    assert (foreign.provider_id, foreign.last_name) == (setting.provider.pk, "Efternamn2")


def login(user: User, language: str = "en") -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    http.cookies["trygg_language"] = language
    return http


def upload(http: HttpClient, setting: Setting, data: bytes) -> Any:
    return http.post(
        PAGE,
        {
            "provider": setting.provider.pk,
            "file": SimpleUploadedFile("brukare.csv", data, content_type="text/csv"),
            "end_missing": "on",
        },
    )


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_provider_manager_cannot_take_over_another_providers_client(
    setting: Setting, foreign: Client, language: str
) -> None:
    before = snapshot(foreign)
    http = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider), language)
    response = upload(http, setting, to_csv(standard_rows(3)))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok
    assert result.clients.created == 3
    [refused] = result.errors
    assert (refused.row, refused.field) == (4, "client_id")
    page = response.content.decode()
    expected = "annan utförare" if language == "sv" else "another provider"
    assert expected in refused.message
    assert escape(refused.message) in page
    assert_refused_and_rest_imported(setting, foreign, before, page)


def test_a_municipal_administrator_moves_the_client(setting: Setting, foreign: Client) -> None:
    http = login(make_staff(Role.MUNICIPAL_ADMIN, municipality=setting.provider.municipality))
    response = upload(http, setting, to_csv(standard_rows(3)))
    assert response.context["result"].ok
    assert response.context["result"].errors == []
    foreign.refresh_from_db()
    assert foreign.provider_id == setting.provider.pk


def test_a_partly_bad_file_still_writes_nothing_and_reports_the_refusal_too(
    setting: Setting, foreign: Client
) -> None:
    """The batch contract holds: any error in the file and nothing is written."""
    before = snapshot(foreign)
    rows = [*standard_rows(3), row(client_fields(9, first_name=""))]
    http = login(make_staff(Role.PROVIDER_MANAGER, provider=setting.provider))
    result = upload(http, setting, to_csv(rows)).context["result"]
    assert not result.ok
    assert {(issue.field, issue.row) for issue in result.errors} == {
        ("client_id", 4),
        ("first_name", 9),
    }
    assert not Client.objects.filter(provider=setting.provider).exists()
    assert snapshot(foreign) == before


def test_the_command_line_is_the_municipalitys_own_import(
    setting: Setting, foreign: Client
) -> None:
    result = import_file(
        to_csv(standard_rows(3)),
        file_format="csv",
        provider=setting.provider,
        actor="command line (drift)",
        source=ImportSource.COMMAND,
    )
    assert result.ok
    assert result.errors == []
    foreign.refresh_from_db()
    assert foreign.provider_id == setting.provider.pk
