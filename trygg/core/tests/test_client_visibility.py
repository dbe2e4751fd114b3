"""Providers are secrecy boundaries: a provider's staff never see another's clients."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry

from .factories import TEST_PASSWORD, ClientFactory, ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def login(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http


def test_care_worker_sees_own_providers_clients_only() -> None:
    own = ProviderFactory()
    other = ProviderFactory(municipality=own.municipality)
    team = TeamFactory(provider=own)
    mine = ClientFactory(provider=own, team=team, last_name="Egenklient")
    theirs = ClientFactory(provider=other, last_name="Annanklient")
    worker = make_staff(Role.CARE_WORKER, provider=own, teams=[team])

    http = login(worker)
    page = http.get("/clients/")
    assert page.status_code == 200
    assert "Egenklient" in page.text
    assert "Annanklient" not in page.text
    assert http.get(f"/clients/{theirs.pk}/").status_code == 404
    assert http.get(f"/clients/{mine.pk}/").status_code == 200


def test_opening_a_record_writes_one_access_log_row() -> None:
    provider = ProviderFactory()
    client = ClientFactory(provider=provider)
    worker = make_staff(Role.CARE_WORKER, provider=provider)

    login(worker).get(f"/clients/{client.pk}/", REMOTE_ADDR="10.1.2.3")

    row = AccessLogEntry.objects.get(action=AccessAction.DETAIL)
    assert (row.user, row.client, row.remote_addr) == (worker, client, "10.1.2.3")
    assert row.outside_teams is False
