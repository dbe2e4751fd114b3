"""The case system's import over the JSON API, authenticated by a bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from trygg.core.apiauth import bearer_auth
from trygg.core.apierrors import errors
from trygg.core.models import ApiToken

from .constants import ImportSource
from .services import ImportRefused, import_file, provider_named_for

router = Router(tags=["integration"], auth=bearer_auth)


class CountsOut(Schema):
    created: int
    updated: int
    unchanged: int
    ended: int


class IssueOut(Schema):
    row: int | None = None
    path: str | None = None
    field: str
    message: str


class ImportOut(Schema):
    ok: bool
    run_id: int | None
    clients: CountsOut
    services: CountsOut
    # Clients the import was refused for (another provider's), skipped; the rest applied.
    errors: list[IssueOut] = []


class RejectedOut(Schema):
    detail: str
    errors: list[IssueOut]


_EXAMPLE = {
    "provider": "556677-8899",
    "end_missing": False,
    "clients": [
        {
            "client_id": "K-1001",
            "national_id": "19400101-0008",
            "first_name": "Astrid",
            "last_name": "Exempel",
            "street": "Provgatan 1",
            "postal_code": "123 45",
            "city": "Teststad",
            "phone": "070-000 00 00",
            "door_code": "",
            "languages": "sv,fi",
            "team": "NORR",
            "start_date": "2024-01-01",
            "end_date": None,
            "services": [
                {
                    "service_id": "I-1",
                    "service_type": "PERS",
                    "granted_minutes": 120,
                    "period": "week",
                    "service_from": "2024-01-01",
                    "service_to": None,
                }
            ],
        }
    ],
}


def _rejected(detail: str, errors: list[dict[str, Any]]) -> Status[dict[str, Any]]:
    return Status(400, {"detail": detail, "errors": errors})


@router.post(
    "/import",
    response={200: ImportOut, 400: RejectedOut, **errors(401, 403)},
    summary="Import a provider's clients and granted services",
    exclude_none=True,
    description=(
        "The provider's full list from the case system; see docs/import.md. The whole "
        "document is validated first: with any error nothing is written and every error "
        "is returned with its path and field. A token bound to a provider cannot take over "
        "another provider's client: such a client is skipped, unchanged, and listed in "
        "`errors`; the rest is imported. Needs a token with the `import` scope."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": _EXAMPLE}},
        }
    },
)
def import_clients(request: HttpRequest) -> Status[dict[str, Any]]:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)
    try:
        result = import_file(
            request.body,
            file_format="json",
            provider=provider_named_for(token),
            actor=token,
            source=ImportSource.API,
        )
    except ImportRefused as exc:
        if exc.forbidden:
            return Status(403, {"detail": exc.detail})
        return _rejected(exc.detail, [e.as_dict() for e in exc.errors])
    if not result.ok:
        return _rejected(
            _("The document was rejected; nothing was imported."),
            [e.as_dict() for e in result.errors],
        )
    return Status(200, result.as_dict())
