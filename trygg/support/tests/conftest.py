"""A Swedish municipality with two districts, staff in each role and the demo support data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import Municipality, Provider, Team, User
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    MunicipalityFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)
from trygg.support import demo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Tuesday evening: support is closed, the district lines answer.
TUESDAY_EVENING = dt.datetime(2025, 3, 11, 18, 0, tzinfo=STOCKHOLM)


@dataclass
class Place:
    municipality: Municipality
    provider: Provider
    norr: Team
    soder: Team
    people: dict[str, User]


@pytest.fixture
def place(db: None) -> Place:
    municipality = MunicipalityFactory(name="Trygghetsbo", country="SE")
    provider = ProviderFactory(municipality=municipality)
    norr = TeamFactory(provider=provider, name="Norr", code="NORR")
    soder = TeamFactory(provider=provider, name="Söder", code="SODER")
    people = {
        "care_worker": make_staff(Role.CARE_WORKER, provider=provider, teams=[norr]),
        "team_leader": make_staff(Role.TEAM_LEADER, provider=provider, teams=[soder]),
        "provider_manager": make_staff(Role.PROVIDER_MANAGER, provider=provider),
        "night_supervisor": make_staff(Role.NIGHT_SUPERVISOR, provider=provider),
    }
    for role in (Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN, Role.AUDITOR):
        people[str(role)] = make_staff(role, municipality=municipality)
    demo.seed_demo(municipality, today=dt.date(2025, 3, 11))
    return Place(municipality, provider, norr, soder, people)


@pytest.fixture
def login() -> Callable[[User], HttpClient]:
    def _login(user: User) -> HttpClient:
        http = HttpClient()
        assert http.login(username=user.username, password=TEST_PASSWORD)
        return http

    return _login


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Fix "now" for the pages and the API."""

    def _freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return _freeze
