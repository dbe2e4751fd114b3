"""What a receiver hands the ingest, and what it gets back: the contract between the
protocol code (DC-09, SCAIP, the HTTPS device API) and whichever ingest registered itself
(`registry.register_ingest`; the alarms app's `ingest`).

Plain data, no Django: a receiver builds these from decoded frames, passes a batch to the
ingest and answers each frame by its outcome only after the ingest has returned (it
commits before it returns):

- STORED, DUPLICATE: acknowledge (DC-09 ACK; SCAIP 200 OK and an <mrs>; HTTPS 201 or 200).
- UNKNOWN_UNIT: refuse (DC-09 DUH; SCAIP 403 Forbidden, without an <mrs>; HTTPS 403); the
  ingest logs the protocol and unit_ref.
- FAILED: not stored, not acknowledged (DC-09 and SCAIP: no answer at all, so the unit
  sends it again or fails over to its backup receiver; HTTPS 503 with Retry-After).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

# The largest frame or request kept with an alarm: the ingest refuses a larger one.
RAW_MAX_BYTES = 64 * 1024
# The longest deduplication key stored as it is; a longer one is stored by its digest.
DEDUPE_KEY_MAX = 128


class Protocol(StrEnum):
    DC09 = "dc09"
    SCAIP = "scaip"
    API = "api"


class EventKind(StrEnum):
    """What one event means, in the receivers' shared vocabulary."""

    ALARM = "alarm"  # someone needs help: button, fall, inactivity
    FIRE = "fire"
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    MAINS_LOSS = "mains_loss"
    TECHNICAL = "technical"  # another technical fault (DC-09 codes without a finer kind)
    TEST = "test"
    RESTORE = "restore"
    HEARTBEAT = "heartbeat"  # link supervision only: DC-09 NULL, SCAIP heartbeat
    OTHER = "other"  # a code Trygg does not know: stored and shown, never dropped


class IngestOutcome(StrEnum):
    STORED = "stored"  # new, committed
    DUPLICATE = "duplicate"  # stored before: acknowledge again, nothing stored now
    UNKNOWN_UNIT = "unknown_unit"  # no such unit (or not one unambiguous unit): refuse
    FAILED = "failed"  # not processed: the receiver answers DUH and the unit retries


@dataclass(frozen=True)
class IncomingEvent:
    kind: str  # an EventKind value; anything else is taken as OTHER
    code: str  # protocol code as received, e.g. "BA", "E101", "0010"
    zone: str = ""
    text: str = ""
    # For a RESTORE: the EventKind of the condition that ended, when the protocol says which
    # (DC-09 YR battery restoral: low_battery; SCAIP 0086 power restored: mains_loss); ""
    # when it does not. The ingest closes the unit's open alarm of a low_battery, tamper or
    # mains_loss restore (the alarms ingest's RESTORE_CLOSES).
    restores: str = ""


@dataclass(frozen=True, repr=False)
class IncomingSignal:
    protocol: str  # a Protocol value
    municipality_id: int | None  # None: look the unit up in all municipalities
    unit_ref: str  # DC-09 account, SCAIP controller id, or API device id (serial number)
    dedupe_key: str  # identical for a retransmission of the same frame/request
    received_at: dt.datetime  # aware, UTC
    events: tuple[IncomingEvent, ...]  # empty for a pure heartbeat/NULL message
    raw: bytes  # the frame/request as received, kept with the alarm; never logged

    def __repr__(self) -> str:
        # The raw frame may hold a client's details or an encrypted payload: keep it out of
        # tracebacks and debug output.
        return (
            f"IncomingSignal(protocol={self.protocol!r}, unit_ref={self.unit_ref!r}, "
            f"dedupe_key={self.dedupe_key!r}, received_at={self.received_at!r}, "
            f"events={self.events!r}, raw=<{len(self.raw)} bytes>)"
        )

    @property
    def is_heartbeat(self) -> bool:
        """Link supervision only: nothing to store but the moment it arrived."""
        return all(event.kind == EventKind.HEARTBEAT for event in self.events)


@dataclass(frozen=True)
class ApiDevice:
    """A device the HTTPS API admitted by its bearer token: the unit it posts as."""

    municipality_id: int
    unit_ref: str  # its serial number: the API's unit_ref
