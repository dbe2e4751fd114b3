"""One municipality with a starting private provider (A), a second private provider (B) and
its own; the service desk, each provider's people, and another municipality to stay out of.

`TODAY` is a Monday in winter; the services take `now`/`today`, the pages read the real
clock, so page tests build their dates from `timezone.now()`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.constants import ProviderKind, Role
from trygg.core.models import Municipality, Provider, User
from trygg.core.tests.factories import MunicipalityFactory, ProviderFactory, make_staff
from trygg.training import services
from trygg.training.constants import SessionKind, TrainedSystem
from trygg.training.models import TrainingSession

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = dt.date(2026, 2, 2)  # a Monday
NOW = dt.datetime(2026, 2, 2, 8, 0, tzinfo=STOCKHOLM)


@dataclass
class World:
    municipality: Municipality
    own: Provider
    provider_a: Provider
    provider_b: Provider
    service_desk: User  # the welfare-technology team
    admin: User
    auditor: User
    manager_a: User
    leader_a: User
    worker_a: User
    night_a: User
    manager_b: User
    worker_b: User
    own_manager: User
    outsider: User  # the service desk of another municipality
    other_municipality: Municipality


def http_as(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def staff(role: Role, name: str, **where: object) -> User:
    return make_staff(  # type: ignore[arg-type]
        role, username=name, email=f"{name}@example.se", preferred_language="sv", **where
    )


@pytest.fixture
def world(db: None) -> World:
    municipality = MunicipalityFactory(name="Utbildningsby", code="9300")
    other = MunicipalityFactory(name="Bortastad", code="9301")
    own = ProviderFactory(municipality=municipality, kind=ProviderKind.MUNICIPAL, name="Kommunen")
    provider_a = ProviderFactory(municipality=municipality, name="Morgonljus Omsorg AB")
    provider_b = ProviderFactory(municipality=municipality, name="Kvällsro Omsorg AB")
    other_provider = ProviderFactory(municipality=other, name="Fjärran AB")
    staff(Role.PROVIDER_MANAGER, "chef.fjarran", provider=other_provider)
    return World(
        municipality=municipality,
        own=own,
        provider_a=provider_a,
        provider_b=provider_b,
        service_desk=staff(Role.WELFARE_TECH, "vft", municipality=municipality),
        admin=staff(Role.MUNICIPAL_ADMIN, "admin", municipality=municipality),
        auditor=staff(Role.AUDITOR, "revisor", municipality=municipality),
        manager_a=staff(Role.PROVIDER_MANAGER, "chef.a", provider=provider_a),
        leader_a=staff(Role.TEAM_LEADER, "ledare.a", provider=provider_a),
        worker_a=staff(Role.CARE_WORKER, "omsorg.a", provider=provider_a),
        night_a=staff(Role.NIGHT_SUPERVISOR, "natt.a", provider=provider_a),
        manager_b=staff(Role.PROVIDER_MANAGER, "chef.b", provider=provider_b),
        worker_b=staff(Role.CARE_WORKER, "omsorg.b", provider=provider_b, last_name="Grannlund"),
        own_manager=staff(Role.PROVIDER_MANAGER, "chef", provider=own),
        outsider=staff(Role.WELFARE_TECH, "vft.borta", municipality=other),
        other_municipality=other,
    )


def make_session(
    world: World,
    starts_at: dt.datetime,
    *,
    hours: int = 3,
    seats: int = 10,
    title: str = "Uppstartsutbildning",
    municipality: Municipality | None = None,
) -> TrainingSession:
    """A session made directly, so it may lie in the past."""
    return TrainingSession.objects.create(
        municipality=municipality or world.municipality,
        kind=SessionKind.STARTUP,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        place="Stadshuset, sal 3",
        systems=f"{TrainedSystem.VISIT_APP},{TrainedSystem.LOCKS}",
        agenda="Besöksappen\nDigitala lås",
        seats=seats,
    )


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=STOCKHOLM)


def local_today() -> dt.date:
    return timezone.now().astimezone(STOCKHOLM).date()


def plan(world: World, starts_on: dt.date, provider: Provider | None = None) -> None:
    services.set_start_plan(
        provider or world.provider_a,
        approved_on=starts_on - dt.timedelta(days=60),
        starts_on=starts_on,
        by=world.service_desk,
    )
