"""A simulated infrared camera that plays a realistic night through the real endpoint, with
the camera's real device token: the client goes to bed, sits up, gets up for the bathroom
and back, sometimes stays out of bed too long, and once in a while falls; heartbeats in
between. Used by `trygg sensors simulate` and the demo."""

from __future__ import annotations

import datetime as dt
import json
import random
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .constants import SensorEventKind


@dataclass(frozen=True)
class Played:
    kind: str
    at: dt.datetime
    minutes: int | None = None
    room: str = ""

    def as_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "kind": self.kind,
            "at": self.at.isoformat(),
        }
        if self.minutes is not None:
            body["minutes"] = self.minutes
        if self.room:
            body["room"] = self.room
        return body


def night(start: dt.datetime, rng: random.Random, *, hours: float = 9) -> Iterator[Played]:
    """The events of one night from `start` (bedtime), in order."""
    at = start + dt.timedelta(minutes=rng.randint(5, 40))
    end = start + dt.timedelta(hours=hours)
    while at < end:
        roll = rng.random()
        if roll < 0.35:
            yield Played(SensorEventKind.SITTING_UP, at, room="Sovrum")
        elif roll < 0.7:
            yield Played(SensorEventKind.LEFT_BED, at, room="Sovrum")
            away = rng.randint(3, 25)
            if away > 15:
                yield Played(
                    SensorEventKind.NOT_BACK_IN_BED,
                    at + dt.timedelta(minutes=15),
                    minutes=15,
                    room="Sovrum",
                )
            if rng.random() < 0.3:
                yield Played(SensorEventKind.LEFT_ROOM, at + dt.timedelta(minutes=1), room="Sovrum")
            if away > 20:
                yield Played(
                    SensorEventKind.BATHROOM_TOO_LONG,
                    at + dt.timedelta(minutes=20),
                    minutes=20,
                    room="Badrum",
                )
            at += dt.timedelta(minutes=away)
        elif roll < 0.78:
            yield Played(SensorEventKind.NO_MOVEMENT, at, minutes=60, room="Sovrum")
        elif roll < 0.8:
            yield Played(SensorEventKind.FALL, at, room=rng.choice(["Sovrum", "Badrum"]))
        elif roll < 0.81:
            yield Played(SensorEventKind.COVERED, at)
        at += dt.timedelta(minutes=rng.randint(20, 90))


class SimulatedCamera:
    """Posts to the camera API over HTTP, as a camera on the network would."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (the server's own URL)
            f"{self.base_url}/api/v1/sensors/device/{path}",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            result: dict[str, Any] = json.loads(answer.read())
        return result

    def send(self, events: list[Played]) -> dict[str, Any]:
        return self._post("events", {"events": [e.as_wire() for e in events]})

    def heartbeat(self) -> dict[str, Any]:
        return self._post("heartbeat", {})
