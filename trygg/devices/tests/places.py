"""The alarm-unit personas shared by the devices, alarms and receivers tests: two providers
in one municipality, a neighbouring municipality, and alarm units to place and hear from.
Each tests package's conftest makes the `place` fixture its own by importing it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, Provider, User
from trygg.core.tests.factories import (
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    make_staff,
)
from trygg.devices import services
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind

_numbers = itertools.count(1)


@dataclass
class Place:
    municipality: Municipality
    provider: Provider
    other_provider: Provider
    client: Client
    neighbour: Client  # same provider, another home
    other_client: Client  # another provider's
    tech: User
    admin: User
    manager: User
    care_worker: User
    alarm_operator: User
    auditor: User
    elsewhere: Municipality
    foreign_tech: User
    foreign_client: Client

    def unit(
        self,
        ref: str | None = None,
        *,
        protocol: str = AlarmProtocol.DC09,
        kind: str = AlarmUnitKind.SAFETY_ALARM,
        interval: int = 300,
        grace: int = 60,
        key: str = "",
        municipality: Municipality | None = None,
    ) -> AlarmUnit:
        """A registered unit; `ref` is its DC-09 account or SCAIP controller id."""
        n = next(_numbers)
        municipality = municipality or self.municipality
        actor = self.tech if municipality == self.municipality else self.foreign_tech
        ref = ref or (f"{0xA000 + n:X}" if protocol == AlarmProtocol.DC09 else f"46{n:08d}")
        return services.register_alarm_unit(
            actor,
            municipality,
            serial_number=f"SN-{n:05d}",
            model_name="Testlarm 1",
            protocol=protocol,
            kind=kind,
            dc09_account=ref if protocol == AlarmProtocol.DC09 else "",
            scaip_controller_id=ref if protocol == AlarmProtocol.SCAIP else "",
            encryption_key=key,
            heartbeat_interval=interval,
            heartbeat_grace=grace,
        )


@pytest.fixture
def place(db: None) -> Place:
    municipality = MunicipalityFactory()
    provider = ProviderFactory(municipality=municipality, name="Hemtjänsten Norr")
    other = ProviderFactory(municipality=municipality, name="Annan Omsorg AB")
    elsewhere = MunicipalityFactory()
    return Place(
        municipality=municipality,
        provider=provider,
        other_provider=other,
        client=ClientFactory(provider=provider, last_name="Andersson"),
        neighbour=ClientFactory(provider=provider, last_name="Bergström"),
        other_client=ClientFactory(provider=other, last_name="Carlsson"),
        tech=make_staff(Role.WELFARE_TECH, municipality=municipality),
        admin=make_staff(Role.MUNICIPAL_ADMIN, municipality=municipality),
        manager=make_staff(Role.PROVIDER_MANAGER, provider=provider),
        care_worker=make_staff(Role.CARE_WORKER, provider=provider),
        alarm_operator=make_staff(Role.ALARM_OPERATOR, municipality=municipality),
        auditor=make_staff(Role.AUDITOR, municipality=municipality),
        elsewhere=elsewhere,
        foreign_tech=make_staff(Role.WELFARE_TECH, municipality=elsewhere),
        foreign_client=ClientFactory(provider=ProviderFactory(municipality=elsewhere)),
    )
