"""Whose clock a person's pages keep.

An object's day is its municipality's (`Municipality.today()`, `.local_date()`). A page or
API list that spans everything a person may see (their clients, orders, phones) has no
single object to ask, so it keeps the clock of the municipality the person works in: the
first, by name, they hold a role in, the same one the support pages open on. Never the
server's: a server kept in UTC would otherwise turn the day an hour or two late in
Stockholm and Oslo.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from . import access
from .models import Municipality, User


def municipalities_of(user: User | AnonymousUser) -> list[Municipality]:
    """The municipalities `user` holds a role in, by name, loaded once per request: the
    language middleware asks for their countries, the pages for the first one's clock."""
    scope = access.scope_for(user)
    # Cached next to the scope they came from: when the roles are reloaded, so are these.
    cached = getattr(user, "_trygg_municipalities", None)
    if cached is not None and cached[0] is scope:
        found: list[Municipality] = cached[1]
        return found
    found = list(access.municipalities(user).order_by("name", "pk"))
    if user.is_authenticated:
        user._trygg_municipalities = (scope, found)  # type: ignore[union-attr,attr-defined,unused-ignore]
    return found


def home_municipality(user: User | AnonymousUser) -> Municipality | None:
    """The municipality whose clock `user`'s pages keep; None with no role anywhere."""
    return next(iter(municipalities_of(user)), None)


def zone_for(user: User | AnonymousUser) -> ZoneInfo:
    """The time zone `user`'s pages keep. Someone with no role in any municipality (a
    superuser, say) sees nobody's day-bound data, so the installation's default serves."""
    home = home_municipality(user)
    if home is not None:
        return home.zone
    return ZoneInfo(settings.TIME_ZONE)


def today_for(user: User | AnonymousUser) -> dt.date:
    """Today where `user` works."""
    return timezone.now().astimezone(zone_for(user)).date()
