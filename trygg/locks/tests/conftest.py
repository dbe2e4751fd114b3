"""The locks tests' world: a provider with a day team on shift 07-16 and a night patrol,
clients behind locked doors, a neighbouring provider, and a key store of the test's own.

Times are given to the services explicitly (no clock is frozen): DAY is a Tuesday at
10:00 in Stockholm, inside the day shift; EVENING at 19:00 is outside it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind, AlarmStatus, ResponderShift
from trygg.core.constants import Role
from trygg.core.models import Client, Team, User
from trygg.core.tests.factories import TEST_PASSWORD, ClientFactory, TeamFactory, make_staff
from trygg.devices.models import AlarmProtocol, AlarmUnit, DoorLock
from trygg.devices.tests import places
from trygg.devices.tests.places import Place
from trygg.locks import inventory, keystore, services
from trygg.locks.simulator import SimulatedLock

place = places.place  # the fixture, this package's own

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)
SHIFT_END = dt.datetime(2026, 11, 24, 16, 0, tzinfo=STOCKHOLM)
EVENING = dt.datetime(2026, 11, 24, 19, 0, tzinfo=STOCKHOLM)
NIGHT = dt.datetime(2026, 11, 24, 23, 0, tzinfo=STOCKHOLM)
_serials = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def key_store(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """Every test signs with a key store of its own, made on first use."""
    settings.UNLOCK_KEY_DIR = tmp_path / "keys"
    keystore.forget_cached_keys()
    yield tmp_path / "keys"
    keystore.forget_cached_keys()


@dataclass
class Home:
    place: Place
    team: Team  # the day team, responsible for the client
    night_team: Team
    worker: User  # in the day team
    colleague: User  # in the day team too
    night_worker: User
    team_leader: User  # leads the day team
    client: Client  # in the team, behind `lock`
    lock: DoorLock
    other_client: Client  # the other provider's
    other_team: Team
    other_worker: User
    other_lock: DoorLock

    def new_lock(self, **door: Any) -> DoorLock:
        """A lock placed 30 days before DAY on the door given (a client's, or an entrance)."""
        lock = inventory.register_lock(
            self.place.tech,
            self.place.municipality,
            serial_number=f"LOCK-{next(_serials):05d}",
            model_name="Testlås 2",
        )
        return inventory.place_lock(
            self.place.tech, lock, on=DAY.date() - dt.timedelta(days=30), **door
        )

    def simulated(self, lock: DoorLock | None = None, *, at: dt.datetime = DAY) -> SimulatedLock:
        """The lock as a simulator, having made contact at `at` (its clock reads `at`)."""
        lock = lock or self.lock
        moment = int(at.timestamp())
        simulated = SimulatedLock(lock.lock_id, clock=lambda: moment)
        contact(simulated, lock, at)
        return simulated

    def alarm(self, responder: User | None, client: Client | None = None, **fields: Any) -> Alarm:
        client = client or self.client
        unit = AlarmUnit.objects.create(
            municipality=client.municipality,
            model_name="Testlarm",
            serial_number=f"AU-{uuid.uuid4().hex[:8]}",
            protocol=AlarmProtocol.DC09,
            dc09_account=f"{next(_serials) + 0xA000:X}",
            heartbeat_interval=0,
        )
        values: dict[str, Any] = {
            "status": AlarmStatus.ACKNOWLEDGED,
            "created_at": DAY - dt.timedelta(minutes=5),
            "team": self.night_team,
        }
        values.update(fields)
        return Alarm.objects.create(
            municipality=client.municipality,
            unit=unit,
            client=client,
            provider=client.provider,
            kind=AlarmKind.ALARM,
            category=AlarmCategory.CARE,
            assigned_to=responder,
            assigned_at=values["created_at"],
            **values,
        )


def contact(simulated: SimulatedLock, lock: DoorLock, at: dt.datetime) -> None:
    """The lock makes contact with the server at `at`."""
    lock = DoorLock.objects.select_related("municipality").get(pk=lock.pk)
    simulated.receive(services.lock_contact(lock, now=at).as_wire())


@pytest.fixture
def home(place: Place) -> Home:
    municipality = place.municipality
    team = TeamFactory(provider=place.provider, name="Norr dag")
    night_team = TeamFactory(provider=place.provider, name="Nattpatrullen")
    other_team = TeamFactory(provider=place.other_provider, name="Väster")
    for name, shift_team, starts, ends in (
        ("Dag Norr", team, dt.time(7), dt.time(16)),
        ("Natt", night_team, dt.time(22), dt.time(7)),
        ("Väster dag", other_team, dt.time(7), dt.time(22)),
    ):
        ResponderShift.objects.create(
            municipality=municipality, name=name, team=shift_team, starts=starts, ends=ends
        )
    place.client.team = team
    place.client.save()
    place.other_client.team = other_team
    place.other_client.save()
    worker = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[team])
    colleague = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[team])
    night_worker = make_staff(Role.NIGHT_SUPERVISOR, provider=place.provider, teams=[night_team])
    team_leader = make_staff(Role.TEAM_LEADER, provider=place.provider, teams=[team])
    other_worker = make_staff(Role.CARE_WORKER, provider=place.other_provider, teams=[other_team])
    home = Home(
        place=place,
        team=team,
        night_team=night_team,
        worker=worker,
        colleague=colleague,
        night_worker=night_worker,
        team_leader=team_leader,
        client=place.client,
        lock=None,  # type: ignore[arg-type]
        other_client=place.other_client,
        other_team=other_team,
        other_worker=other_worker,
        other_lock=None,  # type: ignore[arg-type]
    )
    home.lock = home.new_lock(client=place.client)
    home.other_lock = home.new_lock(client=place.other_client)
    return home


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return http


def new_client(home: Home, **fields: Any) -> Client:
    values: dict[str, Any] = {"provider": home.place.provider, "team": home.team}
    values.update(fields)
    return ClientFactory(**values)
