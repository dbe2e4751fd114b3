"""The staff app shell: manifest, service worker and offline page, public and without data,
at the site root and at the alarm phone's old addresses."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from trygg.core.constants import Role
from trygg.core.tests.factories import ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db

MANIFESTS = ["front:manifest", "front:alarm_phone_manifest"]
WORKERS = ["front:service_worker", "front:alarm_phone_service_worker"]


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_manifest_opens_the_alarm_phone_as_an_app(name: str) -> None:
    response = HttpClient().get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == reverse("alarms:phone")
    assert manifest["id"] == reverse("alarms:phone")  # what phones installed it as
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    # One app for the alarm phone and the visit app, each page a shortcut; Swedish unless
    # the person chose otherwise.
    assert (manifest["name"], manifest["short_name"]) == ("Trygg", "Trygg")
    assert manifest["description"] == "Larm och besöksregistrering för personalen i hemtjänsten."
    assert [(s["name"], s["url"]) for s in manifest["shortcuts"]] == [
        ("Larm", reverse("alarms:phone")),
        ("Registrera besök", reverse("visits:phone")),
    ]
    assert manifest["lang"] == "sv"
    assert manifest["icons"][0]["src"].endswith("/static/trygg/icon.svg")


@pytest.mark.parametrize(
    ("language", "description", "shortcuts"),
    [
        (
            "nb",
            "Alarmer og besøksregistrering for de ansatte i hjemmetjenesten.",
            ["Alarmer", "Registrer besøk"],
        ),
        ("en", "Alarms and visit registration for home-care staff.", ["Alarms", "Register visits"]),
    ],
)
def test_the_manifest_speaks_the_person_s_language(
    language: str, description: str, shortcuts: list[str]
) -> None:
    http = HttpClient()
    http.cookies["trygg_language"] = language
    manifest = json.loads(http.get(reverse("front:manifest")).content)
    assert manifest["name"] == "Trygg"
    assert manifest["description"] == description
    assert [shortcut["name"] for shortcut in manifest["shortcuts"]] == shortcuts
    assert manifest["lang"] == language


@pytest.mark.parametrize("name", WORKERS)
def test_one_worker_for_the_whole_site(name: str) -> None:
    response = HttpClient().get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert f'OFFLINE_URL = "{reverse("front:offline")}"' in script
    assert f'START_URL = "{reverse("alarms:phone")}"' in script
    assert "notificationclick" in script


def test_the_old_addresses_are_where_phones_registered_them() -> None:
    assert reverse("front:alarm_phone_manifest") == "/alarms/phone/manifest.webmanifest"
    assert reverse("front:alarm_phone_service_worker") == "/alarms/phone/sw.js"
    assert reverse("front:service_worker") == "/sw.js"


@pytest.mark.parametrize(
    ("language", "heading"),
    [("sv", "Ingen anslutning"), ("nb", "Ingen forbindelse"), ("en", "No connection")],
)
def test_the_offline_page_needs_no_login_and_holds_no_data(language: str, heading: str) -> None:
    http = HttpClient()
    http.cookies["trygg_language"] = language
    response = http.get(reverse("front:offline"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert "<script" not in page


def test_a_phone_page_is_part_of_the_app() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    http = HttpClient()
    http.force_login(worker)
    page = http.get(reverse("alarms:phone")).content.decode()
    assert f'<link rel="manifest" href="{reverse("front:manifest")}"' in page
    assert f'data-worker="{reverse("front:service_worker")}" data-scope="/"' in page
    assert "trygg/app.js" in page


def test_every_page_has_an_icon_and_favicon_ico_finds_it() -> None:
    http = HttpClient()
    response = http.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/trygg/icon.svg")
    login = http.get(reverse("login")).content.decode()
    assert 'rel="icon"' in login
    assert "trygg/icon.svg" in login
