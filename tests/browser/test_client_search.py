"""The client list: live search without a page reload, inside the provider's own clients."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from trygg.core.constants import Role
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff

from .support import Session

pytestmark = pytest.mark.browser


def search(page: Page, text: str) -> None:
    """Type into the search box and wait for htmx to swap in the matching rows."""
    with page.expect_response(
        lambda r: "/clients/?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as response:
        page.fill("input[type=search][name=q]", text)
    assert response.value.ok


def test_a_care_worker_finds_own_client_and_never_another_providers(
    browser_session: Session,
) -> None:
    own = ProviderFactory(name="Hemtjänst Norr")
    other = ProviderFactory(municipality=own.municipality, name="Omsorg Syd AB")
    team = TeamFactory(provider=own)
    mine = ClientFactory(provider=own, team=team, first_name="Greta", last_name="Berglund")
    ClientFactory(provider=own, team=team, first_name="Nils", last_name="Ek")
    theirs = ClientFactory(provider=other, first_name="Hemlig", last_name="Berglund")
    worker = make_staff(Role.CARE_WORKER, provider=own, teams=[team])
    page = browser_session.new_page()
    browser_session.login(page, worker)
    browser_session.goto(page, "/clients/", "client-list")
    rows = page.locator("#client-rows tbody tr")
    expect(rows).to_have_count(2)
    page.evaluate("window.__sameDocument = true")

    search(page, "Berglund")

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Berglund, Greta")
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the page"
    expect(page).to_have_url(re.compile(r"/clients/\?(.*&)?q=Berglund"))
    browser_session.shot(page, "searched-Berglund")
    html = page.content()
    assert theirs.first_name not in html
    assert theirs.masked_national_id not in html
    assert "Omsorg Syd" not in page.locator("#client-rows").inner_text()

    # By national id: the other provider's client stays invisible, exact id or not.
    search(page, theirs.national_id)
    expect(rows).to_have_count(0)
    browser_session.shot(page, "searched-other-providers-id")
    assert theirs.first_name not in page.content()

    search(page, mine.national_id)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Berglund, Greta")


def test_the_list_shows_national_ids_masked_and_the_record_in_full(
    browser_session: Session,
) -> None:
    provider = ProviderFactory()
    client = ClientFactory(provider=provider, first_name="Karin", last_name="Holm")
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    page = browser_session.new_page()
    browser_session.login(page, worker)

    browser_session.goto(page, "/clients/", "client-list")
    row = page.locator("#client-rows tbody tr", has_text="Holm, Karin")
    expect(row).to_contain_text(client.masked_national_id)
    assert client.display_national_id not in page.content()
    assert client.national_id not in page.content()

    with page.expect_navigation():
        row.get_by_role("link").click()
    browser_session.shot(page, "client-detail")
    expect(page).to_have_url(f"{browser_session.base_url}/clients/{client.pk}/")
    expect(page.locator("h1")).to_contain_text("Karin Holm")
    expect(page.locator("main")).to_contain_text(client.display_national_id)
