"""The API's one bearer-token check: what it admits, what it refuses, what it never logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from ninja.errors import HttpError

from trygg.core import tokens
from trygg.core.apiauth import BearerToken
from trygg.core.models import ApiToken
from trygg.core.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


def _request(header: str | None) -> Any:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    return RequestFactory().post("/api/v1/anything", **extra)


def test_it_admits_a_live_token_as_itself() -> None:
    token, plain = tokens.create_token("case system", MunicipalityFactory())
    assert BearerToken()(_request(f"Bearer {plain}")) == token


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic abc", "trg_x"])
def test_it_refuses_a_missing_or_malformed_header_without_logging_it(
    header: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert BearerToken()(_request(header)) is None
    assert "trg_x" not in caplog.text


def test_it_refuses_an_unknown_or_revoked_token() -> None:
    token, plain = tokens.create_token("case system", MunicipalityFactory())
    assert BearerToken()(_request("Bearer trg_unknown")) is None
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert BearerToken()(_request(f"Bearer {plain}")) is None


def test_admit_decides_what_the_request_is_authenticated_as() -> None:
    token, plain = tokens.create_token("unit", MunicipalityFactory(), scopes="device")

    def admit(request: Any, api_token: ApiToken) -> str:
        if not api_token.has_scope("device"):
            raise HttpError(403, "Not a device's token.")
        return f"unit of {api_token.name}"

    assert BearerToken(admit)(_request(f"Bearer {plain}")) == "unit of unit"
    _other, other_plain = tokens.create_token("case system", token.municipality)
    with pytest.raises(HttpError) as refused:
        BearerToken(admit)(_request(f"Bearer {other_plain}"))
    assert refused.value.status_code == 403


def test_a_database_outage_answers_503_not_500(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(plain: str) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(tokens, "authenticate", down)
    with pytest.raises(HttpError) as unavailable:
        BearerToken()(_request("Bearer trg_whatever"))
    assert unavailable.value.status_code == 503
