"""Helpers for the alarm tests: the shared personas (`trygg.devices.tests.places`) and
decoded messages as a receiver hands them to the ingest."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from trygg.devices.models import AlarmProtocol
from trygg.devices.tests.places import Place, place  # noqa: F401  (the fixture)
from trygg.receivers.incoming import IncomingEvent, IncomingSignal

_numbers = itertools.count(1)
ALARM = IncomingEvent("alarm", "QA", zone="1")


def incoming(
    unit_ref: str,
    dedupe_key: str | None = None,
    *,
    events: tuple[IncomingEvent, ...] = (ALARM,),
    protocol: str = AlarmProtocol.DC09,
    at: dt.datetime | None = None,
    municipality_id: int | None = None,
    raw: bytes | None = None,
) -> IncomingSignal:
    """A decoded message as a receiver hands it over; a new dedupe key unless given."""
    key = dedupe_key or f"key-{next(_numbers)}"
    return IncomingSignal(
        protocol=protocol,
        municipality_id=municipality_id,
        unit_ref=unit_ref,
        dedupe_key=key,
        received_at=at or timezone.now(),
        events=events,
        raw=raw if raw is not None else f'"SIA-DCS"0001L0#{unit_ref}[{key}]'.encode(),
    )
