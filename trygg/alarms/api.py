"""The alarm phone over the JSON API, for people with a session: the alarms offered to me
now and the responder's steps (accept, on site, close), under the same rules as the phone
page (access.offers, access.refusal). Alarm units post their messages to the device
router in `trygg.receivers.api`, mounted at the same prefix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.constants import AccessAction
from trygg.core.models import User
from trygg.core.services import log_listed_once
from trygg.core.web import request_user

from . import access, steps
from .models import Alarm, AlarmCategory
from .phone import PHONE_LIMIT, SEEN_KEEP, SEEN_SESSION_KEY, phone_context

router = Router(tags=["alarms"], auth=session_auth)


class AlarmErrorOut(Schema):
    detail: str


class ClientOut(Schema):
    id: int
    name: str
    street: str
    postal_code: str
    city: str
    digital_lock: bool
    key_location: str


class AlarmOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    created_at: dt.datetime
    escalation_level: int
    team_id: int | None
    backup_team_id: int | None
    acknowledged_by_id: int | None
    assigned_to_id: int | None
    on_site_at: dt.datetime | None
    client: ClientOut | None = Field(None, description="Who called and how to get in")
    can_accept: bool = Field(description="Whether you may accept it now")


class AlarmStepOut(Schema):
    """The alarm's state after a step: ids and states, no personal data."""

    id: int
    status: str
    escalation_level: int
    acknowledged_by_id: int | None
    assigned_to_id: int | None
    on_site_at: dt.datetime | None
    closed_at: dt.datetime | None
    cause: str


class TeamOnShiftOut(Schema):
    team: str
    until: dt.datetime | None = Field(description="None: on shift around the clock")


class NextShiftOut(Schema):
    team: str
    shift: str
    starts_at: dt.datetime


class AlarmPhoneOut(Schema):
    on_shift: list[TeamOnShiftOut] = Field(description="Your teams on a responder shift now")
    next_shift: NextShiftOut | None = Field(
        description="Off shift: when your team's next shift starts"
    )
    headline: str = Field(description="Where you stand, in your language, as the phone says it")
    detail: str
    items: list[AlarmOut]


class CloseIn(Schema):
    cause: str = Field(max_length=24)
    note: str = Field("", max_length=4000)


_REFUSED = {400: AlarmErrorOut, 403: AlarmErrorOut, 404: AlarmErrorOut, 409: AlarmErrorOut}


def _alarm_out(alarm: Alarm, accept: bool) -> dict[str, Any]:
    client = alarm.client
    return {
        "id": alarm.pk,
        "kind": alarm.kind,
        "kind_label": alarm.get_kind_display(),
        "status": alarm.status,
        "created_at": alarm.created_at,
        "escalation_level": alarm.escalation_level,
        "team_id": alarm.team_id,
        "backup_team_id": alarm.backup_team_id,
        "acknowledged_by_id": alarm.acknowledged_by_id,
        "assigned_to_id": alarm.assigned_to_id,
        "on_site_at": alarm.on_site_at,
        "client": None
        if client is None
        else {
            "id": client.pk,
            "name": client.full_name,
            "street": client.street,
            "postal_code": client.postal_code,
            "city": client.city,
            "digital_lock": client.digital_lock,
            "key_location": client.key_location,
        },
        "can_accept": accept,
    }


@router.get(
    "/phone",
    response={200: AlarmPhoneOut, 403: AlarmErrorOut, **errors(401, 403, 404, 422)},
    summary="The alarms offered to me now",
    description=(
        "The open calls for help that are yours to answer now, as on the alarm phone: "
        "routed to one of your teams while it is on a responder shift, escalated to your "
        "team as the backup, sent to you, or taken by you. Off shift, `items` holds only "
        "those escalated to your team, sent to or taken by you, and `next_shift` says when "
        f"your team's next shift starts. At most {PHONE_LIMIT}; each client listed is "
        "access-logged."
    ),
)
def phone(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    if not access.can_open_alarms(user):
        raise HttpError(403, _("Your role does not receive alarms."))
    now = timezone.now()
    context = phone_context(user, now)
    listed: list[Alarm] = context["alarms"]
    log_listed_once(
        request,
        [(alarm.pk, alarm.client) for alarm in listed],
        AccessAction.LIST,
        session_key=SEEN_SESSION_KEY,
        keep=SEEN_KEEP,
    )
    coming = context["next_shift"]
    return {
        "on_shift": [{"team": team.team_name, "until": team.until} for team in context["on_shift"]],
        "next_shift": None
        if coming is None or coming.next_start is None
        else {
            "team": coming.team_name,
            "shift": coming.next_shift_name,
            "starts_at": coming.next_start,
        },
        "headline": context["headline"],
        "detail": context["detail"],
        "items": [
            _alarm_out(
                alarm, accept=alarm.assigned_to_id is None and alarm.category == AlarmCategory.CARE
            )
            for alarm in listed
        ],
    }


def _step(
    request: HttpRequest, alarm_id: int, take: Callable[[User, int], Alarm]
) -> dict[str, Any]:
    """Run one step for the person: 404 for an alarm they may not see, 403 (with why)
    when it is not theirs to take, 409 when someone was first, 400 for a form mistake.
    Nothing changes unless it answers 200."""
    user = request_user(request)
    alarm = access.get_alarm(user, alarm_id)
    try:
        done = take(user, alarm.pk)
    except steps.AlarmRefused as exc:
        raise HttpError(403, str(exc)) from exc
    except steps.AlarmConflict as exc:
        raise HttpError(409, str(exc)) from exc
    except steps.AlarmError as exc:
        raise HttpError(400, str(exc)) from exc
    return {
        "id": done.pk,
        "status": done.status,
        "escalation_level": done.escalation_level,
        "acknowledged_by_id": done.acknowledged_by_id,
        "assigned_to_id": done.assigned_to_id,
        "on_site_at": done.on_site_at,
        "closed_at": done.closed_at,
        "cause": done.cause,
    }


@router.post(
    "/{alarm_id}/accept",
    response={200: AlarmStepOut, **_REFUSED, **errors(401, 403, 404, 422)},
    summary="Accept an alarm: I am going",
    description=(
        "Acknowledged and assigned to you. Only for an alarm offered to you now (see "
        "`GET /alarms/phone`): 403 otherwise, with the reason; 409 when someone else has "
        "already accepted it."
    ),
)
def accept(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    return _step(request, alarm_id, steps.accept_alarm)


@router.post(
    "/{alarm_id}/on-site",
    response={200: AlarmStepOut, **_REFUSED, **errors(401, 403, 404, 422)},
    summary="I am on site",
    description="For the alarm's responders and the alarm centre; 403 for anyone else.",
)
def on_site(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    return _step(request, alarm_id, steps.mark_on_site)


@router.post(
    "/{alarm_id}/close",
    response={200: AlarmStepOut, **_REFUSED, **errors(401, 403, 404, 422)},
    summary="Close an alarm with its cause",
    description=(
        "With a cause code (as on the alarm's page) and a note, required for `other`. For "
        "the alarm's responders and the alarm centre; 403 for anyone else."
    ),
)
def close(request: HttpRequest, alarm_id: int, body: CloseIn) -> dict[str, Any]:
    return _step(
        request,
        alarm_id,
        lambda user, pk: steps.close_alarm(user, pk, body.cause, body.note),
    )
