"""The pages a care worker uses on the round fit a phone: nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trygg.core.constants import Role
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
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    page = browser_session.new_page(phone=True)
    browser_session.login(page, worker)

    browser_session.goto(page, f"/clients/{client.pk}/", "client-record-phone")

    assert horizontal_overflow(page) <= 0, "the client record scrolls sideways on a phone"
