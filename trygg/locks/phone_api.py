"""The staff phone's lock events: what a lock answered the phone at the door (opened, or
refused and why), carried by the phone to Trygg when it has network, the lock's own event
with the lock's own id. A lock that makes contact itself sends the same event too; the id
makes the two one (`services.record_lock_events`, the storage the lock API uses).

A phone speaks only for its own keys: every event is at a lock the person holds or held a
key to, and names that person's key (or no key, for a token the lock could not read).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from trygg.core import access as core_access
from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.constants import AccessAction
from trygg.core.services import log_request_access
from trygg.core.web import request_user
from trygg.devices.models import DoorLock

from . import services
from .constants import LockEventKind, LockEventSource
from .models import DigitalKey
from .wire import MAX_EVENTS, EventFields, EventsOut

# What a phone witnesses at the door; battery and tampering are the lock's to report.
PHONE_KINDS = frozenset({LockEventKind.UNLOCKED, LockEventKind.FAILED, LockEventKind.LOCKED})

router = Router(tags=["locks"], auth=session_auth)


class PhoneEventIn(EventFields):
    lock_id: uuid.UUID = Field(description="The lock that answered (what the tokens name).")


class PhoneEventsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    events: list[PhoneEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class PhoneRefusedOut(Schema):
    detail: str | list[dict[str, Any]]


@router.post(
    "/events",
    url_name="lock_phone_events",
    response={200: EventsOut, **errors(400, 401, 403, 404), 422: PhoneRefusedOut},
    summary="Lock events carried by your phone",
    description=(
        f"Up to {MAX_EVENTS} events the locks gave your phone at the door (unlocked, failed "
        "with the refusal, locked), each with its lock. Each is stored once, also when the "
        "lock sends it itself or the phone sends it again. Only events of your own keys; the "
        "batch is checked whole and a bad event stores nothing (422 saying which and why)."
    ),
)
def post_events(request: HttpRequest, body: PhoneEventsIn) -> Any:
    user = request_user(request)
    lock_ids = {e.lock_id for e in body.events}
    locks = {
        lock.lock_id: lock
        for lock in DoorLock.objects.filter(lock_id__in=lock_ids).select_related("client")
    }
    own_keys: dict[int, set[int]] = {}
    for key_id, lock_pk in DigitalKey.objects.filter(
        holder=user, lock__lock_id__in=lock_ids
    ).values_list("pk", "lock_id"):
        own_keys.setdefault(lock_pk, set()).add(key_id)
    # Whose flat's address a refusal may name: the clients the person may see now.
    visible = set(
        core_access.clients(user)
        .filter(pk__in={lock.client_id for lock in locks.values() if lock.pk in own_keys})
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    total = len(body.events)
    batches: dict[int, list[services.ReportedEvent]] = {}
    for position, event in enumerate(body.events):
        # Named by its place in the whole upload and its door: the phone sends several
        # doors' events at once, and the person must find the one refused.
        numbers = {"n": position + 1, "total": total, "id": event.id}
        lock = locks.get(event.lock_id)
        if lock is None or lock.pk not in own_keys:
            # Not their door: named by the lock id the phone sent, nothing more.
            where = _("Event %(n)s of %(total)s (%(id)s) at lock %(lock)s") % (
                numbers | {"lock": event.lock_id}
            )
            return Status(422, {"detail": f"{where}: " + _("not a door you hold a key to.")})
        reported = services.ReportedEvent(
            event_id=event.id,
            kind=event.kind,
            at=event.at,
            key_id=event.key_id,
            holder=event.holder,
            key_version=event.key_version,
            refusal=event.refusal.value if event.refusal is not None else "",
        )
        refusal = _phone_refusal(event, own_keys[lock.pk], user.pk) or services.event_refusal(
            reported, now
        )
        if refusal:
            door = services.name_door(lock, visible)
            if door.client is not None:  # the client's address, shown
                log_request_access(request, [door.client], AccessAction.API_LIST)
            where = _("Event %(n)s of %(total)s (%(id)s) at %(door)s") % (
                numbers | {"door": door.name}
            )
            return Status(422, {"detail": f"{where}: {refusal}"})
        batches.setdefault(lock.pk, []).append(reported)
    by_pk = {lock.pk: lock for lock in locks.values()}
    stored = duplicates = 0
    ids: list[str] = []
    try:
        with transaction.atomic():
            for lock_pk, events in batches.items():
                recorded = services.record_lock_events(
                    by_pk[lock_pk], events, source=LockEventSource.PHONE, now=now
                )
                stored += recorded.stored
                duplicates += recorded.duplicates
                ids.extend(recorded.event_ids)
    except services.EventError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(200, {"stored": stored, "duplicates": duplicates, "ids": ids})


def _phone_refusal(event: PhoneEventIn, own_keys: set[int], user_pk: int) -> str | None:
    """Why a phone may not carry this event to a door it holds a key to; None when it may."""
    if event.kind not in PHONE_KINDS:
        return _("the lock reports this itself, not the phone.")
    if event.holder is not None and event.holder != user_pk:
        return _("the event is another person's.")
    if event.key_id is not None and event.key_id not in own_keys:
        return _("the key is not yours.")
    return None
