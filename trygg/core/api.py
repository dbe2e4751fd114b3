"""Clients, teams, providers and the access log over the JSON API, for people."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import model_validator

from trygg.lib.bounds import BoundedDate, BoundedInt

from . import access, clock
from .apiauth import session_auth
from .apierrors import errors
from .constants import AccessAction
from .services import filter_access_log, log_request_access

router = Router(tags=["clients"], auth=session_auth)


class ClientListItem(Schema):
    id: int
    case_system_id: str
    first_name: str
    last_name: str
    masked_national_id: str
    street: str
    postal_code: str
    city: str
    provider_id: int
    team_id: int | None
    start_date: dt.date
    end_date: dt.date | None


class GrantedServiceOut(Schema):
    case_system_id: str
    service_type: str
    category: str
    granted_minutes: int
    period: str
    valid_from: dt.date
    valid_to: dt.date | None
    provider_id: int


class ConsentOut(Schema):
    technology: str
    given_by: str
    relation: str
    given_on: dt.date
    review_on: dt.date | None
    withdrawn_on: dt.date | None


class ClientDetail(Schema):
    id: int
    case_system_id: str
    national_id: str
    first_name: str
    last_name: str
    street: str
    postal_code: str
    city: str
    phone: str
    languages: list[str]
    provider_id: int
    team_id: int | None
    start_date: dt.date
    end_date: dt.date | None
    granted_services: list[GrantedServiceOut]
    consents: list[ConsentOut]


class ClientFilter(Schema):
    q: str = Field("", max_length=100, description="Name, address or national id")
    team_id: BoundedInt | None = None
    active_on: BoundedDate | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: BoundedInt = 0


class ClientPage(Schema):
    count: int
    items: list[ClientListItem]


@router.get(
    "/clients", response={200: ClientPage, **errors(401, 422)}, summary="Clients you may see"
)
def list_clients(request: HttpRequest, filters: Query[ClientFilter]) -> dict:
    queryset = access.clients(request.user).search(filters.q)
    if filters.team_id:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.active_on:
        queryset = queryset.active_on(filters.active_on)
    queryset = queryset.order_by("last_name", "first_name", "pk")
    items = list(queryset[filters.offset : filters.offset + filters.limit])
    log_request_access(request, items, AccessAction.API_LIST)
    return {"count": queryset.count(), "items": items}


@router.get(
    "/clients/{client_id}",
    response={200: ClientDetail, **errors(401, 404, 422)},
    summary="One client's record",
)
def get_client(request: HttpRequest, client_id: BoundedInt) -> dict:
    client = access.get_client(request.user, client_id)
    log_request_access(request, [client], AccessAction.API_DETAIL)
    services = client.granted_services.select_related("service_type").order_by("valid_from")
    return {
        **{
            f: getattr(client, f)
            for f in (
                "id",
                "case_system_id",
                "national_id",
                "first_name",
                "last_name",
                "street",
                "postal_code",
                "city",
                "phone",
                "provider_id",
                "team_id",
                "start_date",
                "end_date",
            )
        },
        "languages": client.language_list,
        "granted_services": [
            {
                "case_system_id": s.case_system_id,
                "service_type": s.service_type.code,
                "category": s.service_type.category,
                "granted_minutes": s.granted_minutes,
                "period": s.period,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
                "provider_id": s.provider_id,
            }
            for s in services
        ],
        "consents": list(
            client.consents.values(
                "technology", "given_by", "relation", "given_on", "review_on", "withdrawn_on"
            )
        ),
    }


class ProviderOut(Schema):
    id: int
    name: str
    org_number: str
    kind: str
    is_active: bool


class TeamOut(Schema):
    id: int
    name: str
    code: str
    provider_id: int
    is_active: bool


@router.get("/providers", response={200: list[ProviderOut], **errors(401)}, tags=["organisation"])
def list_providers(request: HttpRequest) -> list:
    return list(access.providers(request.user).order_by("name"))


@router.get("/teams", response={200: list[TeamOut], **errors(401)}, tags=["organisation"])
def list_teams(request: HttpRequest) -> list:
    return list(access.teams(request.user).order_by("provider_id", "name"))


class AccessLogFilter(Schema):
    staff: str = Field("", max_length=100)
    client: str = Field("", max_length=100)
    date_from: BoundedDate | None = None
    date_to: BoundedDate | None = None
    action: AccessAction | None = None
    flagged: Literal["", "any", "own", "colleague", "outside"] = ""
    limit: int = Field(100, ge=1, le=1000)
    offset: BoundedInt = 0

    @model_validator(mode="after")
    def _period_runs_forwards(self) -> AccessLogFilter:
        # The same rule as the review page's form: a backwards period is a typo, not "none".
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to is before date_from.")
        return self


class AccessLogOut(Schema):
    id: int
    at: dt.datetime
    user_id: int
    username: str
    client_id: int
    action: str
    path: str
    remote_addr: str | None
    own_record: bool
    colleague_record: bool
    outside_teams: bool
    shown: dict[str, list[str]] | None = Field(
        None,
        description="What the page showed besides the client's particulars: the client "
        "record's sections, each with the entries it named (serial numbers, alarm and order "
        "numbers).",
    )


class AccessLogPage(Schema):
    count: int
    items: list[AccessLogOut]


@router.get(
    "/access-log",
    response={200: AccessLogPage, **errors(401, 403, 422)},
    tags=["audit"],
)
def list_access_log(request: HttpRequest, filters: Query[AccessLogFilter]) -> dict:
    if not access.can_review_access_log(request.user):
        raise PermissionError("Only auditors and provider managers review the access log.")
    queryset = filter_access_log(
        access.access_log(request.user), filters.dict(), clock.zone_for(request.user)
    )
    queryset = queryset.select_related("user").order_by("-at", "-id")
    rows = queryset[filters.offset : filters.offset + filters.limit]
    return {
        "count": queryset.count(),
        "items": [
            {
                "id": e.pk,
                "at": e.at,
                "user_id": e.user_id,
                "username": e.user.username,
                "client_id": e.client_id,
                "action": e.action,
                "path": e.path,
                "remote_addr": e.remote_addr,
                "own_record": e.own_record,
                "colleague_record": e.colleague_record,
                "outside_teams": e.outside_teams,
                "shown": e.shown,
            }
            for e in rows
        ],
    }
