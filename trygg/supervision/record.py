"""The client record's night-supervision section: the camera, the agreed look-in times, where
supervision stands, and the consent or decision it rests on with its review date."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import access


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    if not access.can_open_plans(user):
        return None
    plans = list(
        access.client_plans(user, client)
        .select_related("camera", "consent", "night_team")
        .prefetch_related("times")
        .order_by("-start_date", "-pk")[:3]
    )
    return Shown(
        context={"plans": plans, "today": client.municipality.today()},
        entries=[f"plan {p.pk}" for p in plans],
    )


def register_section() -> None:
    record.register(
        "supervision",
        _("Night supervision"),
        build,
        "supervision/record.html",
        position=25,
        empty_text=_("No night supervision by camera."),
    )
