"""A care worker's phone opens a client's door with the network cut, in Chromium: the door's
tokens were fetched before, the lock (the lock simulator, which checks every token with
`unlock.verify` against its own keys and revocation list) opens, the unlock reaches the
client's lock log once the network is back, and a revoked key is refused by the lock.

The phone's link to the lock is Bluetooth on a real phone; here the simulator is plugged in
where a native bridge would be (`window.tryggDoorLink`), so it answers with the network cut
like a lock on the door does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from trygg.alarms.models import ResponderShift
from trygg.core.constants import Role
from trygg.core.models import Client, User
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff
from trygg.devices.models import DoorLock
from trygg.locks import inventory, keystore, services
from trygg.locks.constants import LockEventSource
from trygg.locks.models import DigitalKey, LockEvent
from trygg.locks.simulator import SimulatedLock

from . import support
from .support import Session

pytestmark = pytest.mark.browser
APP = "/locks/phone/"


@dataclass
class Door:
    worker: User
    leader: User
    client: Client
    lock: DoorLock


@pytest.fixture
def door(transactional_db: None, tmp_path: Path, settings: Any) -> Any:
    settings.UNLOCK_KEY_DIR = tmp_path / "keys"
    keystore.forget_cached_keys()
    provider = ProviderFactory(name="Hemtjänst Norr")
    municipality = provider.municipality
    team = TeamFactory(provider=provider, name="Norr")
    # The team is on shift around the clock, so the test runs at any hour.
    ResponderShift.objects.create(
        municipality=municipality,
        name="Norr dygnet runt",
        team=team,
        starts=dt.time(0),
        ends=dt.time(0),
    )
    client = ClientFactory(
        provider=provider,
        team=team,
        first_name="Astrid",
        last_name="Ahlgren",
        street="Storgatan 1",
        start_date=dt.date(2024, 1, 1),
    )
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    lock = inventory.register_lock(
        tech, municipality, serial_number="PH-1001", model_name="Testlås"
    )
    lock = inventory.place_lock(tech, lock, on=dt.date(2024, 2, 1), client=client)
    yield Door(
        worker=make_staff(
            Role.CARE_WORKER, provider=provider, teams=[team], first_name="Vera", last_name="Ek"
        ),
        leader=make_staff(
            Role.TEAM_LEADER, provider=provider, teams=[team], first_name="Lena", last_name="Holm"
        ),
        client=client,
        lock=lock,
    )
    keystore.forget_cached_keys()


def contact(simulated: SimulatedLock, lock: DoorLock) -> None:
    """The lock makes contact with Trygg: keys and revocation list down."""
    simulated.receive(services.lock_contact(DoorLock.objects.get(pk=lock.pk)).as_wire())


def wait_until_kept_for_offline(page: Page) -> None:
    support.wait_until_kept_for_offline(
        page, (APP, "/static/locks/doors.js", "/static/locks/doorstore.js")
    )


def test_a_door_opens_with_the_network_cut_and_a_revoked_key_is_refused(
    browser_session: Session, door: Door
) -> None:
    simulated = SimulatedLock(door.lock.lock_id)
    contact(simulated, door.lock)
    presented: list[str] = []

    def door_link(lock_id: str, token: str) -> dict[str, Any]:
        presented.append(lock_id)
        assert lock_id == str(door.lock.lock_id)
        return simulated.answer(token)

    page = browser_session.new_page(phone=True)
    page.context.expose_function("tryggDoorLink", door_link)
    browser_session.login(page, door.worker)
    browser_session.goto(page, APP, "doors")
    expect(page.locator("#door-app")).to_have_attribute("data-doors", "fresh")
    card = page.locator(f"#door-{door.lock.lock_id}")
    expect(card).to_contain_text("Astrid Ahlgren")
    expect(card).to_contain_text("3 öppningar kvar")
    wait_until_kept_for_offline(page)

    # In the stairwell: no network. The phone restarts the page, and still has the door.
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#net")).to_have_text("Ingen anslutning")
    expect(card).to_contain_text("3 öppningar kvar")
    card.get_by_role("button", name="Lås upp").click()
    expect(card.locator(".door-result")).to_contain_text("Upplåst")
    expect(card).to_contain_text("2 öppningar kvar")
    expect(page.locator("#queue-state")).to_have_text("Väntar: 1")
    browser_session.shot(page, "opened-offline")
    assert presented == [str(door.lock.lock_id)]
    assert not LockEvent.objects.exists()

    # The network is back: the unlock reaches Trygg, and the lock's own copy is no second.
    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_have_text("Allt är skickat", timeout=20_000)
    stored = LockEvent.objects.get()
    assert (stored.kind, stored.source, stored.holder) == (
        "unlocked",
        LockEventSource.PHONE,
        door.worker,
    )
    recorded = services.record_lock_events(
        door.lock, services.reported_from_wire(simulated.pending())
    )
    assert (recorded.stored, recorded.duplicates) == (0, 1)
    assert LockEvent.objects.count() == 1

    # The team leader reads it in the client's lock log.
    leader = browser_session.new_page()
    browser_session.login(leader, door.leader)
    browser_session.goto(leader, f"/clients/{door.client.pk}/", "client-record")
    log = leader.locator("#record-lock_events")
    row = log.locator(f"#lock-event-{stored.pk}")
    expect(row).to_contain_text("Upplåst")
    expect(row).to_contain_text("Vera Ek")
    row.scroll_into_view_if_needed()
    browser_session.shot(leader, "client-lock-log")

    # The phone is lost: the team leader revokes the key, the lock hears of it at its next
    # contact, and the tokens still on the phone open nothing.
    key = DigitalKey.objects.get(holder=door.worker, lock=door.lock)
    browser_session.goto(leader, f"/locks/keys/{key.pk}/revoke/", "revoke")
    leader.locator("textarea[name=reason]").fill("Telefonen borttappad")
    leader.locator("main form button[type=submit]").click()
    expect(leader.locator(".messages")).to_contain_text("Vera Ek")
    contact(simulated, door.lock)

    page.context.set_offline(True)
    card.get_by_role("button", name="Lås upp").click()
    result = card.locator(".door-result")
    expect(result).to_contain_text("Låset nekade")
    expect(result).to_contain_text("spärrad")
    expect(result.locator("a.door-fault")).to_have_count(0)  # a revoked key is no lock fault
    expect(card.get_by_role("button", name="Lås upp")).to_be_disabled()
    browser_session.shot(page, "refused-revoked")

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_have_text("Allt är skickat", timeout=20_000)
    refused = LockEvent.objects.get(kind="failed")
    assert (refused.refusal, refused.key_id) == ("revoked", key.pk)
    # Fetching anew with network, the phone learns it holds no key: the door is gone.
    expect(page.locator("#door-list li")).to_have_count(0)
    expect(page.locator("#doors-reason")).to_be_visible()

    browser_session.goto(leader, f"/locks/{door.lock.pk}/", "lock-log")
    expect(leader.locator(f"#lock-event-{refused.pk}")).to_contain_text("spärrad")


def test_a_lock_that_does_not_answer_leads_to_the_fault_report(
    browser_session: Session, door: Door
) -> None:
    def silent_lock(lock_id: str, token: str) -> dict[str, Any]:
        raise RuntimeError("no answer over Bluetooth")

    page = browser_session.new_page(phone=True)
    page.context.expose_function("tryggDoorLink", silent_lock)
    browser_session.login(page, door.worker)
    browser_session.goto(page, APP, "doors")
    expect(page.locator("#door-app")).to_have_attribute("data-doors", "fresh")
    card = page.locator(f"#door-{door.lock.lock_id}")
    card.get_by_role("button", name="Lås upp").click()
    result = card.locator(".door-result")
    expect(result).to_contain_text("reservnyckeln")
    browser_session.shot(page, "lock-silent")
    result.get_by_role("link", name="Felanmäl lås").click()
    # The report opens with this client's door chosen; it tells what to do now.
    chosen = page.locator("select[name=lock]")
    expect(chosen).to_have_value(f"{door.lock.pk}:{door.client.pk}")
    page.locator("input[name=symptom]").first.check()
    page.locator("form[action='/locks/faults/'] button[type=submit]").click()
    expect(page.locator("#step-backup-key")).to_be_visible()
    browser_session.shot(page, "fault-what-now")
