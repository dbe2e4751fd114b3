"""The sensors tests' world: the shared alarm-unit personas (`place`) with an infrared
camera placed with `place.client` and its device token, a night supervisor at the client's
provider, and rules: a fall around the clock at high priority, left bed 22-07."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.alarms.models import AlarmPriority
from trygg.core.constants import Role
from trygg.core.models import User
from trygg.core.tests.factories import TEST_PASSWORD, make_staff
from trygg.devices import services as device_services
from trygg.devices.models import AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.tests import places
from trygg.devices.tests.places import Place
from trygg.sensors import services

place = places.place  # the fixture, this package's own

EVENTS = "/api/v1/sensors/device/events"
HEARTBEAT = "/api/v1/sensors/device/heartbeat"


@dataclass
class Room:
    place: Place
    camera: AlarmUnit
    token: str
    night: User


@pytest.fixture
def room(place: Place) -> Room:
    camera = place.unit(protocol=AlarmProtocol.API, kind=AlarmUnitKind.INFRARED_CAMERA)
    device_services.place_unit(
        place.tech, camera, client=place.client, active_from=dt.date(2025, 1, 1)
    )
    _token, plain = device_services.issue_device_token(place.tech, camera)
    services.save_rule(
        place.manager,
        place.client,
        kind="fall",
        starts=dt.time(0),
        ends=dt.time(0),
        priority=AlarmPriority.HIGH,
    )
    services.save_rule(
        place.manager, place.client, kind="left_bed", starts=dt.time(22), ends=dt.time(7)
    )
    night = make_staff(Role.NIGHT_SUPERVISOR, provider=place.provider, first_name="Nora")
    return Room(place, camera, plain, night)


def post(url: str, body: Any, token: str | None, language: str = "en") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return http.post(url, json.dumps(body), content_type="application/json", **headers)


def login(user: User, language: str = "en") -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return http
