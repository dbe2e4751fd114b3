"""The fields of a lock event as it comes over the wire, shared by the lock's own API
(`device_api`) and the phone's upload of what the locks answered it (`phone_api`): the same
event is stored once whoever sends it, so both must read it alike."""

from __future__ import annotations

import re
from typing import Annotated

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict, field_validator

from .constants import LockEventKind, Refusal

MAX_EVENTS = 200
_EVENT_ID_RE = re.compile(r"[!-~]+")


class EventFields(Schema):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=64,
        description="The lock's own id for the event, the same when sent again.",
    )
    kind: LockEventKind
    at: AwareDatetime = Field(description="When, by the lock's clock, ISO 8601 with offset.")
    key_id: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    holder: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    key_version: Annotated[int, Field(ge=0, lt=2**16)] | None = None
    refusal: Refusal | None = None

    @field_validator("id")
    @classmethod
    def _visible_ascii(cls, value: str) -> str:
        if not _EVENT_ID_RE.fullmatch(value):
            raise ValueError("the id is letters, digits and punctuation only, without spaces")
        return value


class EventsOut(Schema):
    stored: int
    duplicates: int
    ids: list[str] = Field(description="Every event id acknowledged: forget these.")
