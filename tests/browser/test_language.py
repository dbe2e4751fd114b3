"""Switching the interface language: Swedish by default, then English and Norwegian."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trygg.core.constants import Role
from trygg.core.tests.factories import ProviderFactory, make_staff

from .support import Session

pytestmark = pytest.mark.browser


def switch_language(page: Page, code: str) -> None:
    with page.expect_navigation():
        page.click(f"form.langs button[value={code}]")


def test_switching_language_changes_the_interface(browser_session: Session) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory())
    page = browser_session.new_page()
    browser_session.login(page, worker)
    html = page.locator("html")
    logout = page.locator("form.logout button[type=submit]")
    expect(html).to_have_attribute("lang", "sv")

    switch_language(page, "en")
    browser_session.shot(page, "english")
    expect(html).to_have_attribute("lang", "en")
    expect(logout).to_have_text("Log out")
    expect(page.locator("form.langs button[value=en]")).to_have_attribute("aria-pressed", "true")
    # The choice sticks: a cookie, not a one-page parameter.
    browser_session.goto(page, "/clients/", "clients-in-english")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Clients")

    switch_language(page, "nb")
    browser_session.shot(page, "norwegian")
    expect(page).to_have_url(f"{browser_session.base_url}/clients/")
    expect(html).to_have_attribute("lang", "nb")
    expect(page.locator("form.langs button[value=nb]")).to_have_attribute("aria-pressed", "true")
    expect(logout).not_to_have_text("Log out")
