"""Screenshots of every page of a running Trygg, as the demo people see them.

    make demo                                   # in another terminal
    .venv/bin/python scripts/screenshots.py     # PNGs under var/screenshots/pages/

Each page is taken at desktop width and at a phone's (390 px), in Swedish unless --lang says
otherwise, with Debian's Chromium (never a downloaded browser). A page that answers with an
error is reported and the script exits non-zero, so it doubles as a smoke test of the demo.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
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
PASSWORD = "trygghet-demo"  # noqa: S105 - the demo's published shared password
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# Who looks at what. "{first:css}" opens the first link matching the selector on the page
# before it, so detail pages need no ids.
TOURS: dict[str, list[str]] = {
    "": ["/login/", "/status/"],
    "omsorg": ["/", "/clients/", "{first:a[href^='/clients/'][href$='/']}", "/support/"],
    "teamledare": [
        "/",
        "/orders/",
        "/orders/new/",
        "/devices/phones/",
        "/notifications/",
        "/alarms/phone/",
        "/alarms/",
    ],
    # Night staff: the alarm phone, with the night patrol's alarms at night.
    "natt": [
        "/alarms/phone/",
        "/supervision/round/",
        "{first:a[href^='/supervision/lookins/']}",
        "/supervision/",
        "{first:a[href^='/supervision/plans/']}",
    ],
    # The night staff's provider: plans, the journal note, the look-in report.
    "chef": [
        "/supervision/",
        "{first:a[href^='/supervision/plans/']}",
        "/supervision/reports/",
    ],
    "chef.norrsken": [
        "/",
        "/clients/",
        "/staff/",
        "/orders/",
        "{first:a[href^='/orders/'][href$='/']}",
        "/audit/access-log/",
        "/import/",
        "/training/",
        "/locks/",
    ],
    "omsorg.norrsken": ["/training/me/"],
    "vft": [
        "/",
        "/orders/",
        "{first:a[href^='/orders/'][href$='/']}",
        "/outages/",
        "{first:a[href^='/outages/'][href$='/']}",
        "/outages/new/",
        "/support/services/",
        "/support/call-outs/",
        "/devices/phones/",
        "{first:a[href^='/devices/phones/'][href$='/']}",
        "/locks/",
        "{first:a[href^='/locks/keys/']}",
        "/teams/",
        "/providers/",
        "/training/",
        "{first:a[href^='/training/providers/'][href$='/']}",
        "/training/sessions/",
        "{first:tr[id^='session-'] a}",
        "/supervision/",
        "{first:a[href^='/supervision/plans/']}",
        "/orders/?q=Trygghetskamera&status=open",
        "{first:a[href^='/orders/'][href$='/']}",
        "/orders/?q=Fel+på+trygghetskamera",
        "{first:a[href^='/orders/'][href$='/']}",
    ],
    "revisor": ["/", "/audit/access-log/", "/audit/access-log/?flagged=any"],
    "admin": ["/admin/", "/admin/support/supportline/", "/import/"],
}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "start"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise SystemExit(f"Could not log in as {username}: is the demo loaded?")


def tour(browser: Browser, base: str, who: str, lang: str, out: Path) -> list[str]:
    problems: list[str] = []
    for size, viewport in SIZES.items():
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            is_mobile=size == "phone",
            device_scale_factor=2 if size == "phone" else 1,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
        )
        context.add_cookies([{"name": "trygg_language", "value": lang, "url": base}])
        page = context.new_page()
        if who:
            log_in(page, base, who)
        last = ""
        for step in TOURS[who]:
            if step.startswith("{first:"):
                selector = step[len("{first:") : -1]
                links = [
                    href
                    for href in page.eval_on_selector_all(
                        selector, "els => els.map(e => e.getAttribute('href'))"
                    )
                    if href and re.search(r"/\d+/$", href)
                ]
                if not links:
                    problems.append(f"{who or 'anonymous'}: no link {selector} on {last}")
                    continue
                path = links[0]
            else:
                path = step
            response = page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            status = response.status if response else 0
            if status >= 400:
                problems.append(f"{who or 'anonymous'}: {path} answered {status}")
            name = f"{slug(who or 'anonymous')}--{slug(path)}--{size}.png"
            page.screenshot(path=str(out / name), full_page=True)
            last = path
        context.close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--lang", default="sv", choices=["sv", "nb", "en"])
    parser.add_argument("--out", default="var/screenshots/pages")
    parser.add_argument("--only", help="Only this demo login (empty string: anonymous).")
    args = parser.parse_args()
    out = Path(args.out) / args.lang
    out.mkdir(parents=True, exist_ok=True)
    people = [args.only] if args.only is not None else list(TOURS)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for who in people:
            problems += tour(browser, args.base.rstrip("/"), who, args.lang, out)
        browser.close()
    print(f"{len(list(out.glob('*.png')))} screenshots in {out}")
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
