"""Personas for night supervision: a provider with a night team, a client granted night
supervision with a key receipt, cameras in stock, and a plan running on a fixed night."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from trygg.alarms.models import AlarmPolicy, ResponderShift
from trygg.core.constants import ConsentRelation, Role, ServiceCategory, Technology
from trygg.core.models import Client, Consent, Municipality, Provider, Team, User
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    GrantedServiceFactory,
    MunicipalityFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import place_unit, register_alarm_unit
from trygg.locks.constants import KeyHolder, SignedHow
from trygg.locks.models import KeyReceipt
from trygg.supervision.models import LookInTime, SupervisionPlan
from trygg.supervision.schedule import make_lookins

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Tuesday night in November: look-ins at 23:00 and 02:00.
NIGHT = dt.date(2026, 11, 24)
AT_2300 = dt.datetime(2026, 11, 24, 23, 0, tzinfo=STOCKHOLM)
AT_0200 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=STOCKHOLM)
_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _swedish() -> None:
    translation.activate("sv")


@dataclass
class Night:
    municipality: Municipality
    provider: Provider
    team: Team
    other_team: Team
    patrol: Team
    client: Client
    bare_client: Client  # no night supervision granted, no key receipt
    other_provider_client: Client
    tech: User
    leader: User
    manager: User
    night_worker: User
    other_night_worker: User  # night staff of another team
    care_worker: User
    foreign_night_worker: User  # night staff of another provider
    consent: Consent

    def camera(self) -> AlarmUnit:
        n = next(_serials)
        return register_alarm_unit(
            self.tech,
            self.municipality,
            serial_number=f"CAM-{n:04d}",
            model_name="Simulerad IR-kamera",
            protocol=AlarmProtocol.API,
            kind=AlarmUnitKind.SAFETY_CAMERA,
            heartbeat_interval=0,
        )

    def plan(
        self, times: tuple[dt.time, ...] = (dt.time(23), dt.time(2)), *, make: bool = True
    ) -> SupervisionPlan:
        """A plan running from before NIGHT, its journal note confirmed, look-ins made."""
        camera = AlarmUnit.objects.select_related("municipality").get(pk=self.camera().pk)
        placement = place_unit(
            self.tech, camera, client=self.client, active_from=dt.date(2026, 11, 1)
        )
        plan = SupervisionPlan.objects.create(
            municipality=self.municipality,
            client=self.client,
            provider=self.provider,
            camera=camera,
            placement=placement,
            start_date=dt.date(2026, 11, 2),
            installed_on=dt.date(2026, 11, 1),
            installed_by=self.tech,
            journal_confirmed_at=dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC),
            journal_confirmed_by=self.leader,
            consent=self.consent,
            review_on=dt.date(2027, 5, 1),
            letter_languages=["Svenska"],
            sign_languages=["Svenska"],
            sign_placement="I hallen utanför sovrummet",
        )
        LookInTime.objects.bulk_create(LookInTime(plan=plan, at=t) for t in times)
        if make:
            make_lookins(AT_2300 - dt.timedelta(hours=3))
        return plan


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http


@pytest.fixture
def night(db: None) -> Night:
    municipality = MunicipalityFactory()
    provider = ProviderFactory(municipality=municipality, name="Hemtjänsten Norr")
    other = ProviderFactory(municipality=municipality, name="Annan Omsorg AB")
    team = TeamFactory(provider=provider, name="Norr")
    other_team = TeamFactory(provider=provider, name="Söder")
    patrol = TeamFactory(provider=provider, name="Nattpatrullen")
    client = ClientFactory(provider=provider, team=team, first_name="Astrid", last_name="Ahlgren")
    bare = ClientFactory(provider=provider, team=team, first_name="Bertil", last_name="Berglöf")
    night_type = ServiceTypeFactory(
        municipality=municipality,
        code="NATTKAM",
        name="Nattillsyn via kamera",
        category=ServiceCategory.NIGHT_SUPERVISION,
    )
    GrantedServiceFactory(client=client, service_type=night_type, valid_from=dt.date(2026, 1, 1))
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    leader = make_staff(Role.TEAM_LEADER, provider=provider, teams=[team])
    KeyReceipt.objects.create(
        municipality=municipality,
        client=client,
        keys="Lägenhetsnyckel",
        holder=KeyHolder.PROVIDER,
        holder_provider=provider,
        handed_over_on=dt.date(2026, 1, 10),
        signed_by="Astrid Ahlgren",
        signed_how=SignedHow.PAPER,
        registered_by=leader,
    )
    ResponderShift.objects.create(
        municipality=municipality, name="Natt", team=patrol, starts=dt.time(22), ends=dt.time(7)
    )
    AlarmPolicy.objects.create(municipality=municipality, acknowledge_within=120, remind_every=60)
    consent = Consent.objects.create(
        client=client,
        technology=Technology.CAMERA_SUPERVISION,
        given_by="Astrid Ahlgren",
        relation=ConsentRelation.CLIENT,
        given_on=dt.date(2026, 1, 5),
        review_on=dt.date(2027, 1, 5),
    )
    return Night(
        municipality=municipality,
        provider=provider,
        team=team,
        other_team=other_team,
        patrol=patrol,
        client=client,
        bare_client=bare,
        other_provider_client=ClientFactory(provider=other),
        tech=tech,
        leader=leader,
        manager=make_staff(Role.PROVIDER_MANAGER, provider=provider),
        night_worker=make_staff(Role.NIGHT_SUPERVISOR, provider=provider, teams=[team, patrol]),
        other_night_worker=make_staff(Role.NIGHT_SUPERVISOR, provider=provider, teams=[other_team]),
        care_worker=make_staff(Role.CARE_WORKER, provider=provider, teams=[team]),
        foreign_night_worker=make_staff(Role.NIGHT_SUPERVISOR, provider=other),
        consent=consent,
    )
