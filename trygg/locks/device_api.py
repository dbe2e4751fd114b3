"""The lock API: door locks that make contact over HTTPS, each with a bearer token of its own
(scope `lock`, `trygg locks token`), as alarm units do on the device API.

- `POST /contact`: the lock reports its battery and firmware and is given the public keys
  to trust (by version), its revocation list (key ids, with a serial that only rises) and
  the server's time. A lock taken down is given no key: it opens for nobody.
- `POST /events`: a batch of the lock's events, each with the lock's own id for it: stored
  once however often it is sent (200 with how many were new and how many repeats). The
  batch is checked whole; one bad event stores nothing (422 saying which and why).

Requests are never logged with their body or token.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import ConfigDict

from trygg.core.apiauth import BearerToken
from trygg.core.apierrors import errors
from trygg.core.models import ApiToken
from trygg.devices.models import DoorLock

from . import services
from .inventory import lock_for_token
from .wire import MAX_EVENTS, EventFields, EventsOut


def _admit_lock(request: HttpRequest, api_token: ApiToken) -> DoorLock:
    lock = lock_for_token(api_token)
    if lock is None:
        raise HttpError(403, "This token is not a door lock's token.")
    return lock


router = Router(tags=["lock devices"], auth=BearerToken(admit=_admit_lock))


class ContactIn(Schema):
    model_config = ConfigDict(extra="forbid")

    battery: Annotated[int, Field(ge=0, le=100, description="Battery level, percent.")] | None = (
        None
    )
    firmware: Annotated[str, Field(max_length=64)] = ""
    revocation_serial: Annotated[int, Field(ge=0, description="The list the lock holds.")] = 0


class RevocationsOut(Schema):
    serial: int = Field(description="Rises with every change; ignore a lower one.")
    key_ids: list[int] = Field(description="Keys to refuse: their tokens open nothing.")


class ContactOut(Schema):
    lock_id: str
    time: int = Field(description="The server's time, Unix seconds: set the lock's clock.")
    keys: dict[str, str] = Field(description="Key version -> Ed25519 public key, base64.")
    revocations: RevocationsOut
    max_window: int = Field(description="The longest token window to accept, seconds.")


class LockDeviceDetailOut(Schema):
    detail: str


class LockRefusedOut(Schema):
    detail: str | list[dict[str, Any]] = Field(
        description="Why nothing was stored: which event and what to change."
    )


@router.post(
    "/contact",
    response={
        200: ContactOut,
        401: LockDeviceDetailOut,
        403: LockDeviceDetailOut,
        **errors(401, 403, 404, 422),
    },
    summary="A lock makes contact",
    description=(
        "Authenticated by the lock's own bearer token. Reports the battery and firmware; "
        "answers with the public keys to verify tokens with, the revocation list and the "
        "server's time. A lock no longer in service gets no keys."
    ),
)
def contact(request: HttpRequest, body: ContactIn) -> dict[str, Any]:
    lock = request.auth  # type: ignore[attr-defined]
    assert isinstance(lock, DoorLock)
    answer = services.lock_contact(lock, battery=body.battery, firmware=body.firmware or None)
    return answer.as_wire()


class LockEventIn(EventFields):
    battery: Annotated[int, Field(ge=0, le=100)] | None = None


class EventsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    events: list[LockEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


@router.post(
    "/events",
    response={
        200: EventsOut,
        401: LockDeviceDetailOut,
        403: LockDeviceDetailOut,
        **errors(401, 403, 404),
        # After the shared shapes: a refused event is said in a sentence, a body that does
        # not match the schema as ninja's list; LockRefusedOut documents both.
        422: LockRefusedOut,
    },
    summary="A lock's events",
    description=(
        f"Up to {MAX_EVENTS} events: unlocked, locked, failed (with the refusal), "
        "low_battery, tamper. Each is stored once: an id sent before is acknowledged and "
        "not stored again. Checked whole; a bad event stores nothing (422)."
    ),
)
def post_events(request: HttpRequest, body: EventsIn) -> Any:
    lock = request.auth  # type: ignore[attr-defined]
    assert isinstance(lock, DoorLock)
    events = [
        services.ReportedEvent(
            event_id=e.id,
            kind=e.kind,
            at=e.at,
            key_id=e.key_id,
            holder=e.holder,
            key_version=e.key_version,
            refusal=e.refusal.value if e.refusal is not None else "",
            battery=e.battery,
        )
        for e in body.events
    ]
    try:
        recorded = services.record_lock_events(lock, events, now=timezone.now())
    except services.EventError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(
        200,
        {"stored": recorded.stored, "duplicates": recorded.duplicates, "ids": recorded.event_ids},
    )
