"""Personas for the phone tests: two providers in one municipality, and another municipality;
for the alarm-unit tests, the shared `place` (places.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import Municipality, Provider, User
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    MunicipalityFactory,
    ProviderFactory,
    make_staff,
)
from trygg.devices import services
from trygg.devices.constants import PhoneStatus
from trygg.devices.identifiers import make_imei
from trygg.devices.models import Phone

from . import places

place = places.place  # the fixture, this package's own
_serial = iter(range(10**6))


def new_imei() -> str:
    return make_imei(f"35{next(_serial):012d}")


@dataclass
class World:
    municipality: Municipality
    provider: Provider
    other_provider: Provider
    care_worker: User
    colleague: User
    team_leader: User
    manager: User
    other_manager: User
    other_care_worker: User
    tech: User
    tech2: User
    admin: User
    alarm_operator: User
    auditor: User
    foreign_tech: User

    def phone(
        self,
        holder: User | None = None,
        status: str = PhoneStatus.IN_USE,
        provider: Provider | None = None,
        actor: User | None = None,
    ) -> Phone:
        """A registered phone; `holder` defaults to the care worker."""
        provider = provider or self.provider
        return services.register_phone(
            actor or self.tech,
            provider,
            imei=new_imei(),
            model_name="Samsung Galaxy XCover7",
            assigned_to=holder if holder is not None else self.care_worker,
            phone_number="070-174 06 10",
            status=status,
        )


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    # The tests read English sources; Swedish is the default and would hide them.
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return http


@pytest.fixture
def world(db: None) -> World:
    municipality = MunicipalityFactory()
    provider = ProviderFactory(municipality=municipality, name="Hemtjänsten Norr")
    other = ProviderFactory(municipality=municipality, name="Konkurrent Omsorg AB")
    elsewhere = MunicipalityFactory()
    return World(
        municipality=municipality,
        provider=provider,
        other_provider=other,
        care_worker=make_staff(Role.CARE_WORKER, provider=provider),
        colleague=make_staff(Role.CARE_WORKER, provider=provider),
        team_leader=make_staff(Role.TEAM_LEADER, provider=provider),
        manager=make_staff(Role.PROVIDER_MANAGER, provider=provider),
        other_manager=make_staff(Role.PROVIDER_MANAGER, provider=other),
        other_care_worker=make_staff(Role.CARE_WORKER, provider=other),
        tech=make_staff(Role.WELFARE_TECH, municipality=municipality),
        tech2=make_staff(Role.WELFARE_TECH, municipality=municipality),
        admin=make_staff(Role.MUNICIPAL_ADMIN, municipality=municipality),
        alarm_operator=make_staff(Role.ALARM_OPERATOR, municipality=municipality),
        auditor=make_staff(Role.AUDITOR, municipality=municipality),
        foreign_tech=make_staff(Role.WELFARE_TECH, municipality=elsewhere),
    )
