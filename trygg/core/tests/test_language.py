"""Swedish unless the person chooses otherwise; Norwegian municipalities get bokmål."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role

from .factories import TEST_PASSWORD, MunicipalityFactory, ProviderFactory, make_staff

pytestmark = pytest.mark.django_db


def test_login_page_is_swedish_whatever_the_browser_asks_for() -> None:
    response = HttpClient().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in response.text


def test_choosing_english_sticks_to_the_person() -> None:
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory())
    http = HttpClient()
    http.login(username=worker.username, password=TEST_PASSWORD)

    response = http.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.preferred_language == "en"

    fresh = HttpClient()  # another device: no cookie, the profile decides
    fresh.login(username=worker.username, password=TEST_PASSWORD)
    assert fresh.get("/")["Content-Language"] == "en"


def test_staff_of_a_norwegian_municipality_get_norwegian() -> None:
    oslo_like = MunicipalityFactory(country="NO", time_zone="Europe/Oslo")
    operator = make_staff(Role.ALARM_OPERATOR, municipality=oslo_like)
    http = HttpClient()
    http.login(username=operator.username, password=TEST_PASSWORD)
    assert http.get("/")["Content-Language"] == "nb"


def test_an_unknown_language_is_ignored() -> None:
    http = HttpClient()
    http.cookies["trygg_language"] = "xx"
    assert http.get("/login/")["Content-Language"] == "sv"
