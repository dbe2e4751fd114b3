"""Visit registration over the JSON API: the phone's day (its clients, their granted
services and tags, to keep for working offline) and the sync of registered visits, which
other apps that register visits use too (with a provider's token holding the `visits`
scope)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder, Status

from trygg.core.apiauth import BearerToken, session_auth
from trygg.core.apierrors import errors
from trygg.core.constants import AccessAction
from trygg.core.models import ApiToken, GrantedService, ServiceType, User
from trygg.core.services import log_request_access
from trygg.devices.models import NfcTag

from . import access
from .models import NoTagReason
from .services import TOKEN_SCOPE, Registrar, planned_on_alarm_visit, planned_on_visit
from .sync import BatchError, sync
from .wire import MAX_ITEMS, SyncBatch, item_schema


def _admit(request: HttpRequest, token: ApiToken) -> ApiToken:
    if token.provider_id is None or TOKEN_SCOPE not in token.scopes.split():
        raise HttpError(
            403,
            "This token may not register visits (a provider's token with the 'visits' scope may).",
        )
    return token


router = Router(tags=["visits"])


class ItemAnswer(Schema):
    index: int = Field(description="The item's place in the batch, from 0.")
    id: str | None = Field(description="The item's id as sent (None if it had none).")
    status: str = Field(description="accepted, duplicate or refused.")
    visit_id: int | None = Field(None, description="The stored visit (accepted, duplicate).")
    code: str = Field("", description="Why refused, for programs: not_your_client, locked, ...")
    reason: str = Field("", description="Why refused, for people, in their language.")
    flags: list[str] = Field(
        default_factory=list, description="What review will look at: no_tag, short, overlap..."
    )


class SyncAnswer(Schema):
    received_at: dt.datetime
    clock_offset_seconds: int = Field(description="The server's clock minus the phone's.")
    clock_flagged: bool = Field(description="The phone's clock is off by more than allowed.")
    accepted: int
    duplicates: int
    refused: int
    items: list[ItemAnswer]


class Problem(Schema):
    detail: str


@router.post(
    "/sync",
    response={200: SyncAnswer, 400: Problem, 403: Problem, **errors(401, 403, 404, 422)},
    auth=[session_auth, BearerToken(admit=_admit)],
    operation_id="visits_sync",
    summary="Send registered visits",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["sent_at", "items"],
                        "properties": {
                            "sent_at": {"type": "string", "format": "date-time"},
                            "items": {
                                "type": "array",
                                "maxItems": MAX_ITEMS,
                                "items": item_schema(),
                            },
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
def sync_visits(request: HttpRequest, batch: SyncBatch) -> Any:
    """Idempotent: an item whose id is already stored is answered `duplicate` and stored
    once. Each item is checked on its own; a refused item never stops the others. A
    person's session registers their own visits; a provider's token names each item's
    `staff_id`."""
    auth = getattr(request, "auth", None)
    try:
        if isinstance(auth, ApiToken):
            registrar = Registrar.for_token(auth)
        else:
            assert isinstance(request.user, User)
            registrar = Registrar.for_user(request.user)
    except PermissionError as exc:
        return Status(403, {"detail": str(exc)})
    try:
        result = sync(registrar, batch.sent_at, batch.items)
    except BatchError as exc:
        return Status(400, {"detail": str(exc)})
    answer = {
        "received_at": result.received_at,
        "clock_offset_seconds": result.clock_offset,
        "clock_flagged": result.clock_flagged,
        "accepted": result.count("accepted"),
        "duplicates": result.count("duplicate"),
        "refused": result.count("refused"),
        "items": [item.__dict__ for item in result.items],
    }
    # Rendered as it is: the answer is SyncAnswer by construction, and validating 10,000
    # ItemAnswers against it again was a seventh of the request (docs/benchmarks.md).
    return HttpResponse(
        json.dumps(answer, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


class VisitServiceOut(Schema):
    code: str
    name: str
    granted_minutes: int
    period: str
    planned: bool = Field(description="A planned task of an ordinary visit (ticked in advance).")
    on_alarm: bool = Field(description="The task of a visit after the client's alarm.")


class DayClientOut(Schema):
    id: int
    name: str
    street: str
    postal_code: str
    city: str
    key_location: str
    tags: list[str] = Field(description="Codes of the tags at the client's door.")
    services: list[VisitServiceOut] = Field(description="Granted services in force today.")


class Choice(Schema):
    value: str
    label: str


class VisitPersonOut(Schema):
    id: int
    name: str


class DayOut(Schema):
    date: dt.date
    user: VisitPersonOut = Field(description="Whose day this is: the phone keeps it under this id.")
    clients: list[DayClientOut]
    colleagues: list[VisitPersonOut] = Field(
        description="Who may be named as the second staff member (double staffing)."
    )
    tasks: list[Choice] = Field(description="Every task (service type) of the municipality.")
    no_tag_reasons: list[Choice]


@router.get(
    "/day",
    response={200: DayOut, 403: Problem, **errors(401, 403, 404, 422)},
    auth=session_auth,
    operation_id="visits_day",
    summary="The phone's clients for today",
)
def day(request: HttpRequest) -> Any:
    """The clients the staff member's phone keeps for the day (their teams'), with their
    granted services in force and the tags at their doors, so visits can be registered
    without network. Every client listed is access-logged."""
    user = request.user
    assert isinstance(user, User)
    try:
        registrar = Registrar.for_user(user)
    except PermissionError as exc:
        return Status(403, {"detail": str(exc)})
    today = registrar.municipality.today()
    clients = list(
        access.clients_for_the_day(user).active_on(today).order_by("last_name", "first_name")
    )
    ids = [client.pk for client in clients]
    services: dict[int, list[dict[str, Any]]] = {}
    for grant in (
        GrantedService.objects.filter(client_id__in=ids, provider_id__in=registrar.provider_ids)
        .select_related("service_type")
        .order_by("service_type__name")
    ):
        if grant.is_active_on(today):
            services.setdefault(grant.client_id, []).append(
                {
                    "code": grant.service_type.code,
                    "name": grant.service_type.name,
                    "granted_minutes": grant.granted_minutes,
                    "period": grant.period,
                    "planned": planned_on_visit(grant.service_type.category),
                    "on_alarm": planned_on_alarm_visit(grant.service_type.category),
                }
            )
    tags: dict[int, list[str]] = {}
    for tag in NfcTag.objects.in_place_on(today).filter(client_id__in=ids):
        assert tag.client_id is not None
        tags.setdefault(tag.client_id, []).append(tag.code)
    log_request_access(request, clients, AccessAction.API_LIST)
    return {
        "date": today,
        "user": {"id": user.pk, "name": user.get_full_name() or user.username},
        "colleagues": [
            {"id": person.pk, "name": person.get_full_name() or person.username}
            for person in access.colleagues(user)
        ],
        "clients": [
            {
                "id": client.pk,
                "name": f"{client.first_name} {client.last_name}",
                "street": client.street,
                "postal_code": client.postal_code,
                "city": client.city,
                "key_location": client.key_location,
                "tags": tags.get(client.pk, []),
                "services": services.get(client.pk, []),
            }
            for client in clients
        ],
        "tasks": [
            {"value": code, "label": name}
            for code, name in ServiceType.objects.filter(
                municipality=registrar.municipality
            ).values_list("code", "name")
        ],
        "no_tag_reasons": [
            {"value": value, "label": str(label)} for value, label in NoTagReason.choices
        ],
    }
