"""The new-order form's client picker on a phone, with the keyboard alone (issue 12): a
search over the team's clients, a wider one on purpose, and the order placed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trygg.core.constants import Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType

from .support import Session

pytestmark = pytest.mark.browser


def searched(page: Page, action: object) -> None:
    with page.expect_response(lambda r: "/clients/?" in r.url) as response:
        action()  # type: ignore[operator]
    assert response.value.ok


def test_a_team_leader_picks_a_client_with_the_keyboard_on_a_phone(
    browser_session: Session,
) -> None:
    provider = ProviderFactory(name="Hemtjänst Norr")
    other = ProviderFactory(municipality=provider.municipality, name="Omsorg Syd AB")
    ensure_default_catalogue(provider.municipality)
    own, neighbour = TeamFactory(provider=provider), TeamFactory(provider=provider)
    ClientFactory(provider=provider, team=own, first_name="Greta", last_name="Berglund")
    wanted = ClientFactory(provider=provider, team=neighbour, first_name="Olle", last_name="Berg")
    hidden = ClientFactory(provider=other, first_name="Hemlig", last_name="Bergström")
    # Named, so a generated surname in the header cannot be taken for a client's.
    leader = make_staff(
        Role.TEAM_LEADER, provider=provider, teams=[own], first_name="Lea", last_name="Ledare"
    )
    order_type = OrderType.objects.get(municipality=provider.municipality, code="nfc_tags")

    page = browser_session.new_page(phone=True)
    browser_session.login(page, leader)
    browser_session.goto(page, f"/orders/new/{order_type.pk}/", "order-form")
    assert "Berglund" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.focus("#id_client")
    searched(page, lambda: page.keyboard.type("Berg"))
    options = page.locator(".picker-results .picker-option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Berglund, Greta")
    page.keyboard.press("Enter")  # in the search box: never places the order
    expect(page).to_have_url(f"{browser_session.base_url}/orders/new/{order_type.pk}/")
    browser_session.shot(page, "own-team")

    page.keyboard.press("Tab")  # to "search all my clients"
    searched(page, lambda: page.keyboard.press("Space"))
    expect(options).to_have_count(2)
    assert hidden.last_name not in page.content()
    browser_session.shot(page, "wider")

    page.keyboard.press("Tab")  # into the radio group, on its first match: Berg, Olle
    page.keyboard.press("Space")
    expect(page.locator(f"input[type=radio][value='{wanted.pk}']")).to_be_checked()
    page.keyboard.press("ArrowDown")  # arrows move the choice, as in any radio group
    expect(page.locator(f"input[type=radio][value='{wanted.pk}']")).not_to_be_checked()
    page.keyboard.press("ArrowUp")
    expect(page.locator(f"input[type=radio][value='{wanted.pk}']")).to_be_checked()
    page.fill("#id_count", "2")
    page.keyboard.press("Enter")
    page.wait_for_url("**/orders/*/")
    browser_session.shot(page, "placed")
    assert Order.objects.get().client == wanted
    assert AccessLogEntry.objects.filter(client=hidden).count() == 0
