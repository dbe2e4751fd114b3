"""The Device API: alarm units that post their events as JSON over HTTPS, each with a
bearer token of its own (see docs/alarm-receivers.md).

The third receiver beside DC-09 and SCAIP, feeding the same `IncomingSignal` contract and
the same registered ingest: a request is answered only after the ingest has committed,
201 for a new message, 200 for a repeat of one already stored (the device's own message id
is the deduplication key) or a heartbeat, and 503 with Retry-After when it was not stored,
so a device retries whatever was not acknowledged. Requests are never logged with their
body or token.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import AwareDatetime, ConfigDict, field_validator

from trygg.core.apiauth import BearerToken
from trygg.core.models import ApiToken

from . import registry
from .incoming import (
    DEDUPE_KEY_MAX,
    RAW_MAX_BYTES,
    ApiDevice,
    EventKind,
    IncomingEvent,
    IncomingSignal,
    IngestOutcome,
    Protocol,
)

logger = logging.getLogger(__name__)

MAX_EVENTS = 16
# What a device waits before sending again when the message was not stored. Short: it may
# be a call for help, and the ingest's own failures (a failover, a lock timeout) pass soon.
RETRY_AFTER_SECONDS = 5
_MESSAGE_ID_RE = re.compile(r"[!-~]+")  # visible ASCII: a UUID, a counter, a ULID


def _admit_unit(request: HttpRequest, api_token: ApiToken) -> ApiDevice:
    """Admits a request as an alarm unit's: `request.auth` is the unit its token belongs
    to (the registered device lookup says which). Also refuses a body over the ingest's
    limit, here because ninja reads and parses the body after authentication and before
    the handler runs."""
    unit = registry.get_device_lookup()(api_token)
    if unit is None:
        raise HttpError(403, "This token is not an alarm unit's token on the HTTPS API.")
    _check_size(request)
    return unit


def _check_size(request: HttpRequest) -> None:
    too_large = HttpError(413, f"The message is larger than {RAW_MAX_BYTES // 1024} KiB.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > RAW_MAX_BYTES:  # refused before the body is read
        raise too_large
    if len(request.body) > RAW_MAX_BYTES:  # a chunked body, or a lying header
        raise too_large


device_auth = BearerToken(admit=_admit_unit)
router = Router(tags=["alarms"], auth=device_auth)


# Schemas ---------------------------------------------------------------------------------
# Strict on purpose: a device is set up once and then trusted for years, so a mistake must
# show at installation. Unknown fields are refused (a misspelt "events" would otherwise turn
# an alarm into a heartbeat), and nothing is truncated.


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind = Field(description="What happened; `other` for anything else.")
    code: Annotated[str, Field(max_length=32, description="The device's own event code.")] = ""
    zone: Annotated[str, Field(max_length=32, description="Zone or sensor, e.g. a door.")] = ""
    text: Annotated[str, Field(max_length=200, description="Shown to the operator.")] = ""


class DeviceMessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=DEDUPE_KEY_MAX,
        # Checked by `_visible_ascii` (with its own message); stated here for the device maker.
        json_schema_extra={"pattern": f"^{_MESSAGE_ID_RE.pattern}$"},
        description=(
            "The device's own unique id for this message, the same when it sends the message "
            "again: a repeat is acknowledged and stored once."
        ),
    )
    time: AwareDatetime = Field(
        description="When the device created the message, ISO 8601 with a UTC offset."
    )
    events: list[EventIn] = Field(
        max_length=MAX_EVENTS,
        description="Empty (or only `heartbeat` events) for a heartbeat.",
    )

    @field_validator("id")
    @classmethod
    def _visible_ascii(cls, value: str) -> str:
        if not _MESSAGE_ID_RE.fullmatch(value):
            raise ValueError("the id is letters, digits and punctuation only, without spaces")
        return value

    @field_validator("time", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # Pydantic would also take a number of seconds; devices must say which zone.
        if not isinstance(value, str):
            raise ValueError("give the time as ISO 8601 text, e.g. 2026-01-15T10:00:00+01:00")
        return value


class AckOut(Schema):
    outcome: str = Field(description="`stored`, `duplicate` or `heartbeat`.")
    id: str | None = Field(default=None, description="The message id acknowledged.")


class DetailOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: list[dict[str, Any]] = Field(
        description="One entry per problem: `loc` (where), `msg` (what to change)."
    )


_EXAMPLE = {
    "id": "0f8e2b7c-5d1a-4c7e-9b1f-3a2d4e5f6a7b",
    "time": "2026-01-15T10:00:00+01:00",
    "events": [{"kind": "alarm", "code": "BUTTON", "zone": "1", "text": "Alarm button"}],
}
# Documented for the device maker; 400 (not JSON), 401 and 422 are ninja's own answers.
_REFUSALS: dict[int, Any] = {401: DetailOut, 403: DetailOut, 413: DetailOut, 503: DetailOut}
# The operation ids devices' client code was generated with, from when these operations
# lived in trygg.alarms.api (ninja derives them from the module): kept as published.
_OPERATION_PREFIX = "trygg_alarms_api_"


# Operations ------------------------------------------------------------------------------


@router.post(
    "/events",
    response={201: AckOut, 200: AckOut, 400: DetailOut, 422: InvalidOut, **_REFUSALS},
    summary="Post an alarm unit's events",
    operation_id=f"{_OPERATION_PREFIX}post_events",
    description=(
        "One message from an alarm unit, authenticated by the unit's own bearer token "
        "(scope `device`): the unit is the token's, never named in the body. Answered once "
        "the message is committed: 201 stored, 200 a repeat of a message already stored "
        "(same `id`) or a heartbeat (no events, or only `heartbeat`). Anything but 200 or 201 "
        f"means not stored: 503 comes with Retry-After; send again. At most {MAX_EVENTS} "
        f"events and {RAW_MAX_BYTES // 1024} KiB; unknown fields are refused (422)."
    ),
    openapi_extra={
        "requestBody": {"content": {"application/json": {"example": _EXAMPLE}}},
        "responses": {503: {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}},
    },
)
def post_events(
    request: HttpRequest, message: DeviceMessageIn, response: HttpResponse
) -> Status[dict[str, Any]]:
    unit = request.auth  # type: ignore[attr-defined]
    assert isinstance(unit, ApiDevice)
    signal = to_signal(unit, message, raw=request.body, received_at=timezone.now())
    return _answer(registry.get_ingest()([signal])[0], signal, response, message_id=message.id)


@router.post(
    "/heartbeat",
    response={200: AckOut, **_REFUSALS},
    summary="Report an alarm unit alive",
    operation_id=f"{_OPERATION_PREFIX}post_heartbeat",
    description=(
        "The smallest heartbeat: no body, only the unit's bearer token. Moves the unit's "
        "supervision deadline; nothing is stored."
    ),
)
def post_heartbeat(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    unit = request.auth  # type: ignore[attr-defined]
    assert isinstance(unit, ApiDevice)
    now = timezone.now()
    signal = IncomingSignal(
        protocol=Protocol.API,
        municipality_id=unit.municipality_id,
        unit_ref=unit.unit_ref,
        dedupe_key="heartbeat",  # required by the ingest, unused: heartbeats are not stored
        received_at=now,
        events=(),
        raw=b"",
    )
    return _answer(registry.get_ingest()([signal])[0], signal, response)


def to_signal(
    unit: ApiDevice, message: DeviceMessageIn, *, raw: bytes, received_at: dt.datetime
) -> IncomingSignal:
    """The ingest's view of a device's message. The unit comes from the token, so a device
    can only post as itself; the receive time is ours, as for the other receivers (a
    device's clock may be wrong, and supervision must not depend on it). The device's own
    time stays in `raw`."""
    return IncomingSignal(
        protocol=Protocol.API,
        municipality_id=unit.municipality_id,
        unit_ref=unit.unit_ref,
        dedupe_key=message.id,
        received_at=received_at,
        events=tuple(
            IncomingEvent(kind=event.kind, code=event.code, zone=event.zone, text=event.text)
            for event in message.events
        ),
        raw=raw,
    )


def _answer(
    outcome: IngestOutcome,
    signal: IncomingSignal,
    response: HttpResponse,
    *,
    message_id: str | None = None,
) -> Status[dict[str, Any]]:
    """The HTTP answer to an ingest outcome: 2xx only for what is committed."""
    if outcome == IngestOutcome.STORED and signal.is_heartbeat:
        return Status(200, {"outcome": "heartbeat", "id": message_id})
    if outcome == IngestOutcome.STORED:
        return Status(201, {"outcome": "stored", "id": message_id})
    if outcome == IngestOutcome.DUPLICATE:
        return Status(200, {"outcome": "duplicate", "id": message_id})
    if outcome == IngestOutcome.UNKNOWN_UNIT:
        # The unit left the HTTPS API (or was removed) since the token was checked.
        return Status(403, {"detail": "This token's alarm unit is not on the HTTPS API."})
    logger.warning(
        "Device API: message from alarm unit %r not stored; answered 503", signal.unit_ref
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return Status(503, {"detail": "Not stored: the service is unavailable; send it again."})
