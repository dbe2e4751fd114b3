"""Service-desk orders over the JSON API, for people with a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from trygg.core import clock
from trygg.core.apiauth import session_auth
from trygg.core.apierrors import ValidationErrors, errors
from trygg.core.models import Provider
from trygg.core.web import request_user
from trygg.lib.bounds import BoundedInt

from . import access, services
from .constants import ANY_OPEN, Audience, OrderStatus
from .models import Order, OrderType

router = Router(tags=["orders"], auth=session_auth)


class FieldSpecOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    choices: list[str]
    multiple: bool
    help: str


class OrderTypeOut(Schema):
    id: int
    municipality_id: int
    code: str
    name: str
    description: str
    deadline_working_days: int
    audience: str
    fields: list[FieldSpecOut]
    steps: list[str]


class StepOut(Schema):
    position: int
    title: str
    done_at: dt.datetime | None
    done_by_id: int | None


class OrderOut(Schema):
    id: int
    number: str
    type_code: str
    type_name: str
    municipality_id: int
    provider_id: int | None
    orderer_id: int
    client_id: int | None
    status: OrderStatus
    placed_at: dt.datetime
    due_on: dt.date
    done_at: dt.datetime | None
    assigned_to_id: int | None
    overdue: bool


class ResultFileOut(Schema):
    id: int
    name: str
    size: int
    url: str = Field(description="The file, for a logged-in person; each download is logged")


class ResultOut(Schema):
    id: int
    kind: str
    made_at: dt.datetime
    made_by_id: int | None = Field(description="None when Trygg made it by itself")
    summary: dict[str, Any] = Field(description="For a log extract: date and counts per provider")
    files: list[ResultFileOut]


class OrderDetailOut(OrderOut):
    values: dict[str, Any]
    steps: list[StepOut]
    allowed_statuses: list[str]
    results: list[ResultOut] = Field(description="What Trygg made for the order, newest first")


class OrderFilter(Schema):
    q: str = Field("", max_length=100, description="Number, type, orderer or client")
    status: OrderStatus | None = None
    open: bool = Field(False, description="Only orders not done or cancelled")
    type: str = Field("", max_length=40, description="Order type code")
    overdue: bool = False
    limit: int = Field(50, ge=1, le=500)
    offset: BoundedInt = 0


class OrderPage(Schema):
    count: int
    items: list[OrderOut]


class OrderIn(Schema):
    type: str = Field(..., max_length=40, description="Order type code, e.g. user_account")
    municipality_id: BoundedInt | None = Field(
        None, description="Needed only when you may order in several municipalities"
    )
    provider_id: BoundedInt | None = Field(
        None, description="Needed only when you order for several providers"
    )
    values: dict[str, Any] = Field(default_factory=dict)


class StatusIn(Schema):
    status: OrderStatus
    note: str = Field("", max_length=500)
    reason: str = Field(
        "",
        max_length=300,
        description='Why the order is "done" while checklist steps are unticked; '
        "required then, and recorded in the order's history",
    )


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


def _order_out(order: Order, today: dt.date) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "type_code": order.order_type.code,
        "type_name": order.order_type.name,
        "municipality_id": order.municipality_id,
        "provider_id": order.provider_id,
        "orderer_id": order.orderer_id,
        "client_id": order.client_id,
        "status": order.status,
        "placed_at": order.placed_at,
        "due_on": order.due_on,
        "done_at": order.done_at,
        "assigned_to_id": order.assigned_to_id,
        "overdue": order.is_overdue(today),
    }


def _detail_out(request: HttpRequest, order: Order) -> dict[str, Any]:
    user = request_user(request)
    return {
        **_order_out(order, order.municipality.today()),
        "values": order.values,
        "steps": list(order.steps.values("position", "title", "done_at", "done_by_id")),
        "allowed_statuses": services.allowed_transitions(user, order),
        "results": [
            {
                "id": result.pk,
                "kind": result.kind,
                "made_at": result.made_at,
                "made_by_id": result.made_by_id,
                "summary": result.summary,
                "files": [
                    {
                        "id": f.pk,
                        "name": f.original_name,
                        "size": f.size,
                        "url": reverse("servicedesk:order_attachment", args=[order.pk, f.pk]),
                    }
                    for f in result.files.all()
                ],
            }
            for result in order.results.prefetch_related("files")
        ],
    }


@router.get(
    "/order-types",
    response={200: list[OrderTypeOut], **errors(401)},
    summary="What you may order",
)
def list_order_types(request: HttpRequest) -> list[dict[str, Any]]:
    types = access.order_types(request.user).order_by("municipality_id", "position", "name")
    return [
        {
            "id": t.pk,
            "municipality_id": t.municipality_id,
            "code": t.code,
            "name": t.name,
            "description": t.description,
            "deadline_working_days": t.deadline_working_days,
            "audience": t.audience,
            "fields": [
                {
                    "name": s.name,
                    "label": s.label,
                    "kind": s.kind,
                    "required": s.required,
                    "choices": list(s.choices),
                    "multiple": s.multiple,
                    "help": s.help,
                }
                for s in t.field_specs
            ],
            "steps": t.steps,
        }
        for t in types
    ]


@router.get("/orders", response={200: OrderPage, **errors(401, 422)}, summary="Orders you may see")
def list_orders(request: HttpRequest, filters: Query[OrderFilter]) -> dict[str, Any]:
    today = clock.today_for(request.user)
    data = {
        "q": filters.q,
        "status": filters.status or (ANY_OPEN if filters.open else ""),
        "overdue": filters.overdue,
    }
    queryset = services.filter_orders(access.orders(request.user), data, today)
    if filters.type:
        queryset = queryset.filter(order_type__code=filters.type)
    queryset = queryset.select_related("order_type").order_by("-placed_at", "-id")
    rows = queryset[filters.offset : filters.offset + filters.limit]
    return {"count": queryset.count(), "items": [_order_out(o, today) for o in rows]}


@router.get(
    "/orders/{order_id}",
    response={200: OrderDetailOut, **errors(401, 404, 422)},
    summary="One order",
)
def get_order(request: HttpRequest, order_id: BoundedInt) -> dict[str, Any]:
    return _detail_out(request, access.get_order(request.user, order_id))


def _order_type(request: HttpRequest, payload: OrderIn) -> OrderType:
    types = access.order_types(request.user).filter(code=payload.type)
    if payload.municipality_id is not None:
        types = types.filter(municipality_id=payload.municipality_id)
    found = list(types.select_related("municipality")[:2])
    if not found:
        raise HttpError(422, f"No order type {payload.type!r} that you may order.")
    if len(found) > 1:
        raise HttpError(422, "You order in several municipalities: give municipality_id.")
    return found[0]


def _provider(request: HttpRequest, payload: OrderIn, order_type: OrderType) -> Provider | None:
    providers = list(access.ordering_providers(request.user, order_type.municipality_id))
    if order_type.audience == Audience.MUNICIPAL or not providers:
        if payload.provider_id is not None:
            raise HttpError(422, "This order is placed by the municipality: leave out provider_id.")
        if not access.orders_municipally(request.user, order_type.municipality_id):
            raise HttpError(422, "You may not place this order.")
        return None
    if payload.provider_id is None:
        if len(providers) > 1:
            raise HttpError(422, "You order for several providers: give provider_id.")
        return providers[0]
    for provider in providers:
        if provider.pk == payload.provider_id:
            return provider
    raise HttpError(422, "You may not order for that provider.")


@router.post(
    "/orders",
    # 422: the order's own rules (ErrorOut, with the problems per field) or ninja's refusal of
    # a body that does not match the schema (ValidationErrors).
    response={201: OrderDetailOut, 422: ErrorOut | ValidationErrors, **errors(400, 401, 403)},
    summary="Place an order",
    description="values are checked against the type's fields (see /order-types); a wrong "
    "field answers 422 with the problems per field and nothing is saved.",
)
def create_order(request: HttpRequest, payload: OrderIn) -> Status:
    user = request_user(request)
    if not access.can_place_order(user):
        raise PermissionError("Your roles do not place orders.")
    order_type = _order_type(request, payload)
    provider = _provider(request, payload, order_type)
    clients = access.order_clients(user, order_type.municipality_id)
    try:
        order = services.place_order(
            user, order_type, payload.values, provider=provider, clients=clients
        )
    except services.InvalidOrder as exc:
        return Status(422, {"detail": "Some fields are wrong.", "errors": exc.errors})
    except services.OrderError as exc:
        return Status(422, {"detail": str(exc), "errors": {}})
    return Status(201, _detail_out(request, order))


@router.post(
    "/orders/{order_id}/status",
    response={200: OrderDetailOut, 400: ErrorOut, 409: ErrorOut, **errors(401, 403, 404, 422)},
    summary="Move an order to another status",
)
def change_order_status(request: HttpRequest, order_id: BoundedInt, payload: StatusIn) -> Status:
    user = request_user(request)
    order = access.get_order(user, order_id)
    try:
        services.change_status(user, order, payload.status, payload.note, reason=payload.reason)
    except services.StepsNotDone as exc:
        return Status(400, {"detail": str(exc), "errors": {"reason": [str(exc)]}})
    except services.OrderConflict as exc:
        return Status(409, {"detail": str(exc), "errors": {}})
    except services.OrderError as exc:
        return Status(400, {"detail": str(exc), "errors": {}})
    return Status(200, _detail_out(request, order))
