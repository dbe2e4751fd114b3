"""The base layout's menu, filled in by the apps.

Each app registers its entries when it loads (`AppConfig.ready`), with a rule saying to
whom each is shown, so the menu never names an app above the floor it is built on::

    menu.register("alarms", _("Alarms"), "alarms:console", position=50, shown=can_open_alarms)

`position` orders the entries; the layout (`front.context_processors`) shows those whose
rule admits the user, after "Start".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.functional import Promise

from .models import User

Rule = Callable[[User | AnonymousUser], bool]


@dataclass(frozen=True)
class MenuEntry:
    key: str  # marks the current entry; also the template's hook for an icon
    label: str | Promise
    url_name: str
    position: int
    shown: Rule


_entries: dict[str, MenuEntry] = {}


def _everyone(user: User | AnonymousUser) -> bool:
    return True


def register(
    key: str, label: str | Promise, url_name: str, *, position: int, shown: Rule = _everyone
) -> None:
    """Add an entry to the menu (again on a reload: the last one with the key wins)."""
    _entries[key] = MenuEntry(key, label, url_name, position, shown)


def entries() -> list[MenuEntry]:
    return sorted(_entries.values(), key=lambda entry: (entry.position, entry.key))


def items_for(user: User | AnonymousUser) -> list[tuple[str, Any, str]]:
    """(key, label, url) of the entries this user is shown, in menu order."""
    return [(e.key, e.label, reverse(e.url_name)) for e in entries() if e.shown(user)]
