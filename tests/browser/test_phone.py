"""The pages a care worker uses on the round fit a phone: nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from trygg.core.constants import ConsentRelation, Role, Technology
from trygg.core.models import Consent
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)

from .support import Session

pytestmark = pytest.mark.browser


def horizontal_overflow(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_the_client_list_fits_a_phone(browser_session: Session) -> None:
    provider = ProviderFactory(name="Hemtjänst Västra Stadsdelen Omsorgsförvaltning")
    team = TeamFactory(provider=provider, name="Nattpatrullen Västra")
    for n in range(8):
        ClientFactory(
            provider=provider,
            team=team,
            first_name="Karl-Gustav Fredrik",
            last_name=f"Andersson-Lindqvist {n}",
            street=f"Långa Kyrkogårdsvägen {n + 100} lägenhet 1402",
        )
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    page = browser_session.new_page(phone=True)
    browser_session.login(page, worker)
    assert horizontal_overflow(page) <= 0

    browser_session.goto(page, "/clients/", "client-list-phone")

    assert page.evaluate("document.documentElement.clientWidth") == 390
    assert horizontal_overflow(page) <= 0, "the client list scrolls sideways on a phone"
    search = page.locator("input[type=search][name=q]")
    expect(search).to_be_visible()
    box = search.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    expect(page.locator("#client-rows tbody tr")).to_have_count(8)


def test_a_client_record_fits_a_phone(browser_session: Session) -> None:
    provider = ProviderFactory()
    client = ClientFactory(provider=provider, street="Långa Kyrkogårdsvägen 114 lägenhet 1402")
    GrantedServiceFactory(client=client)
    # A consent due for review: its date and the badge after it share one cell.
    Consent.objects.create(
        client=client,
        technology=Technology.SENSOR_SUPERVISION,
        given_by=client.full_name,
        relation=ConsentRelation.CLIENT,
        given_on=dt.date(2025, 1, 5),
        review_on=dt.date(2025, 7, 5),
    )
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    page = browser_session.new_page(phone=True)
    browser_session.login(page, worker)

    browser_session.goto(page, f"/clients/{client.pk}/", "client-record-phone")

    expect(page.locator("#consents .badge.warn")).to_be_visible()
    assert horizontal_overflow(page) <= 0, "the client record scrolls sideways on a phone"


def test_the_menu_folds_into_one_button_on_a_phone(browser_session: Session) -> None:
    """Every page starts with one short row on a phone; one tap shows the whole menu, each
    entry inside the screen and big enough for a thumb, and Escape folds it again."""
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    page = browser_session.new_page(phone=True)
    browser_session.login(page, worker)
    browser_session.goto(page, "/clients/", "menu-folded-phone")

    toggle = page.locator("button.menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_contain_text("Brukare")  # where the person is
    header = page.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] <= 70, "the folded header takes more than one short row"
    links = page.locator(".mainnav a")
    expect(links.first).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    browser_session.shot(page, "menu-open-phone")
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        assert box["height"] >= 44
    expect(page.locator(".mainnav a", has_text="Registrera besök")).to_be_visible()
    expect(page.locator("form.logout button")).to_be_visible()

    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()


def test_the_menu_stays_a_bar_on_a_desktop(browser_session: Session) -> None:
    provider = ProviderFactory()
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    page = browser_session.new_page()
    browser_session.login(page, worker)
    browser_session.goto(page, "/clients/", "menu-desktop")
    expect(page.locator("button.menu-toggle")).to_be_hidden()
    expect(page.locator(".mainnav a", has_text="Brukare")).to_be_visible()
