"""One municipality with its own provider and two private ones, a persona per audience, the
visit app's maintenance window (Tue/Wed 09-14), and a second municipality to stay out of."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from trygg.core.constants import ProviderKind, Role
from trygg.core.models import Municipality, Provider, User
from trygg.core.tests.factories import MunicipalityFactory, ProviderFactory, make_staff
from trygg.outages.constants import System
from trygg.outages.models import MaintenanceWindow

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Monday: Tuesdays follow on the 4th, 11th, 18th and 25th; summer time starts on 30 March.
NOW = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


@dataclass
class World:
    municipality: Municipality
    own: Provider
    private_a: Provider
    private_b: Provider
    welfare_tech: User
    admin: User
    manager: User
    team_leader: User
    care_worker: User
    operator: User
    manager_a: User
    team_leader_a: User
    care_worker_a: User
    manager_b: User
    outsider: User

    @property
    def managers(self) -> set[str]:
        """E-mail addresses of the municipal side's managers."""
        return {u.email for u in (self.welfare_tech, self.admin, self.manager, self.team_leader)}


@pytest.fixture
def world(db: None) -> World:
    municipality = MunicipalityFactory(name="Trygghetsby", code="9100")
    own = ProviderFactory(municipality=municipality, kind=ProviderKind.MUNICIPAL, name="Kommunen")
    private_a = ProviderFactory(municipality=municipality, name="Omsorg A AB")
    private_b = ProviderFactory(municipality=municipality, name="Omsorg B AB")
    other = MunicipalityFactory(name="Annanstad", code="9200")
    MaintenanceWindow.objects.create(
        municipality=municipality,
        system=System.VISIT_APP,
        weekdays="23",
        start_time=dt.time(9),
        end_time=dt.time(14),
    )

    def staff(role: Role, name: str, **where: object) -> User:
        return make_staff(role, username=name, email=f"{name}@example.se", **where)  # type: ignore[arg-type]

    return World(
        municipality=municipality,
        own=own,
        private_a=private_a,
        private_b=private_b,
        welfare_tech=staff(Role.WELFARE_TECH, "vft", municipality=municipality),
        admin=staff(Role.MUNICIPAL_ADMIN, "admin", municipality=municipality),
        manager=staff(Role.PROVIDER_MANAGER, "chef", provider=own),
        team_leader=staff(Role.TEAM_LEADER, "teamledare", provider=own),
        care_worker=staff(Role.CARE_WORKER, "omsorg", provider=own),
        operator=staff(Role.ALARM_OPERATOR, "larm", municipality=municipality),
        manager_a=staff(Role.PROVIDER_MANAGER, "chef.a", provider=private_a),
        team_leader_a=staff(Role.TEAM_LEADER, "teamledare.a", provider=private_a),
        care_worker_a=staff(Role.CARE_WORKER, "omsorg.a", provider=private_a),
        manager_b=staff(Role.PROVIDER_MANAGER, "chef.b", provider=private_b),
        outsider=staff(Role.WELFARE_TECH, "vft.annan", municipality=other),
    )
