"""Logging in: a wrong password is refused with a message, the right one opens the start page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trygg.core.constants import Role
from trygg.core.tests.factories import ProviderFactory, make_staff

from .support import Session

pytestmark = pytest.mark.browser


def test_it_refuses_a_wrong_password_with_a_message(browser_session: Session) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory(), first_name="Astrid")
    page = browser_session.new_page()

    browser_session.login(page, worker, password="not-the-password")

    expect(page).to_have_url(f"{browser_session.base_url}/login/")
    expect(page.locator("[role=alert]")).to_be_visible()
    expect(page.locator("[role=alert]")).not_to_be_empty()
    expect(page.locator("form.logout")).to_have_count(0)


def test_it_opens_the_start_page_with_the_right_password(browser_session: Session) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory(), first_name="Astrid")
    page = browser_session.new_page()

    browser_session.login(page, worker)

    expect(page).to_have_url(f"{browser_session.base_url}/")
    expect(page.locator("h1")).to_contain_text("Astrid")
    expect(page.locator("[role=alert]")).to_have_count(0)
    expect(page.locator("form.logout")).to_be_visible()
