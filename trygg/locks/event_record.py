"""The client record's lock log: what the locks on the client's door (and the entrances
they live behind) said in the last 30 days, each unlock with the visit or alarm it belongs
to, or flagged for review. For those who see the keys (`access.can_open_keys`): managers,
team leaders, the welfare-technology team, administrators and auditors."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.models import Client, User
from trygg.core.record import Shown
from trygg.devices.models import DoorLock

from . import access, events

RECENT = dt.timedelta(days=30)
SHOWN = 15


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    if not access.can_open_keys(user):
        return None
    locks = list(
        access.locks(user)
        .filter(
            Q(client=client)
            | Q(
                pk__in=DoorLock.entrance_clients.through.objects.filter(client=client).values(
                    "doorlock_id"
                )
            )
        )
        .order_by("serial_number")
    )
    if not locks:
        return None  # no digital lock on the client's door: nothing to say
    since = timezone.now() - RECENT
    queryset = events.with_context(
        events.visible_events(user).filter(lock__in=[lock.pk for lock in locks], at__gte=since)
    ).select_related("lock__client", "holder", "key")
    found = list(queryset.order_by("-at", "-pk")[: SHOWN + 1])
    rows = events.rows(user, found[:SHOWN])
    return Shown(
        context={
            "rows": rows,
            "locks": locks,
            "more": len(found) > SHOWN,
            "show_door": len(locks) > 1,
            "show_staff": True,
            "margin_minutes": int(events.UNLOCK_CONTEXT_MARGIN.total_seconds() // 60),
        },
        entries=[
            f"{row.event.lock.serial_number} {row.event.kind} {row.event.at:%Y-%m-%d %H:%M}"
            for row in rows
        ]
        or [lock.serial_number for lock in locks],
        note=_("The last 30 days."),
    )


def register_section() -> None:
    record.register(
        "lock_events",
        _("Lock log"),
        build,
        "locks/record/events.html",
        position=45,
        empty_text=_("No digital lock on the client's door."),
    )
