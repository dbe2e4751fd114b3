"""Outages over the JSON API: the public status, and planning for people with a session."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import WithJsonSchema

from trygg.core.apiauth import session_auth
from trygg.core.apierrors import ErrorDetail, errors
from trygg.core.models import Municipality, User
from trygg.lib.bounds import BoundedDateTime, BoundedInt

from . import access, services
from .constants import OutageKind, System
from .models import Outage, OutageNotice

router = Router(tags=["outages"])

# Described inline: the OpenAPI document names an enum's component after its class, and the
# support API's `System` (which also holds "phones") has the same name.
OutageSystem = Annotated[
    System, WithJsonSchema({"type": "string", "enum": [system.value for system in System]})
]


class OutageOut(Schema):
    id: int
    municipality: str = Field(description="Municipality code")
    system: str
    system_label: str
    kind: str
    status: str
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: BoundedDateTime
    current: bool


class SystemOut(Schema):
    system: str
    label: str
    state: str = Field(description="ok (green), planned (amber) or down (red)")


class MunicipalityStatusOut(Schema):
    municipality: str
    name: str
    systems: list[SystemOut]
    current: list[OutageOut]
    upcoming: list[OutageOut]


class PlanIn(Schema):
    municipality_id: BoundedInt | None = Field(
        None, description="Needed only by someone who plans for several municipalities."
    )
    system: OutageSystem
    kind: OutageKind = OutageKind.PLANNED
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    starts_at: BoundedDateTime = Field(
        ..., description="With an offset; without one, the municipality's local time."
    )
    ends_at: BoundedDateTime
    override_reason: str = Field(
        "", max_length=2000, description="Sets broken window or notice rules aside."
    )
    announce: bool = Field(False, description="Announce at once when planned.")


class ViolationOut(Schema):
    rule: str = Field(description="window, notice_users or notice_managers")
    message: str
    earliest: dt.datetime | None


class RefusedOut(Schema):
    detail: str
    violations: list[ViolationOut]


class NoticeOut(Schema):
    audience: str
    provider_id: int | None
    channel: str
    kind: str
    sequence: int
    sent_at: dt.datetime
    recipients: int


class PlannedOut(OutageOut):
    override_reason: str
    overridden_rules: list[str]
    announced_at: dt.datetime | None
    notices: list[NoticeOut]


def _outage(outage: Outage, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": outage.pk,
        "municipality": outage.municipality.code,
        "system": outage.system,
        "system_label": str(System(outage.system).label),
        "kind": outage.kind,
        "status": outage.status,
        "title": outage.title,
        "description": outage.description,
        "starts_at": outage.starts_at,
        "ends_at": outage.ends_at,
        "current": outage.is_current(now),
    }


def _planned(outage: Outage, now: dt.datetime) -> dict[str, Any]:
    notices = OutageNotice.objects.filter(outage=outage).order_by("sent_at", "pk")
    return {
        **_outage(outage, now),
        "override_reason": outage.override_reason,
        "overridden_rules": [r for r in outage.overridden_rules.split(",") if r],
        "announced_at": outage.announced_at,
        "notices": list(notices),
    }


def _refused(exc: services.OutageRefused) -> Status[dict[str, Any]]:
    return Status(
        400,
        {
            "detail": "The outage breaks the rules; give an override_reason to plan it anyway.",
            "violations": [
                {"rule": v.rule, "message": v.message, "earliest": v.earliest}
                for v in exc.violations
            ],
        },
    )


@router.get(
    "/",
    response=list[MunicipalityStatusOut],
    auth=None,
    summary="Current and planned outages (public)",
)
def outage_status(request: HttpRequest, municipality: str = "") -> list[dict[str, Any]]:
    queryset = Municipality.objects.order_by("name")
    if municipality:
        queryset = queryset.filter(code=municipality[:4])
    now = timezone.now()
    return [
        {
            "municipality": entry.municipality.code,
            "name": entry.municipality.name,
            "systems": [
                {"system": s.system.value, "label": str(s.system.label), "state": s.state.value}
                for s in entry.systems
            ],
            "current": [_outage(o, now) for o in entry.current],
            "upcoming": [_outage(o, now) for o in entry.upcoming],
        }
        for entry in services.status_board(list(queryset), now)
    ]


@router.post(
    "/",
    response={201: PlannedOut, 400: RefusedOut | ErrorDetail, **errors(401, 403, 422)},
    auth=session_auth,
    summary="Plan an outage",
)
def outage_plan(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    user = request.user
    assert isinstance(user, User)
    plannable = list(access.plannable_municipalities(user))
    if not plannable:
        raise PermissionError("You do not plan outages.")
    if payload.municipality_id is None:
        if len(plannable) != 1:
            return Status(400, {"detail": "Say which municipality: municipality_id."})
        municipality = plannable[0]
    else:
        found = [m for m in plannable if m.pk == payload.municipality_id]
        if not found:
            raise PermissionError("You do not plan outages for that municipality.")
        municipality = found[0]
    tz = municipality.zone
    starts_at, ends_at = (
        t.replace(tzinfo=tz) if timezone.is_naive(t) else t
        for t in (payload.starts_at, payload.ends_at)
    )
    try:
        outage = services.plan_outage(
            municipality=municipality,
            system=payload.system,
            kind=payload.kind,
            title=payload.title,
            description=payload.description,
            starts_at=starts_at,
            ends_at=ends_at,
            override_reason=payload.override_reason,
            by=user,
        )
        if payload.announce and outage.kind == OutageKind.PLANNED:
            services.announce_outage(outage, user)
            outage.refresh_from_db()
    except services.OutageRefused as exc:
        return _refused(exc)
    except services.OutageError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(201, _planned(outage, timezone.now()))


class AnnounceIn(Schema):
    override_reason: str = Field("", max_length=2000)


@router.post(
    "/{outage_id}/announce",
    response={200: PlannedOut, 400: RefusedOut | ErrorDetail, **errors(401, 403, 404, 422)},
    auth=session_auth,
    summary="Announce an outage to every audience (idempotent)",
)
def outage_announce(
    request: HttpRequest, outage_id: BoundedInt, payload: AnnounceIn
) -> Status[dict[str, Any]]:
    user = request.user
    assert isinstance(user, User)
    outage = access.get_outage(user, outage_id)
    try:
        services.announce_outage(outage, user, override_reason=payload.override_reason)
    except services.OutageRefused as exc:
        return _refused(exc)
    except services.OutageError as exc:
        return Status(400, {"detail": str(exc)})
    outage.refresh_from_db()
    return Status(200, _planned(outage, timezone.now()))
