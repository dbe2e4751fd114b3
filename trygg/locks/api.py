"""Digital keys over the JSON API, for people (sessions): a staff phone fetching its
unlock tokens, managers seeing who holds keys and revoking them."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from trygg.core import access as core_access
from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.constants import AccessAction
from trygg.core.services import log_request_access
from trygg.core.web import request_user
from trygg.lib.bounds import BoundedInt

from . import access, keystore, services, tokens

logger = logging.getLogger(__name__)

router = Router(tags=["locks"], auth=session_auth)


class DoorClientOut(Schema):
    id: int
    name: str


class DoorOut(Schema):
    lock_id: uuid.UUID = Field(description="The lock the tokens open (what they name).")
    serial_number: str
    address: str = Field(description="The door's street address.")
    clients: list[DoorClientOut] = Field(description="Your clients behind this door.")
    key_id: int
    reason: str = Field(description="`team` or `alarm`: why you hold the key.")
    not_before: dt.datetime
    not_after: dt.datetime
    tokens: list[str] = Field(
        description="Unlock tokens, each opening the door once, in the text form a lock reads."
    )


class TokensOut(Schema):
    issued_at: dt.datetime
    key_version: int
    doors: list[DoorOut]


class LockDetailOut(Schema):
    detail: str


@router.get(
    "/tokens",
    response={
        200: TokensOut,
        403: LockDetailOut,
        503: LockDetailOut,
        **errors(400, 401, 403, 404, 422),
    },
    summary="Your unlock tokens for this shift",
    description=(
        "The phone fetches these before going out: for every door you hold a digital key "
        "to, a few tokens, each opening the door once, valid until your work ends (the end "
        "of your shift; for an alarm, until it is closed), at most 14 hours. They open the "
        "door with no network. Fetch again to replace them. 403 with the reason when you "
        "hold no keys, or none works now (outside your working hours)."
    ),
)
def get_tokens(request: HttpRequest) -> Any:
    user = request_user(request)
    try:
        issued = tokens.issue_tokens(user)
    except tokens.NoTokens as exc:
        return Status(403, {"detail": str(exc)})
    except keystore.KeyStoreError:
        # The operator's message (which file, what to do) goes to the server's log.
        logger.exception("Unlock tokens could not be signed")
        return Status(503, {"detail": _("Keys cannot be issued just now. Try again in a while.")})
    visible = set(
        core_access.clients(user)
        .filter(pk__in={c.pk for d in issued.doors for c in d.lock.clients_behind()})
        .values_list("pk", flat=True)
    )
    doors = []
    shown = {}
    for door in issued.doors:
        clients = [c for c in door.lock.clients_behind() if c.pk in visible]
        shown.update({c.pk: c for c in clients})
        doors.append(
            {
                "lock_id": door.lock.lock_id,
                "serial_number": door.lock.serial_number,
                "address": door.lock.address,
                "clients": [{"id": c.pk, "name": c.full_name} for c in clients],
                "key_id": door.key.pk,
                "reason": door.key.reason,
                "not_before": door.not_before,
                "not_after": door.not_after,
                "tokens": door.tokens,
            }
        )
    log_request_access(request, list(shown.values()), AccessAction.API_LIST)
    return Status(
        200, {"issued_at": issued.issued_at, "key_version": issued.key_version, "doors": doors}
    )


class KeyOut(Schema):
    id: int
    holder_id: int
    holder_name: str
    lock_id: uuid.UUID
    lock_serial_number: str
    address: str
    client_id: int
    reason: str
    team_id: int | None
    alarm_id: int | None
    provider_id: int
    starts_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str
    end_note: str
    on_revocation_list_until: dt.datetime | None


class KeyFilter(Schema):
    current: bool = Field(True, description="Only keys held now (default); false for all.")
    holder_id: BoundedInt | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: BoundedInt = 0


class KeyPage(Schema):
    count: int
    items: list[KeyOut]


def _key_out(key: Any) -> dict[str, Any]:
    return {
        "id": key.pk,
        "holder_id": key.holder_id,
        "holder_name": str(key.holder),
        "lock_id": key.lock.lock_id,
        "lock_serial_number": key.lock.serial_number,
        "address": key.lock.address,
        "client_id": key.client_id,
        "reason": key.reason,
        "team_id": key.team_id,
        "alarm_id": key.alarm_id,
        "provider_id": key.provider_id,
        "starts_at": key.starts_at,
        "ended_at": key.ended_at,
        "end_reason": key.end_reason,
        "end_note": key.end_note,
        "on_revocation_list_until": key.listed_until,
    }


@router.get(
    "/keys",
    response={200: KeyPage, **errors(400, 401, 403, 404, 422)},
    summary="Who holds digital keys to which doors",
    description="For managers, team leaders and the municipality: the keys you may see.",
)
def list_keys(request: HttpRequest, filters: Query[KeyFilter]) -> dict[str, Any]:
    user = request_user(request)
    if not access.can_open_keys(user):
        raise PermissionError("Only managers and the municipality see digital keys.")
    queryset = access.keys(user).select_related("holder", "lock__client", "client")
    if filters.current:
        queryset = queryset.open()
    if filters.holder_id:
        queryset = queryset.filter(holder_id=filters.holder_id)
    queryset = queryset.order_by("lock__serial_number", "holder__last_name", "pk")
    items = list(queryset[filters.offset : filters.offset + filters.limit])
    log_request_access(
        request, {k.client_id: k.client for k in items}.values(), AccessAction.API_LIST
    )
    return {"count": queryset.count(), "items": [_key_out(k) for k in items]}


class RevokeIn(Schema):
    reason: str = Field(min_length=1, max_length=500, description="Why, for the key's history.")


@router.post(
    "/keys/{digitalkey_id}/revoke",
    response={200: KeyOut, 409: LockDetailOut, **errors(400, 401, 403, 404, 422)},
    summary="Revoke a digital key at once",
    description=(
        "The key ends now and goes on the lock's revocation list, which the lock receives "
        "at its next contact; the holder gets no new key to that door until the revocation "
        "is lifted. 409 when the key has already ended."
    ),
)
def revoke(request: HttpRequest, digitalkey_id: int, body: RevokeIn) -> Any:
    user = request_user(request)
    key = access.get_key(user, digitalkey_id)
    try:
        key = services.revoke_key(user, key, note=body.reason)
    except services.KeyActionError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(200, _key_out(access.get_key(user, key.pk)))


@router.post(
    "/keys/{digitalkey_id}/lift",
    response={200: KeyOut, 409: LockDetailOut, **errors(400, 401, 403, 404, 422)},
    summary="Lift a revocation",
    description="The holder may hold a key to the door again (a new one), if entitled.",
)
def lift(request: HttpRequest, digitalkey_id: int) -> Any:
    user = request_user(request)
    key = access.get_key(user, digitalkey_id)
    try:
        key = services.lift_revocation(user, key)
    except services.KeyActionError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(200, _key_out(access.get_key(user, key.pk)))
