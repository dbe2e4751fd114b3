"""Personas for the service desk: two providers' orderers, the welfare-technology team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, Provider, User
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    make_staff,
)
from trygg.servicedesk import access
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType
from trygg.servicedesk.services import place_order

# A Wednesday in ordinary weeks, 10:00 in Stockholm.
WEDNESDAY = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)


@dataclass
class Desk:
    municipality: Municipality
    provider_a: Provider
    provider_b: Provider
    leader_a: User
    colleague_a: User
    manager_b: User
    care_worker_a: User
    welfare: User
    admin: User
    operator: User
    client_a: Client
    client_b: Client

    def type(self, code: str) -> OrderType:
        return OrderType.objects.get(municipality=self.municipality, code=code)

    def place(
        self,
        user: User,
        code: str,
        data: Mapping[str, Any],
        *,
        provider: Provider | None = None,
        now: dt.datetime = WEDNESDAY,
    ) -> Order:
        order_type = self.type(code)
        return place_order(
            user,
            order_type,
            data,
            provider=provider,
            clients=access.order_clients(user, order_type.municipality_id),
            now=now,
        )

    def tick_all(self, order: Order) -> Order:
        """Every checklist step done by the team, as "done" asks for."""
        order.steps.filter(done_at__isnull=True).update(
            done_at=dt.datetime.now(dt.UTC), done_by=self.welfare
        )
        return order

    def phone_order(self, user: User | None = None, **kw: Any) -> Order:
        user = user or self.leader_a
        provider = kw.pop("provider", self.provider_a if user == self.leader_a else None)
        # Handed in the day it is ordered unless told otherwise: the deadline runs from the
        # hand-in, which cannot be after the order.
        now = kw.get("now", WEDNESDAY)
        handed_in = kw.pop("handed_in_on", self.municipality.local_date(now).isoformat())
        return self.place(
            user,
            "phone_configuration",
            {
                "staff_member": "Anna Nilsson",
                "phone_model": "Samsung Galaxy XCover 7",
                "imei": "356938035643809",
                "handed_in_on": handed_in,
            },
            provider=provider,
            **kw,
        )


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in their English source form."""
    with translation.override("en"):
        yield


@pytest.fixture
def desk(db: None) -> Desk:
    municipality = MunicipalityFactory(name="Testkommun", country="SE")
    provider_a = ProviderFactory(municipality=municipality, name="Omsorg A")
    provider_b = ProviderFactory(municipality=municipality, name="Omsorg B")
    ensure_default_catalogue(municipality)
    return Desk(
        municipality=municipality,
        provider_a=provider_a,
        provider_b=provider_b,
        leader_a=make_staff(Role.TEAM_LEADER, provider=provider_a, email="leader@example.se"),
        colleague_a=make_staff(Role.PROVIDER_MANAGER, provider=provider_a),
        manager_b=make_staff(Role.PROVIDER_MANAGER, provider=provider_b),
        care_worker_a=make_staff(Role.CARE_WORKER, provider=provider_a),
        welfare=make_staff(Role.WELFARE_TECH, municipality=municipality),
        admin=make_staff(Role.MUNICIPAL_ADMIN, municipality=municipality),
        operator=make_staff(Role.ALARM_OPERATOR, municipality=municipality),
        client_a=ClientFactory(provider=provider_a, first_name="Astrid", last_name="Alfa"),
        client_b=ClientFactory(provider=provider_b, first_name="Bertil", last_name="Beta"),
    )


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http
