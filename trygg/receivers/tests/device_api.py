"""Posting to the Device API as an alarm unit does, for the API's and the device tokens'
tests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client as HttpClient

from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.services import place_unit
from trygg.devices.tests.places import Place

EVENTS = "/api/v1/alarms/events"
HEARTBEAT = "/api/v1/alarms/heartbeat"


def api_unit(place: Place) -> AlarmUnit:
    """A unit on the HTTPS API, placed with the client a month ago."""
    unit = place.unit(protocol=AlarmProtocol.API)
    place_unit(
        place.tech,
        unit,
        client=place.client,
        active_from=place.municipality.today() - dt.timedelta(days=30),
    )
    return unit


def message(message_id: str = "m-1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message_id,
        "time": "2026-11-20T12:00:00+01:00",
        "events": [{"kind": "alarm", "code": "BUTTON", "zone": "1", "text": "Alarm button"}],
    }
    body.update(fields)
    return body


def post(body: Any, token: str | None, *, url: str = EVENTS, http: HttpClient | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return (http or HttpClient()).post(url, data, content_type="application/json", headers=headers)


def fresh(unit: AlarmUnit) -> AlarmUnit:
    return AlarmUnit.objects.get(pk=unit.pk)
