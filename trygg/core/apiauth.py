"""How the JSON API admits a request: a person by their session, an integration or a
device by a bearer token (`core.tokens`).

It lives below every router that uses it: the routers import it, the API that mounts them
(`trygg/api.py`) imports the routers, and nothing imports back up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from . import tokens
from .models import ApiToken

logger = logging.getLogger(__name__)

# What a router makes of a live token: the object `request.auth` becomes (the token itself,
# a device, ...), None to answer 401, or an HttpError (403: a token of the wrong kind).
Admit = Callable[[HttpRequest, ApiToken], Any]

session_auth = django_auth


class BearerToken(HttpBearer):
    """An `Authorization: Bearer ...` token. A router that needs more than a live token
    (a device's, with its unit) passes `admit`; `request.auth` is what it returns."""

    def __init__(self, admit: Admit | None = None) -> None:
        super().__init__()
        self.admit = admit

    def __call__(self, request: HttpRequest) -> Any:
        # HttpBearer logs a malformed header in DEBUG, token and all; this never does.
        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token = tokens.authenticate(token)
            if api_token is None:
                return None  # unknown or revoked: 401
            if self.admit is None:
                return api_token
            return self.admit(request, api_token)
        except DatabaseError as exc:
            # A device or integration sends again on 503; a 500 would read as its fault.
            logger.exception("API: the database is unavailable")
            raise HttpError(503, "Not stored: the service is unavailable; try again.") from exc


bearer_auth = BearerToken()
