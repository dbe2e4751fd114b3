"""What a phone (or another app that registers visits) sends: a batch of registrations.

One definition serves the sync service, which validates the batch's items in one pass and
answers each malformed one on its own (a malformed item never blocks the others), and the
API, which documents it in OpenAPI.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .models import NoTagReason, Outcome, Presence

MAX_ITEMS = 20_000


class Scan(BaseModel):
    """Arriving or leaving: when, and how presence was shown."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime = Field(description="The phone's clock at the scan, with its offset.")
    by: Presence = Field(
        description="tag: the phone read the NFC tag; qr: the camera read the tag's QR code; "
        "code: the code printed on the tag was typed; none: no tag (give no_tag_reason)."
    )
    tag: Annotated[str, Field(max_length=200)] = Field(
        default="", description="The tag's code (7K3M-Q9XB) or the link written on it."
    )
    uid: Annotated[str, Field(max_length=40)] = Field(
        default="", description="The tag chip's serial number as Web NFC reports it."
    )


class SyncItem(BaseModel):
    """One registered visit."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Made by the phone; the same id sent again is stored once.")
    client_id: int = Field(ge=1, le=2**63 - 1)
    arrival: Scan
    departure: Scan | None = Field(
        default=None, description="Leaving; may be left out when the client was not at home."
    )
    outcome: Outcome = Outcome.PERFORMED
    tasks: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list,
        max_length=50,
        description="Codes of the service types performed (the client's granted services).",
    )
    no_tag_reason: NoTagReason | None = Field(
        default=None, description="Why no tag was scanned (required when arrival.by is none)."
    )
    partner_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="The second staff member (double staffing)."
    )
    alarm_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="The alarm that started the visit."
    )
    staff_id: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="Who made the visit; only for an integration's token (a person's own "
        "session registers their own visits).",
    )
    note: Annotated[str, Field(max_length=500)] = ""


class SyncBatch(BaseModel):
    """A batch of registrations. Items are checked one by one: see the answer per item."""

    sent_at: AwareDatetime = Field(description="The phone's clock when it sent the batch.")
    items: list[Any] = Field(max_length=MAX_ITEMS, description="SyncItem objects.")


_FIELD_NAMES = {
    "id": lambda: _("the registration id"),
    "client_id": lambda: _("the client"),
    "arrival": lambda: _("the arrival"),
    "departure": lambda: _("the departure"),
    "outcome": lambda: _("the outcome"),
    "tasks": lambda: _("the tasks"),
    "no_tag_reason": lambda: _("the reason for no tag"),
    "partner_id": lambda: _("the second staff member"),
    "alarm_id": lambda: _("the alarm"),
    "staff_id": lambda: _("the staff member"),
    "note": lambda: _("the note"),
}


def explain(error: ValidationError) -> str:
    """The first problem in a malformed item, in words a person can act on."""
    first = error.errors()[0]
    location = first.get("loc") or ("",)
    named = _FIELD_NAMES.get(str(location[0]))
    field = named() if named else str(location[0])
    if first.get("type") == "missing":
        return _("The registration is missing %(field)s.") % {"field": field}
    if first.get("type") == "extra_forbidden":
        return _("The registration has a field Trygg does not know: %(field)s.") % {
            "field": ".".join(str(part) for part in location)
        }
    return _("The registration has an invalid value for %(field)s.") % {"field": field}


def item_schema() -> dict[str, Any]:
    """SyncItem's JSON schema with its parts written in place, for the OpenAPI document
    (which has no `$defs` of its own to point into)."""
    schema = SyncItem.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
