"""A simulated door lock: what the firmware of a real one does, for the demo, the tests and
the benchmark.

It holds an `unlock.LockState` and opens only through `unlock.verify`, the one check
every path uses. A "contact" with the server (`receive`, fed the lock API's answer, as
`services.lock_contact(...).as_wire()` makes it) gives it the public keys, the revocation
list and the server's time. Everything it does becomes an event in the lock API's wire
format (`pending`), kept until the server has acknowledged it, so an upload that fails is
sent again and stored once.

No Django here: a lock knows nothing of the server's database.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from trygg.lib import unlock

Clock = Callable[[], int]


def _iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


class SimulatedLock:
    """One lock on one door. `clock` is the lock's own clock (Unix seconds); the
    contact sets its offset from the server's, as a real lock sets its clock."""

    def __init__(
        self,
        lock_id: uuid.UUID,
        *,
        clock: Clock | None = None,
        battery: int = 100,
        firmware: str = "sim-1.0",
    ) -> None:
        self.state = unlock.LockState(lock_id=lock_id, public_keys={})
        self._clock = clock or (lambda: int(time.time()))
        self._offset = 0
        self.battery = battery
        self.firmware = firmware
        self.low_battery_at = 20
        self._numbers = itertools.count(1)
        self._events: dict[str, dict[str, Any]] = {}
        self._last_event: dict[str, Any] = {}
        self._run = uuid.uuid4().hex[:8]  # event ids stay unique across restarts

    @property
    def lock_id(self) -> uuid.UUID:
        return self.state.lock_id

    def now(self) -> int:
        return self._clock() + self._offset

    # Contact with the server ------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """What the lock tells the server when it makes contact."""
        return {
            "battery": self.battery,
            "firmware": self.firmware,
            "revocation_serial": self.state.revocation_serial,
        }

    def receive(self, contact: Mapping[str, Any]) -> None:
        """Take the server's answer to a contact (the lock API's `contact` response)."""
        if uuid.UUID(str(contact["lock_id"])) != self.state.lock_id:
            raise ValueError("The server answered for another lock.")
        self._offset = int(contact["time"]) - self._clock()
        keys = {int(version): base64.b64decode(raw) for version, raw in contact["keys"].items()}
        self.state.receive_keys(keys)
        revocations = contact["revocations"]
        self.state.receive_revocations(int(revocations["serial"]), revocations["key_ids"])
        self.state.max_window = int(contact.get("max_window", unlock.MAX_WINDOW))
        self.state.forget_expired(self.now())

    # At the door ----------------------------------------------------------------------

    def present(self, token: str) -> unlock.Verdict:
        """A phone presents a token (NFC, Bluetooth): the door opens or stays shut."""
        now = self.now()
        verdict = unlock.verify(token, self.state, now)
        grant = verdict.grant
        fields: dict[str, Any] = {}
        if grant is not None:
            fields = {
                "key_id": grant.key_id,
                "holder": grant.holder,
                "key_version": grant.key_version,
            }
        if verdict.opened:
            self._record("unlocked", now, **fields)
        else:
            assert verdict.refusal is not None
            self._record("failed", now, refusal=verdict.refusal.value, **fields)
        return verdict

    def answer(self, token: str) -> dict[str, Any]:
        """What the lock answers the phone that presented `token` over the radio: whether
        it opened, why not, and the event it recorded, in the lock API's format. The phone
        carries the event to the server too (a lock that rarely makes contact is heard of
        through the phones); the event's id makes the two copies one."""
        verdict = self.present(token)
        return {
            "opened": verdict.opened,
            "refusal": verdict.refusal.value if verdict.refusal is not None else None,
            "event": dict(self._last_event),
        }

    def lock_door(self) -> None:
        self._record("locked", self.now())

    def drain_battery(self, level: int) -> None:
        """The battery runs down; at the warning level the lock says so, once per fall."""
        was_low = self.battery <= self.low_battery_at
        self.battery = max(0, min(100, level))
        if self.battery <= self.low_battery_at and not was_low:
            self._record("low_battery", self.now(), battery=self.battery)

    def tamper(self) -> None:
        self._record("tamper", self.now())

    # Events ---------------------------------------------------------------------------

    def _record(self, kind: str, at: int, **fields: Any) -> None:
        event_id = f"{self._run}-{next(self._numbers)}"
        event = {"id": event_id, "kind": kind, "at": _iso(at), **fields}
        self._events[event_id] = event
        self._last_event = event

    def pending(self) -> list[dict[str, Any]]:
        """Events not yet acknowledged by the server, oldest first."""
        return list(self._events.values())

    def acknowledge(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self._events.pop(event_id, None)
