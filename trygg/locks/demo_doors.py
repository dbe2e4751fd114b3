"""The demo's doors: simulated locks that live on the demo server, one per lock, each
with its own state, so that a demo phone on a computer (which has no Bluetooth to a real
lock) can open a demo door. The phone hands the token to `answer`, which is what the lock
on the door would do: `SimulatedLock.answer`, that is `unlock.verify` against the lock's
own keys, revocation list and used nonces, never the server's database.

Like a real lock, a simulated one makes contact every `CONTACT_EVERY` seconds at most (so a
revocation reaches it within a minute) and sends its own events then; the phone sends the
same events, and they are stored once. Only in the demo municipality or on a developer's
machine (`is_demo`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from trygg.core.models import Municipality
from trygg.devices.models import DoorLock

from . import services
from .simulator import SimulatedLock

CONTACT_EVERY = 60.0


@dataclass
class _Door:
    lock: SimulatedLock
    contacted: float


_doors: dict[uuid.UUID, _Door] = {}
_mutex = threading.Lock()


def is_demo(municipality: Municipality) -> bool:
    from trygg.core.demo import DEMO_CODE  # the demo's code; not needed on any other path

    return bool(settings.DEBUG) or municipality.code == DEMO_CODE


def _contact(door: _Door, lock: DoorLock) -> None:
    """The lock's contact: its events so far go up, the keys and revocations come down.
    The demo lock does not report a battery: the demo's battery levels are its seed's."""
    pending = door.lock.pending()
    if pending:
        recorded = services.record_lock_events(lock, services.reported_from_wire(pending))
        door.lock.acknowledge(recorded.event_ids)
    door.lock.receive(services.lock_contact(lock, firmware=door.lock.firmware).as_wire())
    door.contacted = time.monotonic()


def answer(lock: DoorLock, token: str) -> dict[str, Any]:
    """The demo door `lock` is presented `token`: its answer, as the phone gets it."""
    with _mutex:
        door = _doors.get(lock.lock_id)
        if door is None:
            door = _doors[lock.lock_id] = _Door(
                SimulatedLock(lock.lock_id, firmware=lock.firmware or "demo"), 0.0
            )
        if time.monotonic() - door.contacted >= CONTACT_EVERY:
            _contact(door, lock)
        return door.lock.answer(token)


def forget() -> None:
    """Every demo door forgets its state (tests)."""
    with _mutex:
        _doors.clear()
