"""The infrared camera API: RoomMate-type cameras post what they see over HTTPS, each with
the bearer token of its own alarm unit (`trygg token` / the unit's page), as alarm units
do on the device API.

- `POST /events`: up to MAX_EVENTS events, each with the camera's own id for it. Answered
  200 with one result per event: stored (and whether it raised an alarm), duplicate (sent
  before: forget it), or refused with why (a time ahead of the clock, a camera not placed
  with anyone then). Nothing is half-written; a refused event leaves the others stored.
- `POST /heartbeat`: the camera is alive; supervised like every alarm unit, its lost
  connection is raised by heartbeat supervision when heartbeats stop.

A token that is not an infrared camera's is refused (403); the body is never logged.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import AwareDatetime, ConfigDict, field_validator, model_validator

from trygg.core.apiauth import BearerToken
from trygg.core.apierrors import errors
from trygg.core.models import ApiToken
from trygg.devices.models import AlarmUnit
from trygg.devices.services import device_token_unit

from . import services
from .constants import MAX_EVENTS, TIMED_KINDS, Outcome, SensorEventKind

_EVENT_ID_RE = re.compile(r"[!-~]+")


def _admit_camera(request: HttpRequest, api_token: ApiToken) -> AlarmUnit:
    token_unit = device_token_unit(api_token)
    unit = (
        AlarmUnit.objects.select_related("municipality").filter(pk=token_unit.pk).first()
        if token_unit is not None
        else None
    )
    if unit is None or not services.is_sensor(unit):
        raise HttpError(403, _("This token is not an infrared camera's token."))
    return unit


router = Router(tags=["infrared cameras"], auth=BearerToken(admit=_admit_camera))


class SensorEventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"pattern": f"^{_EVENT_ID_RE.pattern}$"},
        description="The camera's own id for the event, the same when it is sent again.",
    )
    kind: SensorEventKind = Field(description="What the camera saw.")
    at: AwareDatetime = Field(description="When, by the camera's clock, ISO 8601 with offset.")
    minutes: Annotated[int, Field(ge=1, le=1440)] | None = Field(
        default=None,
        description=(
            "For not_back_in_bed, bathroom_too_long and no_movement: after how many minutes "
            "the camera reported it."
        ),
    )
    room: Annotated[str, Field(max_length=64, description="Where, e.g. the bedroom.")] = ""

    @field_validator("id")
    @classmethod
    def _visible_ascii(cls, value: str) -> str:
        if not _EVENT_ID_RE.fullmatch(value):
            raise ValueError("the id is letters, digits and punctuation only, without spaces")
        return value

    @model_validator(mode="after")
    def _minutes_only_when_timed(self) -> SensorEventIn:
        if self.minutes is not None and self.kind not in TIMED_KINDS:
            raise ValueError(f"minutes is only for {', '.join(sorted(TIMED_KINDS))}")
        return self


class SensorEventsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    events: list[SensorEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class SensorEventResult(Schema):
    id: str
    outcome: Outcome = Field(description="stored, duplicate (stored before) or refused.")
    detail: str = Field(default="", description="For a refused event: why, in a sentence.")
    alarm: bool = Field(default=False, description="Whether the event raised an alarm.")


class SensorEventsOut(Schema):
    stored: int
    duplicates: int
    refused: int
    results: list[SensorEventResult] = Field(description="One per event, in the order sent.")


class SensorHeartbeatOut(Schema):
    time: str = Field(description="The server's time, ISO 8601: set the camera's clock.")


@router.post(
    "/events",
    response={200: SensorEventsOut, **errors(401, 403, 422, 503)},
    summary="An infrared camera's events",
    description=(
        f"Up to {MAX_EVENTS} events: fall, sitting_up, left_bed, not_back_in_bed, left_room, "
        "bathroom_too_long, no_movement, connection_lost, covered. Each is stored once: "
        "an id sent before is answered as a duplicate. Events may come out of order (a "
        "buffer sent after an outage); one timed ahead of the server's clock, or from a "
        "camera not placed with a client when it happened, is refused with the reason, "
        "and the others are stored. The client's rules decide which raise an alarm."
    ),
)
def post_events(request: HttpRequest, body: SensorEventsIn) -> Any:
    camera = request.auth  # type: ignore[attr-defined]
    assert isinstance(camera, AlarmUnit)
    reported = [
        services.ReportedEvent(
            event_id=e.id, kind=e.kind.value, at=e.at, minutes=e.minutes, room=e.room.strip()
        )
        for e in body.events
    ]
    try:
        results = services.record_sensor_events(camera, reported, now=timezone.now())
    except DatabaseError as exc:
        raise HttpError(503, _("Not stored: the service is unavailable; try again.")) from exc
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in Outcome}
    return Status(
        200,
        {
            "stored": count[Outcome.STORED],
            "duplicates": count[Outcome.DUPLICATE],
            "refused": count[Outcome.REFUSED],
            "results": [
                {
                    "id": r.event_id,
                    "outcome": r.outcome,
                    "detail": r.detail,
                    "alarm": r.alarm_id is not None,
                }
                for r in results
            ],
        },
    )


@router.post(
    "/heartbeat",
    response={200: SensorHeartbeatOut, **errors(401, 403, 503)},
    summary="An infrared camera is alive",
    description=(
        "Moves the camera's supervision deadline (its heartbeat interval and grace); when "
        "heartbeats stop, a lost connection is raised to the welfare-technology team."
    ),
)
def post_heartbeat(request: HttpRequest) -> Any:
    camera = request.auth  # type: ignore[attr-defined]
    assert isinstance(camera, AlarmUnit)
    now = timezone.now()
    if not services.heartbeat(camera, now=now):
        raise HttpError(503, _("Not stored: the service is unavailable; try again."))
    return Status(200, {"time": now.isoformat()})
