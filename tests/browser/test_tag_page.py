"""The tag page on a phone, in Chromium (which has no NFC here): the welfare-technology team
finds the client by typing part of the name, a tap opens them, a mistyped code is caught
before anything is sent, the code read off a worn label is registered at the chosen door,
and a tag is taken down with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from trygg.core.constants import Role
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff
from trygg.devices.models import NfcTag
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes

from .support import Session

pytestmark = pytest.mark.browser


def test_the_team_registers_a_tag_and_takes_one_down(
    browser_session: Session, transactional_db: None
) -> None:
    provider = ProviderFactory(name="Hemtjänst Öst")
    team = TeamFactory(provider=provider, name="Öster")
    client = ClientFactory(
        provider=provider,
        team=team,
        first_name="Märta",
        last_name="Mörnerfalk",
        street="Östergatan 9",
        start_date=dt.date(2024, 1, 1),
    )
    tech = make_staff(Role.WELFARE_TECH, municipality=provider.municipality)
    old = place_tag(tech, client, code=tagcodes.generate(), placed_on=dt.date(2024, 2, 1))
    page = browser_session.new_page(phone=True)
    browser_session.login(page, tech)
    browser_session.goto(page, "/visits/tags/", "tag-page")

    page.get_by_role("searchbox").fill("Mörner")
    option = page.locator(".picker-results label", has_text="Mörnerfalk, Märta")
    expect(option).to_be_visible()
    with page.expect_navigation():
        option.click()
    expect(page.get_by_role("heading", name="Mörnerfalk, Märta")).to_be_visible()
    expect(page.locator(f"#tag-{old.pk}")).to_contain_text("På plats")
    # No NFC and no camera here: the page says to type the code, and offers no scan button.
    expect(page.locator("#tag-scan-state")).to_contain_text("skriv koden")
    expect(page.get_by_role("button", name="Skanna taggen")).to_be_hidden()

    code = tagcodes.generate()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    field = page.get_by_label("Taggkod")
    field.fill(wrong)
    page.get_by_role("button", name="Registrera taggen").click()
    expect(page.locator("#tag-code-error")).to_contain_text("kontrollera varje tecken")
    assert not NfcTag.objects.filter(code=code).exists()
    browser_session.shot(page, "mistyped")

    # Read off a worn label: small letters, no dash.
    field.fill(code.replace("-", "").lower())
    page.get_by_label("Altan- eller bakdörr").check()
    page.get_by_label("Var vid dörren (frivilligt)").fill("Innanför altandörren")
    with page.expect_navigation():
        page.get_by_role("button", name="Registrera taggen").click()
    expect(page.locator(".messages")).to_contain_text(f"Tagg {code} är registrerad")
    tag = NfcTag.objects.get(code=code)
    assert (tag.client_id, tag.door, tag.location, tag.registered_by) == (
        client.pk,
        "back",
        "Innanför altandörren",
        tech,
    )
    expect(page.locator(f"#tag-{tag.pk}")).to_contain_text("Altan- eller bakdörr")
    expect(page.locator(f"#tag-{old.pk}")).to_contain_text("På plats")  # the front door's
    browser_session.shot(page, "registered")

    item = page.locator(f"#tag-{old.pk}")
    item.get_by_text("Ta ned", exact=True).click()
    item.get_by_label("Varför tas den ned?").select_option("broken")
    with page.expect_navigation():
        item.get_by_role("button", name=f"Ta ned {old.code}").click()
    expect(page.locator(f"#tag-{old.pk}")).to_contain_text("Trasig eller går inte att läsa")
    old.refresh_from_db()
    assert (old.retired_reason, old.retired_by) == ("broken", tech)
    browser_session.shot(page, "taken-down")
