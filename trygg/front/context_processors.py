"""Navigation for the base layout: the menu shows only what the user's roles may open.

The entries come from the apps (`trygg.core.menu`, filled in each app's `ready()`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trygg.core import menu
from trygg.notifications.services import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, Any, str]] = [("home", _("Start"), reverse("home"))]
    items.extend(menu.items_for(user))
    path = request.path
    # The entry whose address holds the page's most closely: /alarms/phone/ is "My alarms",
    # not "Alarms" at /alarms/.
    matching = [
        (len(url), key) for key, _label, url in items if url != "/" and path.startswith(url)
    ]
    # "Start" is the start page only: a page no entry holds (one visit, one lock) marks
    # none, rather than telling the person on a phone they are on the start page.
    current = max(matching)[1] if matching else ("home" if path == reverse("home") else "")
    return {
        "unread_notifications": unread_count(user),
        "nav_items": [
            {"key": key, "label": label, "url": url, "current": key == current}
            for key, label, url in items
        ],
    }
