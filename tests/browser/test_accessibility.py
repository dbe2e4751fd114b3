"""The main pages of every role pass axe-core at a phone's and a desktop's width: no
violation of serious or critical impact.

axe-core is the copy shipped inside axe-playwright-python (nothing is fetched while the
tests run), injected into Debian's Chromium by Playwright. Each role logs in; its start
page and every page its menu leads to are checked, then the records and forms it opens from
them (`records_and_forms`). A menu page more than one role reaches is checked once, as the
first role in ROLES that reaches it; the layout and its menu are checked on every role's
start page. The login page, the public status page and the "not found" page are checked
without logging in, the 403 page as a role refused a page. Django's admin ("Master data")
is Django's own markup and left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import override_settings
from playwright.sync_api import Page

from trygg.core.constants import Role
from trygg.core.tests.world import World, build_world
from trygg.servicedesk.models import OrderType

from .support import Session

pytestmark = pytest.mark.browser

# Those who go out first, then those who manage, then the municipality's own.
ROLES = [
    Role.CARE_WORKER,
    Role.NIGHT_SUPERVISOR,
    Role.TEAM_LEADER,
    Role.PROVIDER_MANAGER,
    Role.ALARM_OPERATOR,
    Role.WELFARE_TECH,
    Role.MUNICIPAL_ADMIN,
    Role.AUDITOR,
]
BLOCKING = ("serious", "critical")
NOT_OURS = ("/admin/",)  # Django's admin

AXE = Axe()


@dataclass
class Violation:
    who: str
    path: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.who} {self.path}: {self.rule} ({self.impact}) {self.help} at {where}"


def check(
    session: Session, page: Page, who: str, path: str, expect_status: int = 200
) -> list[Violation]:
    """The page's serious and critical violations; a page with any is saved as a PNG."""
    response = page.goto(path)
    assert response is not None
    assert response.status == expect_status, f"{who} GET {path}: HTTP {response.status}"
    results: dict[str, Any] = AXE.run(page).response
    found = [
        Violation(
            who,
            path,
            v["id"],
            v["impact"],
            v["help"],
            [" ".join(map(str, node["target"])) for node in v["nodes"]],
        )
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]
    if found:
        session.shot(page, f"{who}-{path}-axe")
    return found


def new_page(session: Session, phone: bool) -> Page:
    # The alarm pages' live stream is refused on the WSGI live server (alarms.views.stream).
    return session.new_page(phone=phone)


def menu_paths(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "nav.mainnav a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in hrefs if h.startswith("/") and not h.startswith(NOT_OURS)]


def records_and_forms(world: World) -> list[tuple[str, str, int]]:
    """Pages opened from the menu's pages every day: (role, path, status), each as a role
    that uses it."""
    own = world.own
    lock_fault = OrderType.objects.get(municipality=own.municipality, code="lock_fault")
    outage = own.shared["outage"]
    return [
        (Role.CARE_WORKER, "/notifications/", 200),
        (Role.CARE_WORKER, f"/clients/{own.client.pk}/", 200),
        (Role.CARE_WORKER, f"/staff/{own.staff.pk}/", 200),
        (Role.CARE_WORKER, f"/teams/{own.team.pk}/", 200),
        (Role.CARE_WORKER, f"/providers/{own.provider.pk}/", 200),
        # A page the role may not open: the 403 page in the site's layout.
        (Role.CARE_WORKER, "/audit/access-log/", 403),
        (Role.TEAM_LEADER, f"/orders/{own.order.pk}/", 200),
        (Role.TEAM_LEADER, "/orders/new/", 200),
        (Role.TEAM_LEADER, f"/orders/new/{lock_fault.pk}/", 200),
        (Role.TEAM_LEADER, f"/clients/{own.client.pk}/consents/new/", 200),
        (Role.PROVIDER_MANAGER, f"/devices/phones/{own.phone.pk}/", 200),
        (Role.PROVIDER_MANAGER, "/devices/phones/new/", 200),
        (Role.ALARM_OPERATOR, f"/alarms/{own.alarm.pk}/", 200),
        (Role.WELFARE_TECH, f"/outages/{outage.pk}/", 200),
        (Role.WELFARE_TECH, "/outages/new/", 200),
        (Role.WELFARE_TECH, "/support/services/", 200),
        (Role.WELFARE_TECH, "/support/call-outs/", 200),
        (Role.WELFARE_TECH, "/support/call-outs/new/", 200),
    ]


@pytest.mark.parametrize("phone", [True, False], ids=["phone-390", "desktop-1280"])
def test_the_main_pages_have_no_serious_accessibility_violations(
    browser_session: Session, phone: bool, tmp_path: Any
) -> None:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        world = build_world()
    extra = records_and_forms(world)
    found: list[Violation] = []
    checked: set[str] = set()

    page = new_page(browser_session, phone)
    for path, status in (("/login/", 200), ("/status/", 200), ("/no-such-page/", 404)):
        found += check(browser_session, page, "anonymous", path, status)

    for role in ROLES:
        page = new_page(browser_session, phone)
        browser_session.login(page, world.personas[role])
        found += check(browser_session, page, role, "/")
        checked.add("/")
        for path in menu_paths(page):
            if path not in checked:
                checked.add(path)
                found += check(browser_session, page, role, path)
        for path, status in ((path, status) for who, path, status in extra if who == role):
            checked.add(path)
            found += check(browser_session, page, role, path, status)

    assert len(checked) > len(extra) + 10, f"few pages reached: {sorted(checked)}"
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(
        map(str, found)
    )


def test_the_check_finds_a_violation(browser_session: Session) -> None:
    """The check itself works: a control without a name on a real page is reported."""
    page = browser_session.new_page()
    page.goto("/login/")
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    results = AXE.run(page).response
    assert [v["id"] for v in results["violations"] if v["impact"] in BLOCKING] == ["button-name"]
