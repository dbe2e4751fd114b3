"""The start page's cards lead to the clients behind their numbers: "Clients starting within
14 days" (the auditor and every office role) and "Clients with a consent due for review" (the
welfare-technology team, leaders, managers, administrators)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.core import clock
from trygg.core.constants import ConsentRelation, Role, Technology
from trygg.core.models import Client, Consent, User

from .factories import ClientFactory, ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def login(user: User) -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    http.force_login(user)
    return http


def listed(html: str) -> list[int]:
    return [
        int(part.split('"')[0]) for part in html.split('<tr id="client-')[1:] if part[0].isdigit()
    ]


def test_the_auditors_starting_soon_card_links_to_the_clients_who_start() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    today = clock.today_for(auditor)
    later = ClientFactory(provider=provider, team=team, start_date=today + dt.timedelta(days=10))
    sooner = ClientFactory(provider=provider, team=team, start_date=today + dt.timedelta(days=2))
    on_the_edge = ClientFactory(
        provider=provider, team=team, start_date=today + dt.timedelta(days=14)
    )
    too_far = ClientFactory(provider=provider, team=team, start_date=today + dt.timedelta(days=15))
    already = ClientFactory(provider=provider, team=team, start_date=today)
    http = login(auditor)

    home = http.get("/").content.decode()
    main = home.split("<main", 1)[1]
    assert 'href="/clients/?status=starting"' in main
    card = main.split('href="/clients/?status=starting"', 1)[1].split("</a>", 1)[0]
    assert "Brukare som börjar inom 14 dagar" in card
    assert '<div class="stat">3</div>' in card

    response = http.get("/clients/?status=starting")
    assert response.status_code == 200
    html = response.content.decode()
    # Soonest first: the one starting first is planned first.
    assert listed(html) == [sooner.pk, later.pk, on_the_edge.pk]
    assert too_far.pk not in listed(html)
    assert already.pk not in listed(html)
    assert f"Börjar {sooner.start_date:%Y-%m-%d}" in html
    # The filter shows which view this is.
    assert '<option value="starting" selected>Börjar inom 14 dagar</option>' in html


def test_the_consents_due_card_links_to_the_clients_whose_consent_is_due() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    tech = make_staff(Role.WELFARE_TECH, municipality=provider.municipality)
    today = clock.today_for(tech)
    due, also_due, not_yet, withdrawn = (
        ClientFactory(provider=provider, team=team) for _ in range(4)
    )

    def consent(client: Client, review_on: dt.date, **extra: object) -> None:
        Consent.objects.create(
            client=client,
            technology=Technology.SENSOR_SUPERVISION,
            given_by=client.full_name,
            relation=ConsentRelation.CLIENT,
            given_on=today - dt.timedelta(days=400),
            review_on=review_on,
            **extra,
        )

    consent(due, today - dt.timedelta(days=3))
    consent(due, today)  # two consents due: still one client to see
    consent(also_due, today)
    consent(not_yet, today + dt.timedelta(days=1))
    consent(withdrawn, today - dt.timedelta(days=3), withdrawn_on=today - dt.timedelta(days=1))
    http = login(tech)

    main = http.get("/").content.decode().split("<main", 1)[1]
    card = main.split('href="/clients/?status=consent_review"', 1)[1].split("</a>", 1)[0]
    assert "Brukare med samtycke att ompröva" in card
    assert '<div class="stat">2</div>' in card

    html = http.get("/clients/?status=consent_review").content.decode()
    assert sorted(listed(html)) == sorted([due.pk, also_due.pk])
    assert '<option value="consent_review" selected>Samtycke att ompröva</option>' in html


def test_a_status_the_list_does_not_know_is_refused_with_the_form_error() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    client = ClientFactory(provider=provider, team=team)

    response = login(auditor).get("/clients/?status=starting_later")

    assert response.status_code == 400
    html = response.content.decode()
    main = html.split("<main", 1)[1]
    assert "Välj ett giltigt alternativ" in main
    assert "starting_later" in main  # the error names what was sent
    assert client.pk not in listed(html)
