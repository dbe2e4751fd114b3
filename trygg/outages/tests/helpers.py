"""Outages made directly, in a given state, for pages that read the real clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from trygg.core.models import Municipality
from trygg.outages.constants import OutageKind, OutageStatus, System
from trygg.outages.models import Outage


def make_outage(
    municipality: Municipality,
    *,
    in_days: float,
    hours: float = 3,
    status: OutageStatus = OutageStatus.ANNOUNCED,
    **fields: Any,
) -> Outage:
    starts = timezone.now() + dt.timedelta(days=in_days)
    defaults: dict[str, Any] = {
        "system": System.VISIT_APP,
        "kind": OutageKind.PLANNED,
        "title": f"Uppgradering om {in_days} dagar",
        "description": "Registrera på papper under tiden.",
        "override_reason": "Testdata",
    }
    defaults.update(fields)
    return Outage.objects.create(
        municipality=municipality,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        status=status,
        announced_at=None if status == OutageStatus.DRAFT else timezone.now(),
        **defaults,
    )
