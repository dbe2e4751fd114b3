"""The visit app on a care worker's phone, in Chromium: visits registered without network
reach Trygg once each when it returns, a refused one says why and can be changed and sent
again, and the phone's data stays with the person logged in."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from playwright.sync_api import Page, expect

from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind, AlarmStatus
from trygg.core.constants import Role
from trygg.core.models import Client, Provider, User
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.models import AlarmProtocol
from trygg.devices.services import register_alarm_unit
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes
from trygg.visits.models import Outcome, PeriodLock, Presence, Visit

from . import support
from .support import Session

pytestmark = pytest.mark.browser
APP = "/visits/phone/"
SYNC = "/api/v1/visits/sync"


@dataclass
class Round:
    provider: Provider
    worker: User
    colleague: User
    leader: User
    tech: User
    clients: list[Client]  # the first three have a tag at the door, the last has none
    codes: list[str]


@pytest.fixture
def round_(transactional_db: None) -> Round:
    provider = ProviderFactory(name="Hemtjänst Norr")
    municipality = provider.municipality
    team = TeamFactory(provider=provider, name="Norr")
    care = ServiceTypeFactory(municipality=municipality, code="PERS", name="Personlig omvårdnad")
    meals = ServiceTypeFactory(
        municipality=municipality, code="MAT", name="Matdistribution", category="meal_delivery"
    )
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    clients = []
    codes = []
    for n, (first, last) in enumerate(
        [("Astrid", "Ahlgren"), ("Bertil", "Berglöf"), ("Cecilia", "Cederholm"), ("Doris", "Dahl")]
    ):
        client = ClientFactory(
            provider=provider,
            team=team,
            first_name=first,
            last_name=last,
            street=f"Storgatan {n + 1}",
            start_date=dt.date(2024, 1, 1),
        )
        GrantedServiceFactory(client=client, service_type=care, provider=provider)
        if n == 1:
            GrantedServiceFactory(client=client, service_type=meals, provider=provider)
        if n < 3:
            code = tagcodes.generate()
            place_tag(tech, client, code=code, placed_on=dt.date(2024, 2, 1))
            codes.append(code)
        clients.append(client)
    return Round(
        provider=provider,
        worker=make_staff(
            Role.CARE_WORKER, provider=provider, teams=[team], first_name="Vera", last_name="Ek"
        ),
        colleague=make_staff(
            Role.CARE_WORKER, provider=provider, teams=[team], first_name="Kim", last_name="Ås"
        ),
        leader=make_staff(Role.TEAM_LEADER, provider=provider, teams=[team]),
        tech=tech,
        clients=clients,
        codes=codes,
    )


def log_out(page: Page) -> None:
    """Tap "Logga ut" in the header; on a phone it sits in the folded menu."""
    toggle = page.locator("button.menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("button", name="Logga ut").click()


def open_app(session: Session, page: Page, label: str = "visit-app") -> None:
    session.goto(page, APP, label)
    expect(page.locator("#visit-app")).to_have_attribute("data-day", "fresh")
    expect(page.locator("#client-list li[id^=client-]").first).to_be_visible()


def wait_until_kept_for_offline(page: Page) -> None:
    support.wait_until_kept_for_offline(
        page, (APP, "/static/visits/phone.js", "/static/visits/store.js", "/static/trygg/trygg.css")
    )


def scan_code(page: Page, code: str) -> None:
    expect(page.locator("#view-scan")).to_be_visible()
    page.get_by_label("Koden på taggen").fill(code)
    page.locator("#code-form").get_by_role("button", name="OK").click()


def visit_with_the_tag(page: Page, code: str, typed: str | None = None) -> None:
    page.get_by_role("button", name="Skanna taggen").click()
    scan_code(page, typed or code)
    expect(page.locator("#view-visit")).to_be_visible()
    page.get_by_role("button", name="Gå: skanna taggen").click()
    scan_code(page, code)
    expect(page.locator("#view-day")).to_be_visible()


def waiting(page: Page) -> Any:
    return expect(page.locator("#queue-button"))


def test_visits_registered_offline_reach_trygg_once_each(
    browser_session: Session, round_: Round
) -> None:
    astrid, bertil, cecilia, _doris = round_.clients
    page = browser_session.new_page(phone=True)
    batches: list[str] = []
    page.on(
        "response",
        lambda response: (
            batches.append(response.request.post_data or "")
            if response.url.endswith(SYNC) and response.ok
            else None
        ),
    )
    browser_session.login(page, round_.worker)
    open_app(browser_session, page, "day-list")
    wait_until_kept_for_offline(page)

    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("Ingen anslutning")

    # Typed as it is read off a worn label: small letters, no dash, an O for a zero.
    visit_with_the_tag(page, round_.codes[0], round_.codes[0].replace("-", "").lower())
    waiting(page).to_have_text("Väntar: 1")

    page.get_by_role("button", name="Skanna taggen").click()
    scan_code(page, round_.codes[1])
    expect(page.locator("#visit-name")).to_have_text(bertil.full_name)
    tasks = page.locator("#visit-tasks input[type=checkbox]")
    expect(tasks).to_have_count(2)  # both granted services, planned, ticked
    expect(tasks.nth(0)).to_be_checked()
    expect(tasks.nth(1)).to_be_checked()
    page.get_by_label("Matdistribution").uncheck()
    browser_session.shot(page, "visit-in-progress")
    page.get_by_role("button", name="Gå: skanna taggen").click()
    scan_code(page, round_.codes[1])
    waiting(page).to_have_text("Väntar: 2")

    # Cecilia's tag has come off the door: a visit without it, with the reason.
    page.get_by_role("button", name="Skanna taggen").click()
    page.locator("#no-tag summary").click()
    page.get_by_label("Brukare", exact=True).select_option(str(cecilia.pk))
    page.get_by_label("Taggen saknas eller är trasig").check()
    page.get_by_role("button", name="Fortsätt utan tagg").click()
    expect(page.locator("#visit-since")).to_contain_text("utan tagg")
    page.get_by_role("button", name="Gå: skanna taggen").click()
    page.locator("#no-tag summary").click()
    expect(page.get_by_label("Taggen saknas eller är trasig")).to_be_checked()
    page.get_by_role("button", name="Fortsätt utan tagg").click()
    waiting(page).to_have_text("Väntar: 3")
    browser_session.shot(page, "offline-three-waiting")

    # The phone restarts, still without network: the app and what waits are still there.
    page.reload()
    expect(page.locator("#visit-app")).to_have_attribute("data-state", "ready")
    waiting(page).to_have_text("Väntar: 3")
    expect(page.locator("#client-list li[id^=client-]")).to_have_count(4)
    expect(page.locator("#done-list li")).to_have_count(3)
    browser_session.shot(page, "offline-after-reload")
    assert not Visit.objects.exists()

    page.context.set_offline(False)
    waiting(page).to_have_text("Allt är skickat", timeout=20_000)
    expect(page.locator("#done-list .badge.ok")).to_have_count(3)
    browser_session.shot(page, "all-sent")

    visits = {
        visit.client_id: visit for visit in Visit.objects.prefetch_related("tasks__service_type")
    }
    assert set(visits) == {astrid.pk, bertil.pk, cecilia.pk}
    assert Visit.objects.count() == 3
    assert all(visit.staff_id == round_.worker.pk for visit in visits.values())
    assert visits[astrid.pk].arrival == Presence.CODE
    assert visits[astrid.pk].tag is not None
    assert [task.service_type.code for task in visits[bertil.pk].tasks.all()] == ["PERS"]
    assert visits[cecilia.pk].arrival == Presence.NONE
    assert visits[cecilia.pk].no_tag_reason == "tag_missing"
    assert all(visit.outcome == Outcome.PERFORMED for visit in visits.values())

    # The same batch again (the phone never heard the answer): nothing new is stored.
    sent = [json.loads(body) for body in batches]
    items = [item for batch in sent for item in batch["items"]]
    assert sorted(item["id"] for item in items) == sorted(str(v.uuid) for v in visits.values())
    answer = page.evaluate(
        """async (batch) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch("/api/v1/visits/sync", {
                method: "POST", credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRFToken": token },
                body: JSON.stringify(batch) });
            return response.json();
        }""",
        {"sent_at": sent[0]["sent_at"], "items": items},
    )
    assert (answer["accepted"], answer["duplicates"], answer["refused"]) == (0, 3, 0)
    assert Visit.objects.count() == 3


def test_a_refused_registration_says_why_and_can_be_changed_and_sent_again(
    browser_session: Session, round_: Round
) -> None:
    astrid, bertil, *_rest = round_.clients
    today = round_.provider.municipality.today()
    PeriodLock.objects.create(provider=round_.provider, locked_through=today, set_by=round_.leader)
    page = browser_session.new_page(phone=True)
    browser_session.login(page, round_.worker)
    open_app(browser_session, page)

    visit_with_the_tag(page, round_.codes[0])
    page.get_by_role("button", name="Skanna taggen").click()
    scan_code(page, round_.codes[1])
    page.get_by_role("button", name="Inte hemma").click()
    waiting(page).to_have_text("Nekade: 2", timeout=15_000)

    page.locator("#queue-button").click()
    refused = page.locator("#refused-list li")
    expect(refused).to_have_count(2)
    reason = f"{today:%Y-%m-%d} är låst för ändringar; fråga din chef."
    expect(refused.first.locator(".refusal")).to_have_text(reason)
    expect(refused.first).to_contain_text(astrid.full_name)
    browser_session.shot(page, "queue-refused")
    assert not Visit.objects.exists()

    # The manager opens the day again; the worker sends Astrid's visit again and throws the
    # other one away.
    PeriodLock.objects.all().delete()
    refused.filter(has_text=astrid.full_name).get_by_role(
        "button", name="Ändra och skicka igen"
    ).click()
    expect(page.locator("#fix-refusal")).to_have_text(reason)
    browser_session.shot(page, "change-refused")
    page.get_by_role("button", name="Skicka igen").click()
    refused.filter(has_text=bertil.full_name).get_by_role("button", name="Släng").click()
    expect(page.locator("#confirm-text")).to_have_text(
        "Slänga den här registreringen? Den skickas aldrig."
    )
    page.locator("#confirm").get_by_role("button", name="Ja").click()
    waiting(page).to_have_text("Allt är skickat", timeout=15_000)
    expect(page.locator("#queue-empty")).to_be_visible()
    assert list(Visit.objects.values_list("client_id", flat=True)) == [astrid.pk]


def test_the_phone_s_data_stays_with_the_person_logged_in(
    browser_session: Session, round_: Round
) -> None:
    astrid, *_rest = round_.clients
    page = browser_session.new_page(phone=True)
    browser_session.login(page, round_.worker)
    open_app(browser_session, page)
    # Trygg cannot be reached for a while: the registration waits on the phone.
    page.route(f"**{SYNC}", lambda route: route.abort("internetdisconnected"))
    visit_with_the_tag(page, round_.codes[0])
    waiting(page).to_have_text("Väntar: 1")

    # Logging out with a registration not yet sent: the phone warns, and keeps it.
    log_out(page)
    expect(page.locator("#confirm-text")).to_contain_text("En registrering är inte skickad än")
    browser_session.shot(page, "logout-warning")
    page.locator("#confirm").get_by_role("button", name="Nej, tillbaka").click()
    expect(page.locator("#view-day")).to_be_visible()
    log_out(page)
    page.locator("#confirm").get_by_role("button", name="Ja").click()
    expect(page.locator("#id_username")).to_be_visible()
    page.unroute(f"**{SYNC}")
    # The day's clients went with the session (the worker deleted the database).
    page.wait_for_function(
        """() => indexedDB.databases().then((all) =>
            !all.some((db) => db.name === "trygg-session-visits"))"""
    )
    assert not Visit.objects.exists()

    # A colleague logs in on the same phone: their own day, nothing of the first person's.
    browser_session.login(page, round_.colleague)
    open_app(browser_session, page, "colleague")
    waiting(page).to_have_text("Allt är skickat")
    expect(page.locator("#done-list li")).to_have_count(0)
    page.locator("#queue-button").click()
    expect(page.locator("#other-users")).to_contain_text(
        "En registrering av en annan person väntar"
    )
    expect(page.locator("#waiting-list li")).to_have_count(0)
    page.locator("#view-queue").get_by_role("button", name="Tillbaka").click()
    log_out(page)
    expect(page.locator("#id_username")).to_be_visible()
    assert not Visit.objects.exists()

    # The first person logs in again: what waited is sent, as theirs.
    browser_session.login(page, round_.worker)
    open_app(browser_session, page, "worker-again")
    waiting(page).to_have_attribute("data-waiting", "0", timeout=15_000)
    waiting(page).to_have_text("Allt är skickat")
    visit = Visit.objects.get()
    assert (visit.client_id, visit.staff_id) == (astrid.pk, round_.worker.pk)

    # The session ends on the server (the phone was reported lost): the app forgets the day.
    DjangoSession.objects.all().delete()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#view-signed-out")).to_be_visible()
    expect(page.locator("#client-list li")).to_have_count(0)
    kept_days = page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("trygg-session-visits");
            open.onerror = open.onblocked = () => resolve("not opened");
            open.onsuccess = () => {
                const db = open.result;
                try {
                    const keys = db.transaction("day").objectStore("day").getAllKeys();
                    keys.onsuccess = () => { db.close(); resolve(keys.result); };
                    keys.onerror = () => { db.close(); resolve("not read"); };
                } catch (error) {
                    db.close();
                    resolve(String(error));
                }
            };
        })"""
    )
    assert kept_days == []
    browser_session.shot(page, "signed-out")


def test_a_visit_after_an_alarm_carries_the_alarm(browser_session: Session, round_: Round) -> None:
    astrid, *_rest = round_.clients
    safety_alarm = ServiceTypeFactory(
        municipality=astrid.municipality, code="LARM", name="Trygghetslarm", category="safety_alarm"
    )
    GrantedServiceFactory(client=astrid, service_type=safety_alarm, provider=round_.provider)
    unit = register_alarm_unit(
        round_.tech,
        round_.provider.municipality,
        serial_number="SN-1",
        model_name="Testlarm",
        protocol=AlarmProtocol.DC09,
        heartbeat_interval=300,
        dc09_account="A123",
    )
    alarm = Alarm.objects.create(
        municipality=round_.provider.municipality,
        unit=unit,
        client=astrid,
        provider=round_.provider,
        team=astrid.team,
        kind=AlarmKind.ALARM,
        category=AlarmCategory.CARE,
        status=AlarmStatus.ACKNOWLEDGED,
        assigned_to=round_.worker,
    )
    page = browser_session.new_page(phone=True)
    browser_session.login(page, round_.worker)
    # The alarm phone's "Register visit" link (trygg/visits/tests/test_phone.py); the alarm
    # phone itself needs the alarm stream, which the live server does not serve.
    browser_session.goto(page, f"{APP}?alarm={alarm.pk}&client={astrid.pk}", "after-alarm")
    expect(page.locator("#alarm-text")).to_have_text(
        f"Besök efter larm hos {astrid.full_name}: skanna taggen vid dörren."
    )
    page.get_by_role("button", name="Skanna taggen").click()
    scan_code(page, round_.codes[0])
    expect(page.locator("#visit-alarm")).to_be_visible()
    # Answering the alarm is the task ticked in advance; the planned care is not.
    expect(page.get_by_label("Trygghetslarm")).to_be_checked()
    expect(page.get_by_label("Personlig omvårdnad")).not_to_be_checked()
    page.get_by_role("button", name="Gå: skanna taggen").click()
    scan_code(page, round_.codes[0])
    expect(page.locator("#done-list .badge.ok")).to_have_text("Skickad", timeout=15_000)
    visit = Visit.objects.get()
    assert visit.alarm_id == alarm.pk
    assert [task.service_type.code for task in visit.tasks.all()] == ["LARM"]
    expect(page.locator("#alarm-banner")).to_be_hidden()


# Web NFC as Chrome on Android has it, with the reading permission already given: the
# page's script sees the same API, and the test holds "the phone" against the tag.
FAKE_NFC = """
window.NDEFReader = class {
    async scan() { window.__reader = this; }
};
const realQuery = navigator.permissions.query.bind(navigator.permissions);
navigator.permissions.query = (what) =>
    what && what.name === "nfc" ? Promise.resolve({ state: "granted" }) : realQuery(what);
"""
HOLD_TO_TAG = """(link) => window.__reader.onreading({
    serialNumber: "04:a2:3b:4c:5d:6e:7f",
    message: { records: [{ recordType: "url", data: new TextEncoder().encode(link) }] },
})"""


def test_with_nfc_a_visit_is_two_scans_and_no_tap(browser_session: Session, round_: Round) -> None:
    astrid, *_rest = round_.clients
    page = browser_session.new_page(phone=True)
    page.context.add_init_script(FAKE_NFC)
    browser_session.login(page, round_.worker)
    open_app(browser_session, page, "nfc-ready")
    expect(page.locator("#nfc-state")).to_have_text("Håll telefonen mot taggen.")
    link = f"{browser_session.base_url}/t/{round_.codes[0]}"

    page.evaluate(HOLD_TO_TAG, link)
    expect(page.locator("#visit-name")).to_have_text(astrid.full_name)
    expect(page.locator("#visit-since")).to_contain_text("tagg skannad")
    expect(page.get_by_label("Personlig omvårdnad")).to_be_checked()
    # Read again at once (held a moment too long): the same scan, not the departure.
    page.evaluate(HOLD_TO_TAG, link)
    page.wait_for_timeout(300)
    expect(page.locator("#view-visit")).to_be_visible()
    page.wait_for_timeout(5_000)
    page.evaluate(HOLD_TO_TAG, link)
    expect(page.locator("#done-list .badge.ok")).to_have_text("Skickad", timeout=15_000)

    visit = Visit.objects.get()
    assert (visit.client_id, visit.arrival, visit.departure) == (
        astrid.pk,
        Presence.TAG,
        Presence.TAG,
    )
    assert visit.tag is not None
    assert visit.tag.code == round_.codes[0]


def test_the_phone_reads_tag_codes_as_trygg_does(browser_session: Session) -> None:
    """The phone's check of a typed code (visits/static/visits/tagcode.js) agrees with
    lib.tagcodes, so a code the phone lets through is one the server knows how to read."""
    rng = random.Random(13)
    texts: list[str] = []
    for _ in range(40):
        code = tagcodes.generate()
        compact = code.replace("-", "")
        position = rng.randrange(8)
        typo = compact[:position] + rng.choice(tagcodes.ALPHABET) + compact[position + 1 :]
        swap = rng.randrange(7)
        swapped = compact[:swap] + compact[swap + 1] + compact[swap] + compact[swap + 2 :]
        texts += [code, compact.lower(), f"https://trygg.example/t/{code}", typo, swapped]
    texts += ["", "7K3M", "7K3M-Q9XU", "7k3m q9xb", "OOOO-OOOO", "https://x/t/7K3MQ9XB/?a=1"]

    def python(text: str) -> str:
        try:
            return tagcodes.parse(text)
        except tagcodes.InvalidTagCode:
            return "invalid"

    page = browser_session.new_page()
    browser_session.goto(page, "/login/")
    phone = page.evaluate(
        """async (texts) => {
            const { parse } = await import("/static/visits/tagcode.js");
            return texts.map((text) => {
                try { return parse(text); } catch (error) { return "invalid"; }
            });
        }""",
        texts,
    )
    assert phone == [python(text) for text in texts]


def test_a_day_without_clients_says_so_rather_than_no_match(
    browser_session: Session, round_: Round
) -> None:
    """A night patrol's team has no clients of its own: the list says the day is empty, not
    that a search matched nothing."""
    patrol = TeamFactory(provider=round_.provider, name="Larmpatrull natt")
    night = make_staff(Role.CARE_WORKER, provider=round_.provider, teams=[patrol])
    page = browser_session.new_page(phone=True)
    browser_session.login(page, night)
    browser_session.goto(page, APP, "empty-day")
    expect(page.locator("#visit-app")).to_have_attribute("data-day", "fresh")
    expect(page.locator("#client-list")).to_have_text("Dina arbetslag har inga brukare i dag.")
    page.locator("#client-search").fill("Ahl")
    expect(page.locator("#client-list")).to_have_text("Dina arbetslag har inga brukare i dag.")
