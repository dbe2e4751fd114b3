"""Recording and withdrawing consents to welfare technology."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role, Technology
from trygg.core.models import Consent

from .factories import (
    TEST_PASSWORD,
    ClientFactory,
    ConsentFactory,
    ProviderFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db


def login(user) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http


@pytest.fixture
def provider():
    return ProviderFactory()


@pytest.fixture
def client_record(provider):
    return ClientFactory(provider=provider)


def test_team_leader_records_a_cohabitants_consent(provider, client_record) -> None:
    leader = make_staff(Role.TEAM_LEADER, provider=provider)
    response = login(leader).post(
        f"/clients/{client_record.pk}/consents/new/",
        {
            "technology": Technology.CAMERA_SUPERVISION,
            "given_by": "Sambo Exempelsson",
            "relation": "cohabitant",
            "given_on": "2026-03-01",
            "review_on": "2027-03-01",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(client=client_record)
    assert consent.relation == "cohabitant"
    assert consent.review_on == dt.date(2027, 3, 1)


def test_it_rejects_a_review_date_before_the_consent(provider, client_record) -> None:
    leader = make_staff(Role.TEAM_LEADER, provider=provider)
    response = login(leader).post(
        f"/clients/{client_record.pk}/consents/new/",
        {
            "technology": Technology.SAFETY_ALARM,
            "given_by": "X",
            "relation": "client",
            "given_on": "2026-03-01",
            "review_on": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "review_on" in response.context["form"].errors
    assert not Consent.objects.exists()


def test_care_worker_may_not_record_consents(provider, client_record) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    http = login(worker)
    assert http.get(f"/clients/{client_record.pk}/consents/new/").status_code == 403
    page = http.get(f"/clients/{client_record.pk}/")
    assert "consents/new" not in page.text


def test_other_providers_manager_gets_404(provider, client_record) -> None:
    stranger = make_staff(
        Role.PROVIDER_MANAGER, provider=ProviderFactory(municipality=provider.municipality)
    )
    response = login(stranger).get(f"/clients/{client_record.pk}/consents/new/")
    assert response.status_code == 404


def test_withdrawing_records_the_date_once(provider, client_record) -> None:
    consent = ConsentFactory(client=client_record, given_on=dt.date(2025, 1, 1))
    leader = make_staff(Role.TEAM_LEADER, provider=provider)
    http = login(leader)
    url = f"/clients/{client_record.pk}/consents/{consent.pk}/withdraw/"
    assert http.post(url, {"withdrawn_on": "2026-02-01"}).status_code == 302
    assert http.post(url, {"withdrawn_on": "2026-05-01"}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date(2026, 2, 1)


def test_it_refuses_withdrawal_before_the_consent_was_given(provider, client_record) -> None:
    consent = ConsentFactory(client=client_record, given_on=dt.date(2025, 1, 1))
    leader = make_staff(Role.TEAM_LEADER, provider=provider)
    response = login(leader).post(
        f"/clients/{client_record.pk}/consents/{consent.pk}/withdraw/",
        {"withdrawn_on": "2024-12-31"},
    )
    assert response.status_code == 400
    assert "withdrawn_on" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
