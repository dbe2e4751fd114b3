"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every test gets a fresh browser context (no cookies, no storage) on one Chromium started for
the package. Each page a test visits is saved as a PNG under $SCREENSHOT_DIR/<database>/
(default var/screenshots/, git-ignored), and a failing test leaves a `-FAILED` screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, sync_playwright

from .support import CHROMIUM, CHROMIUM_ARGS, ROOT, Session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run 'sudo apt-get install chromium'.")
    # While Playwright's sync API is started, its asyncio loop counts as running on this
    # thread, and Django would refuse every ORM call made by the test itself. The tests are
    # plain synchronous code, so the check is lifted exactly while the browser lives: package
    # scope, so no test outside tests/browser/ ever runs with it lifted.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def screenshot_dir() -> Path:
    base = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
    if not base.is_absolute():
        base = ROOT / base
    # One folder per database, emptied first: what is there is what this run saw.
    folder = base / connection.vendor
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def browser_session(
    request: pytest.FixtureRequest,
    chromium: Browser,
    live_server: Any,
    transactional_db: None,
    screenshot_dir: Path,
) -> Iterator[Session]:
    """A person's browser on the live server. The live server reads the database from its
    own thread, so the test's rows must be committed: a transactional database."""
    session = Session(chromium, live_server.url, screenshot_dir, request.node.name)
    yield session
    call = getattr(request.node, "report_call", None)
    session.close(failed=bool(call is not None and call.failed))


@pytest.fixture
def page(browser_session: Session) -> Page:
    """A desktop-sized page in a fresh context."""
    return browser_session.new_page()
