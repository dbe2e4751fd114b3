"""A client's record: granted services, and the door code shown only on request and logged."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    make_staff,
)

from .support import Session

pytestmark = pytest.mark.browser


def test_the_record_shows_granted_services(browser_session: Session) -> None:
    provider = ProviderFactory()
    client = ClientFactory(provider=provider, first_name="Sven", last_name="Dahl")
    for code, name, minutes in [("PERS", "Personlig omvårdnad", 300), ("INK", "Inköp", 60)]:
        GrantedServiceFactory(
            client=client,
            service_type=ServiceTypeFactory(
                municipality=provider.municipality, code=code, name=name
            ),
            granted_minutes=minutes,
            valid_from=dt.date(2024, 3, 1),
        )
    worker = make_staff(Role.CARE_WORKER, provider=provider)
    page = browser_session.new_page()
    browser_session.login(page, worker)

    browser_session.goto(page, f"/clients/{client.pk}/", "client-record")

    services = page.locator("section.card", has=page.locator("td", has_text="Inköp"))
    expect(services.locator("tbody tr")).to_have_count(2)
    expect(services).to_contain_text("Personlig omvårdnad")
    expect(services).to_contain_text("300 min")
    expect(services).to_contain_text("60 min")
    expect(services).to_contain_text("2024-03-01")


def test_show_door_code_reveals_it_and_logs_the_reading(browser_session: Session) -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    client = ClientFactory(provider=provider, team=team, door_code="4711#")
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    page = browser_session.new_page()
    browser_session.login(page, worker)
    browser_session.goto(page, f"/clients/{client.pk}/", "client-record")
    door = page.locator("#door-code")
    expect(door).not_to_contain_text("4711")
    assert "4711" not in page.content()
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOOR_CODE).exists()

    with page.expect_response(lambda r: r.url.endswith(f"/clients/{client.pk}/door-code/")):
        door.locator("button[type=submit]").click()

    expect(door).to_contain_text("4711#")
    browser_session.shot(page, "door-code-shown")
    row = AccessLogEntry.objects.get(action=AccessAction.DOOR_CODE)
    assert (row.user, row.client) == (worker, client)
    assert page.url == f"{browser_session.base_url}/clients/{client.pk}/"
