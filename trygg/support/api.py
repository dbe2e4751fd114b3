"""Support routing, the service catalogue and call-outs over the JSON API, for people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.models import Municipality, User
from trygg.core.web import request_user
from trygg.lib.bounds import BoundedDateTime, BoundedInt

from . import access, services
from .constants import System
from .models import CallOut, Service
from .routing import Answer, LineData, LineStatus

router = Router(tags=["support"], auth=session_auth)


class LineOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    kind: str
    district_id: int | None
    audience: str = Field(description="everyone, or municipal: the municipality's own staff")
    no_account_help: bool = Field(description="Does not unlock accounts or change passwords")


class NotForCallerOut(Schema):
    # The name only: the number of a line that does not serve the caller is not offered.
    name: str
    explanation: str = Field(description="That the line is not for the caller, and where to go")


class AccountsOut(Schema):
    explanation: str
    refused_by: LineOut
    desk: LineOut | None = Field(description="The support line that handles accounts")
    opens: dt.datetime | None = Field(description="When the desk opens; None when open now")


class NextStepOut(Schema):
    kind: str
    text: str
    line: LineOut | None
    open_now: bool | None
    next_opening: dt.datetime | None


class AnswerOut(Schema):
    system: str
    at: dt.datetime
    line: LineOut | None
    reason: str
    explanation: str
    out_of_hours: bool
    open_until: dt.datetime | None = Field(description="When the answered line closes")
    next_opening: dt.datetime | None = Field(description="When support opens again")
    holiday: str | None
    first_steps: list[str]
    escalation: list[NextStepOut]
    not_for_caller: list[NotForCallerOut] = Field(
        description="Lines for this system that do not serve the caller (a private provider's "
        "staff), each with where to turn instead"
    )
    accounts: AccountsOut | None = Field(
        description="Where locked accounts and passwords go when a named line will not"
    )


class WhoToCallQuery(Schema):
    system: System | None = Field(None, description="One system; all with support if empty")
    district: BoundedInt | None = Field(
        None, description="Team (district) id, for its out-of-hours line"
    )
    at: BoundedDateTime | None = Field(
        None, description="Moment to answer for; without a zone, the municipality's local time"
    )
    municipality: BoundedInt | None = None


class ServiceOut(Schema):
    id: int
    system: str
    name: str
    description: str
    vendor: str
    service_level: str
    owner: str
    manager: str
    operations_owner: str
    call_out_fee: Decimal | None
    currency: str
    is_active: bool
    support_hours: list[str]


class CallOutIn(Schema):
    service_id: BoundedInt
    at: BoundedDateTime = Field(description="Without a zone, the municipality's local time")
    vendor: str = Field(max_length=100)
    reason: str = Field(max_length=300)
    cost: Decimal
    currency: str = Field(description="SEK or NOK")
    ordered_by_id: BoundedInt | None = None
    approved_by_id: BoundedInt | None = None
    note: str = ""


class CallOutOut(Schema):
    id: int
    service_id: int
    service: str
    at: dt.datetime
    vendor: str
    reason: str
    cost: Decimal
    currency: str
    ordered_by_id: int | None
    approved_by_id: int | None
    note: str


class CallOutPage(Schema):
    count: int
    totals: dict[str, Decimal]
    items: list[CallOutOut]


class CallOutFilter(Schema):
    municipality: BoundedInt | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: BoundedInt = 0


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def _municipality(request: HttpRequest, requested: int | None) -> Municipality:
    municipality = access.default_municipality(request.user, requested)
    if municipality is None:
        raise HttpError(404, "No such municipality among yours.")
    return municipality


def _aware(moment: dt.datetime, municipality: Municipality) -> dt.datetime:
    if timezone.is_aware(moment):
        return moment
    return moment.replace(tzinfo=municipality.zone)


def _line(line: LineData | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {
        "id": line.id,
        "name": line.name,
        "phone": line.phone,
        "email": line.email,
        "kind": line.kind,
        "district_id": line.district_id,
        "audience": line.audience,
        "no_account_help": line.no_account_help,
    }


def _status_fields(status: LineStatus | None) -> dict[str, Any]:
    if status is None:
        return {"open_now": None, "next_opening": None}
    return {"open_now": status.open, "next_opening": status.next_opening}


def _answer(answer: Answer) -> dict[str, Any]:
    return {
        "system": answer.system,
        "at": answer.at,
        "line": _line(answer.line),
        "reason": str(answer.reason),
        "explanation": services.describe(answer),
        "out_of_hours": answer.out_of_hours,
        "open_until": answer.open_until,
        "next_opening": answer.next_opening,
        "holiday": answer.holiday,
        "first_steps": [step.text for step in answer.first_steps],
        "escalation": [
            {"kind": n.kind, "text": n.text, "line": _line(n.line), **_status_fields(n.status)}
            for n in answer.escalation
        ],
        "not_for_caller": [
            {"name": line.name, "explanation": text}
            for line, text in zip(
                answer.not_for_caller, services.not_for_caller_texts(answer), strict=True
            )
        ],
        "accounts": _accounts(answer),
    }


def _accounts(answer: Answer) -> dict[str, Any] | None:
    if answer.accounts is None:
        return None
    return {
        "explanation": services.describe_accounts(answer),
        "refused_by": _line(answer.accounts.refused_by),
        "desk": _line(answer.accounts.desk),
        "opens": answer.accounts.opens,
    }


@router.get(
    "/who-to-call",
    response={200: list[AnswerOut], **errors(400, 401, 404, 422)},
    summary="Who to call now about each system",
)
def who_to_call(request: HttpRequest, query: Query[WhoToCallQuery]) -> list[dict[str, Any]]:
    municipality = _municipality(request, query.municipality)
    if (
        query.district is not None
        and not access.districts(request.user, municipality).filter(pk=query.district).exists()
    ):
        raise HttpError(400, "Unknown district: not a team you can see in this municipality.")
    at = _aware(query.at, municipality) if query.at else timezone.now()
    systems = [str(query.system)] if query.system else None
    caller = access.caller(request.user, municipality)
    found = services.answers(municipality, at, query.district, systems, caller)
    return [_answer(services.localised_holiday_answer(a, municipality)) for a in found]


def _person(user: User | None, text: str) -> str:
    if user is None:
        return text
    name = user.get_full_name() or user.username
    return f"{name} ({text})" if text else name


@router.get(
    "/services",
    response={200: list[ServiceOut], **errors(401, 404, 422)},
    summary="The service catalogue",
)
def list_services(
    request: HttpRequest, municipality: BoundedInt | None = None
) -> list[dict[str, Any]]:
    chosen = _municipality(request, municipality)
    result = []
    for service, lines in services.catalogue(chosen):
        result.append(
            {
                "id": service.pk,
                "system": service.system,
                "name": service.name,
                "description": service.description,
                "vendor": service.vendor,
                "service_level": service.service_level,
                "owner": _person(service.owner, service.owner_contact),
                "manager": _person(service.manager, service.manager_contact),
                "operations_owner": _person(service.operations_owner, service.operations_contact),
                "call_out_fee": service.call_out_fee,
                "currency": service.currency,
                "is_active": service.is_active,
                "support_hours": [
                    f"{item.line.name} {item.line.phone}: {'; '.join(item.hours)}" for item in lines
                ],
            }
        )
    return result


def _call_out(call_out: CallOut) -> dict[str, Any]:
    return {
        "id": call_out.pk,
        "service_id": call_out.service_id,
        "service": call_out.service.name,
        "at": call_out.at,
        "vendor": call_out.vendor,
        "reason": call_out.reason,
        "cost": call_out.cost,
        "currency": call_out.currency,
        "ordered_by_id": call_out.ordered_by_id,
        "approved_by_id": call_out.approved_by_id,
        "note": call_out.note,
    }


@router.get(
    "/call-outs",
    response={200: CallOutPage, **errors(401, 403, 404, 422)},
    summary="The call-out register",
)
def list_call_outs(request: HttpRequest, filters: Query[CallOutFilter]) -> dict[str, Any]:
    municipality = _municipality(request, filters.municipality)
    if not access.can_read_call_outs(request.user, municipality):
        raise PermissionError("Only the welfare-technology team, administrators and auditors.")
    queryset = services.call_outs(municipality)
    items = queryset[filters.offset : filters.offset + filters.limit]
    return {
        "count": queryset.count(),
        "totals": services.call_out_totals(queryset),
        "items": [_call_out(c) for c in items],
    }


@router.post(
    "/call-outs",
    response={201: CallOutOut, 400: Error, **errors(401, 403, 404, 422)},
    summary="Record a call-out and its cost",
)
def create_call_out(
    request: HttpRequest, payload: CallOutIn, municipality: BoundedInt | None = None
) -> Status[dict[str, Any]]:
    chosen = _municipality(request, municipality)
    if not access.can_record_call_outs(request.user, chosen):
        raise PermissionError("Only the welfare-technology team and administrators.")
    service = Service.objects.filter(municipality=chosen, pk=payload.service_id).first()
    if service is None:
        return Status(
            400, {"detail": "Unknown service.", "errors": {"service_id": ["Unknown service."]}}
        )
    staff = access.call_out_staff(chosen)
    people: dict[str, User | None] = {}
    for name, pk in (
        ("ordered_by", payload.ordered_by_id),
        ("approved_by", payload.approved_by_id),
    ):
        person = staff.filter(pk=pk).first() if pk is not None else None
        if pk is not None and person is None:
            message = "Not a staff member of this municipality."
            return Status(400, {"detail": message, "errors": {f"{name}_id": [message]}})
        people[name] = person
    try:
        call_out = services.record_call_out(
            request_user(request),
            service,
            at=_aware(payload.at, chosen),
            vendor=payload.vendor,
            reason=payload.reason,
            cost=payload.cost,
            currency=payload.currency,
            note=payload.note,
            ordered_by=people["ordered_by"],
            approved_by=people["approved_by"],
        )
    except ValidationError as exc:
        errors = exc.message_dict
        detail = " ".join(m for messages in errors.values() for m in messages)
        return Status(400, {"detail": detail, "errors": errors})
    return Status(201, _call_out(call_out))
