"""An infrared camera's fall on the responder's phone, against the real server stack:
uvicorn serving the ASGI app (the phone's live stream needs it) and the dispatcher loop.
The camera posts through the camera API with its own device token, as on the network; the
night patrol's phone shows the alarm, at high priority and named by the event, without a
reload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from trygg.alarms.models import Alarm, AlarmPriority, ResponderShift
from trygg.core.constants import Role
from trygg.core.tests.factories import (
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.models import AlarmProtocol, AlarmUnitKind
from trygg.devices.services import issue_device_token, place_unit, register_alarm_unit
from trygg.sensors import services
from trygg.sensors.simulator import Played, SimulatedCamera

from .support import Session, asgi_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(transactional_db: None) -> Iterator[str]:
    """uvicorn and the dispatcher on a free port, for one test."""
    with asgi_server() as url:
        yield url


@pytest.fixture
def session(
    request: pytest.FixtureRequest, chromium: Browser, server: str, screenshot_dir: Path
) -> Iterator[Session]:
    session = Session(chromium, server, screenshot_dir, request.node.name)
    yield session
    call = getattr(request.node, "report_call", None)
    session.close(failed=bool(call is not None and call.failed))


def test_an_infrared_fall_appears_on_the_night_patrols_phone(session: Session, server: str) -> None:
    municipality = MunicipalityFactory(name="Sensorby")
    provider = ProviderFactory(municipality=municipality, name="Hemtjänsten Sensorby")
    patrol = TeamFactory(provider=provider, name="Nattpatrullen")
    # Around the clock, so the test runs the same whenever it runs.
    ResponderShift.objects.create(
        municipality=municipality, name="Natt", team=patrol, starts=dt.time(0), ends=dt.time(0)
    )
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    responder = make_staff(
        Role.NIGHT_SUPERVISOR, provider=provider, teams=[patrol], first_name="Nina"
    )
    client = ClientFactory(
        provider=provider, team=patrol, first_name="Greta", last_name="Sängström"
    )
    camera = register_alarm_unit(
        tech,
        municipality,
        serial_number="RM-0001",
        model_name="RoomMate",
        protocol=AlarmProtocol.API,
        kind=AlarmUnitKind.INFRARED_CAMERA,
        heartbeat_interval=300,
    )
    place_unit(tech, camera, client=client, active_from=dt.date(2025, 1, 1))
    services.save_rule(
        manager,
        client,
        kind="fall",
        starts=dt.time(0),
        ends=dt.time(0),
        priority=AlarmPriority.HIGH,
    )
    _token, plain = issue_device_token(tech, camera)

    page = session.new_page(phone=True)
    session.login(page, responder)
    session.goto(page, "/alarms/phone/")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.evaluate("window.__noReload = true")

    answer = SimulatedCamera(server, plain).send([Played("fall", timezone.now(), room="Badrum")])
    assert answer["results"][0] == {
        "id": answer["results"][0]["id"],
        "outcome": "stored",
        "detail": "",
        "alarm": True,
    }
    alarm = Alarm.objects.get(unit=camera)
    card = page.locator(f"#alarm-{alarm.pk}")
    expect(card).to_contain_text("Greta Sängström", timeout=5000)
    expect(card).to_contain_text("Fall (infraröd kamera)")
    expect(card).to_contain_text("Badrum")
    expect(card.locator(".priority")).to_have_text("Hög prioritet")
    assert page.evaluate("window.__noReload") is True
    session.shot(page, "phone-sensor-fall")
    card.get_by_role("button", name="Ta larmet").click()
    expect(page.locator("h1")).to_contain_text("Greta Sängström")
    alarm.refresh_from_db()
    assert alarm.assigned_to == responder
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
