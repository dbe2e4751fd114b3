"""The staff PWA shell: the web-app manifest, the service worker and the offline page.

Every phone page (the alarm phone, the visit app) extends `front/app.html` and with it
becomes part of one installable app with one service worker for the whole site. A page that
works offline asks the worker to keep it (`X-Trygg-Offline: keep`; see front/sw.js).
None of these responses holds data: they are public, like the login page. The manifest is
fetched with the session's cookies (`crossorigin="use-credentials"`) only so that its name
is in the person's language.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# Raise when the offline page or the worker's caching changes: installed workers then start
# afresh, with new caches (3: pages kept for offline use, the visit app).
SHELL_VERSION = "3"


def start_url() -> str:
    """Where the installed app opens: the alarm phone, where phones first installed it (the
    visit app is the manifest's other shortcut)."""
    return reverse("alarms:phone")


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    start = start_url()
    icon = {
        "src": request.build_absolute_uri(static("trygg/icon.svg")),
        "sizes": "any",
        "type": "image/svg+xml",
    }
    data = {
        # The identity phones installed the app under (its first start page): it stays
        # when the start page changes, so nobody has to install it again.
        "id": start,
        # One app for the staff phone's pages (alarms and visits share the shell and its
        # worker): named for the whole, each page a shortcut (long press on the icon).
        "name": "Trygg",
        "short_name": "Trygg",
        "description": _("Alarms and visit registration for home-care staff."),
        "start_url": start,
        # The whole site: a phone page's links (an alarm, a client) stay in the app.
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "lang": get_language(),
        "icons": [icon],
        "shortcuts": [
            {"name": _("Alarms"), "url": start, "icons": [icon]},
            {"name": _("Register visits"), "url": reverse("visits:phone"), "icons": [icon]},
        ],
    }
    return HttpResponse(json.dumps(data), content_type="application/manifest+json")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "front/sw.js",
        {
            "offline_url": reverse("front:offline"),
            "start_url": start_url(),
            "logout_url": reverse("logout"),
            "static_prefix": settings.STATIC_URL,
            "version": SHELL_VERSION,
        },
        content_type="text/javascript",
    )
    # The worker may control the whole site, also when fetched from the alarm phone's old
    # address, where phones registered it before the shell moved here.
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What a phone page shows when the network is gone (served from the worker's cache)."""
    return render(request, "front/offline.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponsePermanentRedirect(static("trygg/icon.svg"))
