"""Links an app above alarms adds to an alarm on the responder's phone and the alarm's page
(the visit app: "Register visit" on an alarm the person took), registered when that app
loads, so alarms never names it:

    links.register("visit", _("Register visit"), url=..., shown=...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from trygg.core.models import User

from .models import Alarm


@dataclass(frozen=True)
class AlarmLink:
    key: str
    label: str | Promise
    url: Callable[[Alarm], str]
    shown: Callable[[User, Alarm], bool]


_links: dict[str, AlarmLink] = {}


def register(
    key: str,
    label: str | Promise,
    *,
    url: Callable[[Alarm], str],
    shown: Callable[[User, Alarm], bool],
) -> None:
    """Add a link (again on a reload: the last one with the key wins)."""
    _links[key] = AlarmLink(key, label, url, shown)


def links_for(user: User, alarm: Alarm) -> list[tuple[str, str | Promise, str]]:
    """(key, label, url) of the links this user is shown on this alarm."""
    return [
        (link.key, link.label, link.url(alarm))
        for link in sorted(_links.values(), key=lambda link: link.key)
        if link.shown(user, alarm)
    ]
