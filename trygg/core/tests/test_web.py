"""The helpers every app's pages share: one view for the page and for its fragment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory

from trygg.core.constants import Role
from trygg.core.models import User
from trygg.core.web import request_user, wants_fragment

from .factories import ProviderFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def http() -> HttpClient:
    client = HttpClient()
    client.force_login(make_staff(Role.TEAM_LEADER, provider=ProviderFactory()))
    return client


def test_an_htmx_request_gets_the_fragment_and_the_browser_keeps_no_copy(
    http: HttpClient,
) -> None:
    response = http.get("/clients/", HTTP_HX_REQUEST="true")
    assert "<html" not in response.text
    assert response["Cache-Control"] == "no-store"


def test_a_boosted_link_and_a_plain_request_get_the_whole_page(http: HttpClient) -> None:
    for headers in ({"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}, {}):
        response = http.get("/clients/", **headers)
        assert "<html" in response.text
        assert "Cache-Control" not in response


def test_wants_fragment_without_the_htmx_middleware() -> None:
    assert not wants_fragment(RequestFactory().get("/"))


def test_request_user_is_the_signed_in_staff_member() -> None:
    request: Any = RequestFactory().get("/")
    request.user = User(username="alice")
    assert request_user(request) is request.user
