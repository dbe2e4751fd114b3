"""The client record's devices section: the alarm units placed in the client's home, now and
before (cameras, locks and tags join here as they arrive in the inventory).

Everyone who may open the client's record sees whether the client has a working alarm: a
care worker needs to know the unit is silent as much as the welfare-technology team does.
The unit's wire identity (protocol, DC-09 account, SCAIP id) is for those who look after
units; the encryption key is never shown. The unit's page (the register, in the admin) is
linked for those who may open it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.access import can_use_admin
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import access
from .models import AlarmPlacement, AlarmUnit

# Ended placements shown besides the current ones: enough to see a recent swap of units.
ENDED_SHOWN = 3


@dataclass(frozen=True)
class PlacedUnit:
    unit: AlarmUnit
    placement: AlarmPlacement
    current: bool
    upcoming: bool
    url: str  # the unit's page, or "" when the user may not open it


def build(client: Client, user: User, request: HttpRequest) -> Shown:
    today = client.municipality.today()
    placements = list(
        AlarmPlacement.objects.filter(client=client)
        .select_related("unit")
        .order_by(F("active_to").desc(nulls_first=True), "-active_from", "-pk")
    )
    current = [p for p in placements if p.active_to is None or p.active_to >= today]
    ended = [p for p in placements if p.active_to is not None and p.active_to < today]
    shown = current + ended[:ENDED_SHOWN]
    manages = access.can_manage_alarm_units(user, client.municipality_id)
    opens_register = manages and can_use_admin(user)
    units = [
        PlacedUnit(
            unit=p.unit,
            placement=p,
            current=p.is_active_on(today),
            upcoming=p.active_from > today,
            url=reverse("admin:devices_alarmunit_change", args=[p.unit_id])
            if opens_register
            else "",
        )
        for p in shown
    ]
    return Shown(
        context={
            "units": units,
            "technical": manages,
            "zone": client.municipality.zone,
            "more_ended": max(0, len(ended) - ENDED_SHOWN),
        },
        entries=[p.unit.serial_number for p in shown],
    )


def register_section() -> None:
    record.register(
        "devices",
        _("Alarm units and devices"),
        build,
        "devices/record/units.html",
        position=20,
        empty_text=_("No alarm unit or other device is registered with the client."),
    )
