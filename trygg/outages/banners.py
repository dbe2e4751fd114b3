"""The outage banner a person has closed stays closed, for that outage as it was announced.

What was closed is kept in the session as one key per outage: its id, its start and
whether it had begun. So the banner comes back for a new outage, for one moved to another
time, and once a planned one begins ("Outage now"), each of which is news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase

from trygg.core.access import scope_for
from trygg.core.models import User

from .access import is_manager_in
from .models import Outage
from .services import banner_outages

SESSION_KEY = "outages.hidden_banners"
KEEP = 50  # the newest closed banners remembered; older ones are long over


def for_person(user: User | AnonymousUser, now: dt.datetime) -> list[Outage]:
    """The announced outages whose banner this person's audience is shown (managers see
    them earlier in the municipalities where they are managers)."""
    scope = scope_for(user)
    managed = [m for m in scope.municipality_ids if is_manager_in(scope, m)]
    return banner_outages(scope.municipality_ids, managed, now)


def banner_key(outage: Outage) -> str:
    return f"{outage.pk}:{int(outage.starts_at.timestamp())}:{int(outage.is_current())}"


def shown(session: SessionBase, outages: Iterable[Outage]) -> list[Outage]:
    hidden = set(session.get(SESSION_KEY, []))
    return [outage for outage in outages if banner_key(outage) not in hidden]


def hide(session: SessionBase, outage: Outage) -> None:
    keys = [key for key in session.get(SESSION_KEY, []) if key != banner_key(outage)]
    session[SESSION_KEY] = [*keys, banner_key(outage)][-KEEP:]
