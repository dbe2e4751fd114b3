"""The JSON API under /api/v1/: people with sessions, integrations and devices with bearer
tokens (`core.apiauth`). The composition root of the API: every app's router is mounted
here, the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from trygg.alarms.api import router as alarms_router
from trygg.core.api import router as core_router
from trygg.devices.api import router as devices_router
from trygg.integration.api import router as integration_router
from trygg.lib import gcpause
from trygg.locks.api import router as locks_router
from trygg.locks.device_api import router as lock_device_router
from trygg.locks.phone_api import router as lock_phone_router
from trygg.outages.api import router as outages_router
from trygg.receivers.api import router as device_router
from trygg.sensors.api import router as sensor_device_router
from trygg.servicedesk.api import router as servicedesk_router
from trygg.support.api import router as support_router
from trygg.training.api import router as training_router
from trygg.visits.api import router as visits_router


class NotAnObject(ValueError):
    pass


def _nul_paths(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(key, [*path, key])
            yield from _nul_paths(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, [*path, index])


def _refuse_nul(data: Any, where: str) -> None:
    """PostgreSQL cannot store or even compare text holding the NUL character: a filter or a
    field with one was a 500 (a device's alarm text a 503 it would send again forever)."""
    issues = [
        {"type": "string_nul", "loc": [where, *path], "msg": "Text may not contain NUL (\\u0000)."}
        for path in _nul_paths(data, [])
    ]
    if issues:
        raise ValidationError(issues)


class TryggParser(Parser):
    """Every operation's body is a JSON object. Ninja reads an array or a bare value as an
    object with no fields, so `[...]` sent to announce an outage announced it as `{}` did:
    refused instead, as a body it cannot read (400). Text with NUL is refused (422) in the
    body and the query alike."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        # A large batch parses into a few hundred thousand objects that all live on: no
        # collector passes over them meanwhile (lib/gcpause.py).
        with gcpause.paused():
            data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAnObject("The body must be a JSON object.")
        body = request.body
        # JSON text holds NUL only as the escape \u0000 (a raw control character is not
        # valid JSON), so a UTF-8 body without it is not walked: for a batch of 10,000 visit
        # registrations the walk was a tenth of the request (docs/benchmarks.md).
        if b"\\u0000" in body or json.detect_encoding(body) != "utf-8":
            _refuse_nul(data, "body")
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        _refuse_nul(parsed, "query")
        return parsed


api = NinjaAPI(
    title="Trygg API",
    version="1",
    description=(
        "Welfare technology for municipal home care. People authenticate with their "
        "session; integrations and devices with a bearer token."
    ),
    urls_namespace="api",
    parser=TryggParser(),
)

api.add_router("/", core_router)
api.add_router("/alarms/", device_router)
api.add_router("/alarms/", alarms_router)
api.add_router("/devices/", devices_router)
api.add_router("/integration/", integration_router)
api.add_router("/locks/", locks_router)
api.add_router("/locks/device/", lock_device_router)
api.add_router("/locks/phone/", lock_phone_router)
api.add_router("/outages/", outages_router)
api.add_router("/sensors/device/", sensor_device_router)
api.add_router("/servicedesk/", servicedesk_router)
api.add_router("/support/", support_router)
api.add_router("/training/", training_router)
api.add_router("/visits/", visits_router)


@api.exception_handler(PermissionError)
def _forbidden(request: HttpRequest, exc: PermissionError) -> Any:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> Any:
    # Ninja answers every body its parser refuses with 400 "Cannot parse request body"; say
    # which rule, and refuse text with NUL as it refuses any other invalid field (422).
    if isinstance(exc.__cause__, ValidationError):
        return api.create_response(request, {"detail": exc.__cause__.errors}, status=422)
    detail = str(exc.__cause__) if isinstance(exc.__cause__, NotAnObject) else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)
