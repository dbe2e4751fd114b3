"""What the browser tests share: how Chromium is started and a person's browser session."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page

from trygg.alarms import dispatch
from trygg.core.models import User
from trygg.core.tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out, and this machine's
# closed network refuses it. Playwright adds a fresh --user-data-dir of its own (a temporary
# profile it deletes on close); it refuses one passed here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


class Session:
    """One person's browser: new pages open in a fresh context on the live server."""

    def __init__(self, browser: Browser, base_url: str, folder: Path, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.folder = folder
        self.test_name = re.sub(r"[^A-Za-z0-9_-]+", "-", test_name).strip("-")
        self.contexts: list[BrowserContext] = []
        self.shots = 0

    def new_page(self, viewport: dict[str, int] | None = None, *, phone: bool = False) -> Page:
        # A Swedish municipality's browser: Accept-Language sv, Stockholm time.
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport or (PHONE if phone else DESKTOP),
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page: Page, label: str) -> Path:
        """Save what the person sees now, for the lead to look at."""
        self.shots += 1
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")
        path = self.folder / f"{self.test_name}--{self.shots:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def goto(self, page: Page, path: str, label: str | None = None) -> Page:
        response = page.goto(path)
        assert response is not None
        assert response.ok, f"GET {path}: HTTP {response.status}"
        self.shot(page, label or path)
        return page

    def login(self, page: Page, user: User, password: str = TEST_PASSWORD) -> Page:
        self.goto(page, "/login/", "login")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        self.shot(page, "after-login")
        return page

    def close(self, failed: bool) -> None:
        for context in self.contexts:
            if failed:
                for page in context.pages:
                    self.shot(page, "FAILED")
            context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def asgi_server() -> Iterator[str]:
    """uvicorn serving the ASGI app and the alarm dispatcher, as `trygg serve` runs them, on
    a free port; yields the base URL. Pages with live streams need it (see `Session`)."""
    stop = threading.Event()
    dispatcher = threading.Thread(target=dispatch.run_dispatcher, args=(stop,), daemon=True)
    dispatcher.start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            "trygg.asgi:application",
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    web = threading.Thread(target=server.run, daemon=True)
    web.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Open event streams end when the browser closes; then the server stops.
        server.should_exit = True
        server.force_exit = True
        web.join(timeout=10)
        stop.set()
        dispatcher.join(timeout=10)


def wait_until_kept_for_offline(page: Page, urls: tuple[str, ...], timeout: float = 15) -> None:
    """Wait until the service worker controls the page and holds `urls` in its caches, and,
    for a page kept for offline use, every static file it links to (the worker fetches them
    one by one, and a page reloaded offline without one of its modules never starts): what
    a phone needs before the network goes. Polled from here: `caches.match` answers with a
    promise, which `wait_for_function` would take as true at once."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    linked: list[str] = page.evaluate(
        """() => document.querySelector("meta[name=trygg-offline]") === null ? [] :
            [...document.querySelectorAll("link[href], script[src]")]
            .map((element) => new URL(element.href || element.src, location.href))
            .filter((url) => url.origin === location.origin && url.pathname.startsWith("/static/"))
            .map((url) => url.href)"""
    )
    deadline = time.monotonic() + timeout
    missing = list(dict.fromkeys([*urls, *linked]))
    while missing:
        missing = [
            url
            for url in missing
            if not page.evaluate("(url) => caches.match(url).then((found) => !!found)", url)
        ]
        if missing and time.monotonic() > deadline:
            raise AssertionError(f"not kept for offline use: {missing}")
        if missing:
            time.sleep(0.1)
