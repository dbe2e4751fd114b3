"""A small world for visit registration: two providers in one municipality, a care worker
and a team leader at the first, a care worker at the second, clients with granted services
and tags at their doors."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, Provider, ServiceType, Team, User
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    MunicipalityFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.models import NfcTag
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes

# A Wednesday in December, inside Swedish office hours.
NOON = dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)


@dataclass
class Place:
    municipality: Municipality
    provider: Provider
    other_provider: Provider
    north: Team
    south: Team
    worker: User
    colleague: User
    leader: User
    manager: User
    stranger: User
    welfare_tech: User
    client: Client
    second_client: Client
    south_client: Client
    other_client: Client
    personal_care: ServiceType
    cleaning: ServiceType
    meals: ServiceType
    tag: NfcTag
    second_tag: NfcTag

    def item(self, **fields: Any) -> dict[str, Any]:
        """A well-formed registration of a half-hour visit to `client` at noon."""
        start = fields.pop("start", NOON)
        minutes = fields.pop("minutes", 30)
        base: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "client_id": self.client.pk,
            "arrival": {"at": start.isoformat(), "by": "tag", "tag": self.tag.code},
            "departure": {
                "at": (start + dt.timedelta(minutes=minutes)).isoformat(),
                "by": "tag",
                "tag": self.tag.code,
            },
            "tasks": ["PERS"],
        }
        base.update(fields)
        return base


@pytest.fixture
def place(db: None) -> Place:
    municipality = MunicipalityFactory()
    provider = ProviderFactory(municipality=municipality, name="Hemtjänst Norr")
    other = ProviderFactory(municipality=municipality, name="Annan Omsorg AB")
    north = TeamFactory(provider=provider, name="Norr", code="NORR")
    south = TeamFactory(provider=provider, name="Söder", code="SODER")
    personal_care = ServiceTypeFactory(municipality=municipality, code="PERS")
    cleaning = ServiceTypeFactory(
        municipality=municipality, code="STAD", name="Städning", category="service"
    )
    meals = ServiceTypeFactory(
        municipality=municipality, code="MAT", name="Matdistribution", category="meal_delivery"
    )
    client = ClientFactory(provider=provider, team=north, last_name="Andersson")
    second = ClientFactory(provider=provider, team=north, last_name="Berg")
    south_client = ClientFactory(provider=provider, team=south, last_name="Sundin")
    other_client = ClientFactory(provider=other, last_name="Främling")
    for who in (client, second, south_client):
        GrantedServiceFactory(client=who, service_type=personal_care, provider=provider)
    GrantedServiceFactory(client=client, service_type=cleaning, provider=provider)
    GrantedServiceFactory(client=other_client, service_type=personal_care, provider=other)
    welfare_tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    day = dt.date(2026, 11, 1)
    tag = place_tag(welfare_tech, client, code=tagcodes.generate(), placed_on=day)
    second_tag = place_tag(welfare_tech, second, code=tagcodes.generate(), placed_on=day)
    return Place(
        municipality=municipality,
        provider=provider,
        other_provider=other,
        north=north,
        south=south,
        worker=make_staff(Role.CARE_WORKER, provider=provider, teams=[north]),
        colleague=make_staff(Role.CARE_WORKER, provider=provider, teams=[north]),
        leader=make_staff(Role.TEAM_LEADER, provider=provider, teams=[north]),
        manager=make_staff(Role.PROVIDER_MANAGER, provider=provider),
        stranger=make_staff(Role.CARE_WORKER, provider=other),
        welfare_tech=welfare_tech,
        client=client,
        second_client=second,
        south_client=south_client,
        other_client=other_client,
        personal_care=personal_care,
        cleaning=cleaning,
        meals=meals,
        tag=tag,
        second_tag=second_tag,
    )
