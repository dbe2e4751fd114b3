"""The JSON API under /api/v1/: people with sessions, integrations with bearer tokens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from trygg.core.models import ApiToken
from trygg.core.tokens import authenticate


class BearerToken(HttpBearer):
    """An integration's or device's token; the request gets it as `request.auth`."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return authenticate(token)


session_auth = django_auth
bearer_auth = BearerToken()

api = NinjaAPI(
    title="Trygg API",
    version="1",
    description=(
        "Welfare technology for municipal home care. People authenticate with their "
        "session; integrations and devices with a bearer token."
    ),
    urls_namespace="api",
)


def _add_routers(api: NinjaAPI) -> None:
    from trygg.core.api import router as core_router
    from trygg.integration.api import router as integration_router

    api.add_router("/", core_router)
    api.add_router("/alarms/", "trygg.receivers.api.router")
    api.add_router("/devices/", "trygg.devices.api.router")
    api.add_router("/integration/", integration_router)
    api.add_router("/outages/", "trygg.outages.api.router")
    api.add_router("/servicedesk/", "trygg.servicedesk.api.router")
    api.add_router("/support/", "trygg.support.api.router")


_add_routers(api)


@api.exception_handler(PermissionError)
def _forbidden(request: HttpRequest, exc: PermissionError) -> Any:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)
