"""Staff phones over the JSON API, for people with a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from trygg.core import clock
from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.models import Provider, User
from trygg.core.web import request_user
from trygg.lib.bounds import BoundedInt

from . import access, services
from .constants import INITIAL_STATUSES, PhoneAction, PhoneStatus
from .identifiers import InvalidIdentifier
from .models import Phone

router = Router(tags=["devices"], auth=session_auth)


class PhoneOut(Schema):
    id: int
    municipality_id: int
    provider_id: int
    assigned_to_id: int | None
    model_name: str
    imei: str
    serial_number: str
    phone_number: str
    status: PhoneStatus
    handed_in_on: dt.date | None
    ready_by: dt.date | None
    configured_on: dt.date | None
    picked_up_on: dt.date | None
    lost_reported_at: dt.datetime | None
    wipe_requested_at: dt.datetime | None
    wiped_at: dt.datetime | None
    overdue: bool
    actions: list[str] = Field(description="What you may do to the phone in its status now")


class PhoneEventOut(Schema):
    at: dt.datetime
    actor_id: int | None
    action: str
    from_status: str
    to_status: str
    note: str


class PhoneDetailOut(PhoneOut):
    notes: str
    events: list[PhoneEventOut]


class PhonePage(Schema):
    count: int
    items: list[PhoneOut]


class PhoneFilter(Schema):
    q: str = Field("", max_length=100, description="IMEI, number, model or staff member")
    status: PhoneStatus | None = None
    provider_id: BoundedInt | None = None
    overdue: bool = False
    limit: int = Field(100, ge=1, le=500)
    offset: BoundedInt = 0


class TransitionIn(Schema):
    action: PhoneAction
    note: str = Field("", max_length=2000)
    assigned_to_id: BoundedInt | None = Field(
        None, description="For hand_in: who it is configured for"
    )
    request_wipe: bool = Field(False, description="For report_lost: request the wipe as well")


class PhoneIn(Schema):
    provider_id: BoundedInt
    imei: str = Field(max_length=40)
    model_name: str = Field(min_length=1, max_length=100)
    assigned_to_id: BoundedInt | None = None
    serial_number: str = Field("", max_length=64)
    phone_number: str = Field("", max_length=32)
    notes: str = Field("", max_length=2000)
    status: PhoneStatus = PhoneStatus.IN_STOCK


def _out(user: User, phone: Phone, today: dt.date) -> dict[str, Any]:
    return {
        **{f: getattr(phone, f) for f in PhoneOut.model_fields if hasattr(phone, f)},
        "overdue": phone.is_overdue(today),
        "actions": services.available_actions(user, phone),
    }


@router.get("/phones", response={200: PhonePage, **errors(401, 422)}, summary="Phones you may see")
def list_phones(request: HttpRequest, filters: Query[PhoneFilter]) -> dict[str, Any]:
    user = request_user(request)
    today = clock.today_for(user)
    queryset = access.phones(user).search(filters.q)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.provider_id:
        queryset = queryset.filter(provider_id=filters.provider_id)
    if filters.overdue:
        queryset = queryset.overdue(today)
    queryset = queryset.order_by("provider_id", "pk")
    items = queryset[filters.offset : filters.offset + filters.limit]
    return {"count": queryset.count(), "items": [_out(user, p, today) for p in items]}


@router.get(
    "/phones/{phone_id}",
    response={200: PhoneDetailOut, **errors(401, 404, 422)},
    summary="One phone and its history",
)
def get_phone(request: HttpRequest, phone_id: BoundedInt) -> dict[str, Any]:
    user = request_user(request)
    phone = access.get_phone(user, phone_id)
    return {
        **_out(user, phone, phone.municipality.today()),
        "notes": phone.notes,
        "events": list(phone.events.order_by("at", "id")),
    }


@router.post(
    "/phones",
    response={201: PhoneDetailOut, **errors(400, 401, 403, 422)},
    summary="Register a phone",
)
def register_phone(request: HttpRequest, body: PhoneIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    try:
        provider = access.phone_providers(user).get(pk=body.provider_id)
    except Provider.DoesNotExist as exc:
        raise HttpError(403, "You may not register phones for that provider.") from exc
    if body.status not in INITIAL_STATUSES:
        raise HttpError(400, "A new phone is in_stock, handed_in_for_configuration or in_use.")
    assigned_to = _assignee(provider, body.assigned_to_id)
    try:
        phone = services.register_phone(
            user,
            provider,
            imei=body.imei,
            model_name=body.model_name,
            assigned_to=assigned_to,
            serial_number=body.serial_number,
            phone_number=body.phone_number,
            notes=body.notes,
            status=body.status,
        )
    except (services.PhoneError, InvalidIdentifier) as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, get_phone(request, phone.pk))


@router.post(
    "/phones/{phone_id}/transitions",
    response={200: PhoneDetailOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Move a phone along its lifecycle",
    description=(
        "Actions: hand_in, start_configuring, mark_ready, pick_up, report_lost, found, "
        "request_wipe, mark_wiped, return_to_stock, retire. 409 when the phone's status "
        "does not allow the action or someone changed it first."
    ),
)
def transition(request: HttpRequest, phone_id: BoundedInt, body: TransitionIn) -> dict[str, Any]:
    user = request_user(request)
    phone = access.get_phone(user, phone_id)
    if body.action == PhoneAction.REGISTER:
        raise HttpError(400, "A registered phone cannot be registered again.")
    if not access.can_change_phone(user, phone, body.action):
        raise HttpError(403, "Your role may not do that to this phone.")
    assigned_to = None
    if body.assigned_to_id is not None:
        assigned_to = _assignee(phone.provider, body.assigned_to_id)
    try:
        if body.action == PhoneAction.REPORT_LOST:
            services.report_lost(user, phone, note=body.note, request_wipe=body.request_wipe)
        else:
            services.change_phone(user, phone, body.action, note=body.note, assigned_to=assigned_to)
    except services.PhoneConflict as exc:
        raise HttpError(409, str(exc)) from exc
    except services.PhoneError as exc:
        raise HttpError(400, str(exc)) from exc
    return get_phone(request, phone.pk)


def _assignee(provider: Provider, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    try:
        return access.phone_assignable_staff(provider).get(pk=user_id)
    except User.DoesNotExist as exc:
        raise HttpError(400, "That staff member does not work for the phone's provider.") from exc
