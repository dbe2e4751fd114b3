"""Menu entries for the base layout's navigation (trygg.front.context_processors)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trygg.core.models import User

from .access import can_plan


def nav_items(user: User | AnonymousUser) -> list[tuple[str, Any, str]]:
    """The status page for everyone; the outage list for those who plan outages."""
    items: list[tuple[str, Any, str]] = []
    if can_plan(user):
        items.append(("outages", _("Outages"), reverse("outages:list")))
    items.append(("status", _("Status"), reverse("outages:status")))
    return items
