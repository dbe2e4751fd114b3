"""The client record's infrared camera section: the camera placed with the client, the
consent the supervision rests on with its review date, the rules that raise alarms and the
latest events, by the sensors app's own rule of who sees them (`access`). A client with no
camera, no events and no consent to sensor supervision gets no section."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import access
from .models import SensorRule
from .services import cameras_now, consent_in_force

SHOWN = 5


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    if not access.can_view_client(user, client):
        return None
    today = client.municipality.today()
    cameras = cameras_now([client], today)
    consent = consent_in_force(client, today)
    events = list(
        access.events(user).filter(client=client).select_related("alarm").in_order()[:SHOWN]
    )
    if not cameras and not events and consent is None:
        return None
    rules = list(SensorRule.objects.filter(client=client))
    return Shown(
        context={
            "cameras": cameras,
            "consent": consent,
            "today": today,
            "rules": rules,
            "events": events,
        },
        entries=[p.unit.serial_number for p in cameras]
        + ([f"consent #{consent.pk}"] if consent is not None else [])
        + [f"#{e.pk}" for e in events]
        + [f"rule #{r.pk}" for r in rules],
        empty_text=_("No sensor events yet."),
        note=_("The latest events; all of them on the client's sensor page."),
    )


def register_section() -> None:
    record.register(
        "sensors",
        _("Infrared camera"),
        build,
        "sensors/record/sensors.html",
        position=35,
        empty_text=_("No sensor events yet."),
    )
