"""The alarm console in Chromium, against the real server stack: uvicorn serving the ASGI
app (the live stream needs it), the DC-09 receiver on a TCP port and the dispatcher loop,
all in this process as `trygg serve` runs them.

An alarm sent over DC-09 appears on the open console without a reload, is acknowledged,
another left alone escalates to the alarm centre, and the first is closed with a cause.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from trygg.alarms import dispatch
from trygg.alarms.models import Alarm, AlarmPolicy, AlarmStatus, ResponderShift
from trygg.core.constants import Role
from trygg.core.models import Municipality, Team, User
from trygg.core.tests.factories import (
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.models import AlarmProtocol
from trygg.devices.services import place_unit, register_alarm_unit
from trygg.receivers.runner import ReceiverOptions, ReceiverThread

from .support import Session, wait_until_kept_for_offline

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    url: str
    dc09_port: int


@pytest.fixture
def stack(transactional_db: None) -> Iterator[Stack]:
    """uvicorn, the DC-09 receiver and the dispatcher, on free ports, for one test."""
    stop = threading.Event()
    dispatcher = threading.Thread(target=dispatch.run_dispatcher, args=(stop,), daemon=True)
    dispatcher.start()
    dc09_port = _free_port()
    receivers = ReceiverThread(
        ReceiverOptions(host="127.0.0.1", dc09_port=dc09_port, scaip_port=None)
    )
    receivers.start()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            "trygg.asgi:application",
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    web = threading.Thread(target=server.run, daemon=True)
    web.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Stack(f"http://127.0.0.1:{port}", dc09_port)
    finally:
        # Open event streams end when the browser closes; then the server stops.
        server.should_exit = True
        server.force_exit = True
        web.join(timeout=10)
        receivers.stop()
        stop.set()
        dispatcher.join(timeout=10)


@dataclass
class Duty:
    municipality: Municipality
    team: Team
    operator: User
    accounts: list[str]


@pytest.fixture
def duty(stack: Stack) -> Duty:
    municipality = MunicipalityFactory(name="Larmby")
    provider = ProviderFactory(municipality=municipality, name="Hemtjänsten Larmby")
    team = TeamFactory(provider=provider, name="Nattpatrullen")
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    operator = make_staff(
        Role.ALARM_OPERATOR, municipality=municipality, first_name="Olle", last_name="Operatör"
    )
    # Around the clock, so the test runs the same whenever it runs; escalation in seconds.
    ResponderShift.objects.create(
        municipality=municipality, name="Alltid", team=team, starts=dt.time(0), ends=dt.time(0)
    )
    AlarmPolicy.objects.create(municipality=municipality, acknowledge_within=3, remind_every=30)
    accounts = []
    for n, (first, last) in enumerate((("Greta", "Larmsson"), ("Bertil", "Tystberg")), 1):
        client = ClientFactory(
            provider=provider,
            team=team,
            first_name=first,
            last_name=last,
            key_location="Nyckelgömma vid dörren",
            door_code=f"47{n}1",
        )
        account = f"B{n:03d}"
        unit = register_alarm_unit(
            tech,
            municipality,
            serial_number=f"SN-LARM-{n}",
            model_name="Testlarm",
            protocol=AlarmProtocol.DC09,
            dc09_account=account,
            heartbeat_interval=0,
        )
        place_unit(tech, unit, client=client, active_from=dt.date(2025, 1, 1))
        accounts.append(account)
    return Duty(municipality, team, operator, accounts)


@pytest.fixture
def console_session(
    request: pytest.FixtureRequest, chromium: Browser, stack: Stack, screenshot_dir: Path
) -> Iterator[Session]:
    session = Session(chromium, stack.url, screenshot_dir, request.node.name)
    yield session
    call = getattr(request.node, "report_call", None)
    session.close(failed=bool(call is not None and call.failed))


def send_alarm(stack: Stack, account: str) -> None:
    call_command("dc09_send", account=account, port=stack.dc09_port, code="QA", stdout=_Null())


class _Null:
    def write(self, *_args: Any) -> None:
        pass


def alarm_of(account: str) -> Alarm:
    return Alarm.objects.select_related("client").get(unit__dc09_account=account)


def test_a_dc09_alarm_appears_live_is_acknowledged_escalates_and_is_closed(
    console_session: Session, stack: Stack, duty: Duty
) -> None:
    page = console_session.new_page()
    console_session.login(page, duty.operator)
    console_session.goto(page, "/alarms/")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("section.queue").first).to_contain_text("Inga öppna larm")
    # A marker that a reload would wipe out.
    page.evaluate("window.__noReload = true")

    send_alarm(stack, duty.accounts[0])
    first = alarm_of(duty.accounts[0])
    row = page.locator(f"#alarm-{first.pk}")
    expect(row).to_contain_text("Greta Larmsson", timeout=5000)
    expect(row).to_contain_text("Nyckelgömma vid dörren")
    expect(row).to_contain_text("Nattpatrullen")
    assert page.evaluate("window.__noReload") is True
    assert "4711" not in page.content()  # the door code only on the alarm's page
    console_session.shot(page, "alarm-arrived")

    row.get_by_role("button", name="Kvittera").click()
    expect(page.locator(f"#alarm-{first.pk}")).to_contain_text("Olle Operatör")
    first.refresh_from_db()
    assert first.status == AlarmStatus.ACKNOWLEDGED
    assert first.acknowledged_by == duty.operator

    # The second is left alone: after 3 s the alarm centre has it, shown without reload.
    page.evaluate("window.__noReload = true")
    send_alarm(stack, duty.accounts[1])
    second = alarm_of(duty.accounts[1])
    escalated = page.locator(f"#alarm-{second.pk} .escalated")
    expect(escalated).to_contain_text("Larmcentral", timeout=10_000)
    assert page.evaluate("window.__noReload") is True
    console_session.shot(page, "escalated")

    # Close the first from its page with a cause and a note.
    page.locator(f"#alarm-{first.pk}").get_by_role("link", name="Öppna").click()
    expect(page.locator("h1")).to_contain_text("Greta Larmsson")
    page.get_by_role("button", name="Visa portkod").click()
    expect(page.locator("#door-code")).to_contain_text("4711")
    page.select_option("#cause", "fall")
    page.fill("#close-note", "Hjälpte upp från golvet, inga skador.")
    console_session.shot(page, "closing")
    page.get_by_role("button", name="Stäng larmet").click()
    expect(page.locator("ul.messages")).to_contain_text("Larmet är stängt")
    console_session.goto(page, "/alarms/")
    expect(page.locator("#closed-title")).to_be_visible()
    expect(page.locator(f"section.closed #alarm-{first.pk}")).to_contain_text("Fall")
    expect(page.locator(f"section.queue:not(.closed) #alarm-{first.pk}")).to_have_count(0)
    expect(page.locator(f"#alarm-{second.pk}")).to_be_visible()
    console_session.shot(page, "closed")
    first.refresh_from_db()
    assert first.status == AlarmStatus.CLOSED
    assert first.cause == "fall"
    assert first.closed_by == duty.operator


def test_the_responders_phone_gets_the_alarm_and_accepts_it(
    console_session: Session, stack: Stack, duty: Duty
) -> None:
    responder = make_staff(
        Role.NIGHT_SUPERVISOR,
        provider=duty.team.provider,
        teams=[duty.team],
        first_name="Nina",
        last_name="Natt",
    )
    page: Page = console_session.new_page(phone=True)
    console_session.login(page, responder)
    console_session.goto(page, "/alarms/phone/")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    # One state each: the badge says the connection is live, the button turns on the sound.
    expect(page.locator("#live")).to_have_text("Ansluten")
    page.get_by_role("button", name="Slå på ljud och vibration").click()
    expect(page.locator("#sound")).to_have_attribute("aria-pressed", "true")
    send_alarm(stack, duty.accounts[0])
    alarm = alarm_of(duty.accounts[0])
    card = page.locator(f"#alarm-{alarm.pk}")
    expect(card).to_contain_text("Greta Larmsson", timeout=5000)
    console_session.shot(page, "phone-alarm")
    card.get_by_role("button", name="Ta larmet").click()
    expect(page.locator("h1")).to_contain_text("Greta Larmsson")
    console_session.shot(page, "phone-accepted")
    alarm.refresh_from_db()
    assert alarm.assigned_to == responder
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_the_phone_installs_the_app_shell_and_works_offline(
    console_session: Session, duty: Duty
) -> None:
    """The phone page registers the one service worker for the whole site (front's shell):
    it shows the page's notifications, and the offline page when the network is gone."""
    responder = make_staff(Role.NIGHT_SUPERVISOR, provider=duty.team.provider, teams=[duty.team])
    page: Page = console_session.new_page(phone=True)
    page.context.grant_permissions(["notifications"])
    console_session.login(page, responder)
    console_session.goto(page, "/alarms/phone/")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == console_session.base_url + "/"
    wait_until_kept_for_offline(page, ("/offline/",))
    # What live.js does for an alarm while the page is in the background.
    shown = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            await registration.showNotification("Nytt larm", {
                tag: "trygg-alarm", data: { url: location.pathname } });
            const notes = await registration.getNotifications({ tag: "trygg-alarm" });
            return notes.map((n) => n.data.url);
        }"""
    )
    assert shown == ["/alarms/phone/"]

    page.context.set_offline(True)
    page.goto("/alarms/phone/")
    expect(page.locator("h1")).to_have_text("Ingen anslutning")
    console_session.shot(page, "offline")
    page.context.set_offline(False)
    page.get_by_role("link", name="Försök igen").click()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
