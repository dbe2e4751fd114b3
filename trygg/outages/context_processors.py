"""The outage banner on every page: announced outages the person's audience should see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import banners
from .models import Outage


def outage_banners(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load() -> list[Outage]:
        # The scope is cached on the user by the navigation, so this costs the outage
        # query alone, and nothing at all for fragments that do not render the banner.
        return banners.shown(request.session, banners.for_person(user, timezone.now()))

    return {"outage_banners": SimpleLazyObject(load)}
