"""Durable ingest of what the alarm receivers decode.

`ingest` takes a batch of decoded messages (group commit) and stores it in one
transaction: receivers acknowledge each message only after it returns, so an acknowledged
alarm is never lost, and a retransmitted message is recognised by its deduplication key
and acknowledged again without being stored twice.

Concurrency. Every unit the batch names is locked first (`SELECT … FOR UPDATE`, in id
order so that two batches cannot deadlock), then its earlier messages are looked up and the
new ones inserted. Another receiver process with the same frame waits on that lock and,
when it gets it, sees the committed copy (READ COMMITTED takes a fresh snapshot per
statement), so it reports a duplicate. The lock also covers the read-modify-write of the
unit's supervision fields, and it orders the ingest against the supervision worker's
conditional `UPDATE … WHERE connection_lost = false AND supervision_due_at <= now`. The
unique (unit, dedupe_key) constraint stays the final guard: if it fires anyway the batch is
rolled back and tried once more, and the copy it collided with is then a duplicate. SQLite
has no row locks, but its IMMEDIATE transactions (settings.py) let one writer in at a time,
which gives the same order.

Decisions:
- Pure heartbeats (no events, or only heartbeat events) are not stored: they move the
  unit's deadline and nothing else. At 300,000 units on a 5-minute interval they would be
  1,000 rows a second for no reader. A repeated heartbeat just moves the deadline again.
- Any message from a known unit, a duplicate included, proves the link is up: it sets
  `last_seen_at` and the deadline, and clears a lost connection with a `restore` entry.
- Test reports never raise a care alarm: they are stored (signal with its raw bytes) and
  recorded as a technical `test` entry, closed at once, so a function test at installation
  shows in the unit's history without entering anyone's queue. Restores likewise.
- A code Trygg does not know (`other`) and unclassified technical faults open a technical
  alarm: stored and shown to someone, never dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from trygg.devices.models import (
    UNIT_REF_FIELDS,
    AlarmPlacement,
    AlarmUnit,
    normalise_dc09_account,
)

from . import handling
from .incoming import EventKind, IncomingEvent, IncomingSignal, IngestOutcome, Protocol
from .models import (
    CARE_KINDS,
    CONNECTION_RESTORED_CODE,
    RECORD_ONLY_KINDS,
    Alarm,
    AlarmCategory,
    AlarmKind,
    AlarmOutbox,
    AlarmStatus,
    Signal,
)

logger = logging.getLogger(__name__)

DEDUPE_KEY_MAX = 128
# A retransmission comes seconds or minutes after the original; a key that comes back later
# than the window after next is a new message (DC-09 sequence numbers cycle 0001-9999).
DEDUPE_WINDOW = dt.timedelta(hours=6)
RAW_MAX_BYTES = 64 * 1024
_UNIT_REF_MAX = {Protocol.DC09: 16, Protocol.SCAIP: 16, Protocol.API: 64}
_KINDS: dict[str, AlarmKind] = {
    EventKind.ALARM: AlarmKind.ALARM,
    EventKind.FIRE: AlarmKind.FIRE,
    EventKind.LOW_BATTERY: AlarmKind.LOW_BATTERY,
    EventKind.TAMPER: AlarmKind.TAMPER,
    EventKind.MAINS_LOSS: AlarmKind.MAINS_LOSS,
    EventKind.TECHNICAL: AlarmKind.TECHNICAL,
    EventKind.TEST: AlarmKind.TEST,
    EventKind.RESTORE: AlarmKind.RESTORE,
}


def ingest(signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
    """Store a batch of received messages in one transaction; one outcome per message, in
    input order. Committed when it returns, so call it outside any transaction: inside
    one, "stored" means stored only once that outer transaction commits."""
    outcomes: list[IngestOutcome] = [IngestOutcome.FAILED] * len(signals)
    valid: list[int] = []
    for i, signal in enumerate(signals):
        problem = _problem(signal)
        if problem:
            logger.warning(
                "Alarm signal refused, %s: protocol=%r unit=%r",
                problem,
                str(signal.protocol)[:16],
                str(signal.unit_ref)[:64],
            )
        else:
            valid.append(i)
    if not valid:
        return outcomes
    batch = [signals[i] for i in valid]
    decided = [IngestOutcome.FAILED] * len(batch)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                decided = _ingest(batch)
            break
        except IntegrityError:
            if attempt == 1:
                # A copy committed between our look-up and insert (it cannot under the
                # unit locks, but the constraint is the guard): the retry sees it.
                logger.warning("Alarm ingest collided on a duplicate; trying the batch again")
                continue
            logger.exception("Alarm ingest of %d signals failed", len(batch))
        except DatabaseError:
            logger.exception("Alarm ingest of %d signals failed", len(batch))
            break
    for i, outcome in zip(valid, decided, strict=True):
        outcomes[i] = outcome
    return outcomes


def encryption_key(protocol: str, unit_ref: str, municipality_id: int | None = None) -> bytes:
    """The AES key a receiver decrypts this unit's messages with; b"" for none (or no
    single such unit: the ingest then answers for it). Never log what this returns."""
    if protocol not in _UNIT_REF_MAX:
        return b""
    condition = _candidate_condition({protocol: {_normalise_ref(protocol, unit_ref)}})
    units = _find_units(condition, fields=(*_UNIT_FIELDS, "encryption_key"))
    units = [u for u in units if municipality_id is None or u.municipality_id == municipality_id]
    if len(units) != 1 or not units[0].encryption_key:
        return b""
    return bytes.fromhex(units[0].encryption_key)


# The batch -----------------------------------------------------------------------------


@dataclass
class _Seen:
    """One unit's part in the batch."""

    unit: AlarmUnit
    seen_at: dt.datetime
    first_signal: Signal | None = None
    new_signals: list[tuple[Signal, IncomingSignal]] = field(default_factory=list)


def _ingest(batch: list[IncomingSignal]) -> list[IngestOutcome]:
    now = timezone.now()
    refs: dict[str, set[str]] = {}
    for signal in batch:
        refs.setdefault(signal.protocol, set()).add(
            _normalise_ref(signal.protocol, signal.unit_ref)
        )
    index: dict[tuple[str, str], list[AlarmUnit]] = {}
    for found in _find_units(_candidate_condition(refs), lock=True):
        index.setdefault((found.protocol, found.unit_ref), []).append(found)

    outcomes: list[IngestOutcome] = []
    units: dict[int, _Seen] = {}
    storable: list[tuple[int, AlarmUnit, IncomingSignal, tuple[str, int]]] = []
    for signal in batch:
        unit = _resolve(index, signal)
        if unit is None:
            outcomes.append(IngestOutcome.UNKNOWN_UNIT)
            continue
        seen = units.get(unit.pk)
        if seen is None:
            units[unit.pk] = _Seen(unit, signal.received_at)
        elif signal.received_at > seen.seen_at:
            seen.seen_at = signal.received_at
        outcomes.append(IngestOutcome.STORED)
        if not signal.is_heartbeat:
            stored_key = (_dedupe_key(signal.dedupe_key), dedupe_window(signal.received_at))
            storable.append((len(outcomes) - 1, unit, signal, stored_key))

    new: list[tuple[AlarmUnit, IncomingSignal, tuple[str, int]]] = []
    if storable:
        stored_before = _stored_before([(unit.pk, pair) for _, unit, _, pair in storable])
        for position, unit, signal, (key, window) in storable:
            if {(unit.pk, key, window), (unit.pk, key, window - 1)} & stored_before:
                outcomes[position] = IngestOutcome.DUPLICATE
            else:
                stored_before.add((unit.pk, key, window))  # a retransmission later in this batch
                new.append((unit, signal, (key, window)))
    lost = [seen for seen in units.values() if seen.unit.connection_lost]
    if new or lost:
        _store(new, lost, units, now)
    _touch(units.values())
    return outcomes


def dedupe_window(received_at: dt.datetime) -> int:
    """The window a message received at `received_at` is deduplicated in."""
    return int(received_at.timestamp() // DEDUPE_WINDOW.total_seconds())


def _stored_before(keys: list[tuple[int, tuple[str, int]]]) -> set[tuple[int, str, int]]:
    """Which (unit id, dedupe key, window) triples are stored already, in the windows the
    batch looks at: one query for the batch."""
    return set(
        Signal.objects.filter(
            unit_id__in={unit_id for unit_id, _ in keys},
            dedupe_key__in={key for _, (key, _) in keys},
            dedupe_window__gte=min(window for _, (_, window) in keys) - 1,
        ).values_list("unit_id", "dedupe_key", "dedupe_window")
    )


def _store(
    new: list[tuple[AlarmUnit, IncomingSignal, tuple[str, int]]],
    lost: list[_Seen],
    units: dict[int, _Seen],
    now: dt.datetime,
) -> None:
    """Insert the new signals, their alarms and the outbox rows, a few statements for all."""
    placements = _Placements(
        [unit.pk for unit, _, _ in new] + [seen.unit.pk for seen in lost],
        [_local_day(unit, signal.received_at) for unit, signal, _ in new]
        + [_local_day(seen.unit, seen.seen_at) for seen in lost],
    )
    signal_rows = [
        Signal(
            protocol=signal.protocol,
            unit=unit,
            dedupe_key=key,
            dedupe_window=window,
            received_at=signal.received_at,
            raw=signal.raw,
            placement=placements.at(unit, signal.received_at),
        )
        for unit, signal, (key, window) in new
    ]
    Signal.objects.bulk_create(signal_rows)
    _ensure_ids(signal_rows)
    for row, (unit, signal, _key) in zip(signal_rows, new, strict=True):
        seen = units[unit.pk]
        seen.first_signal = seen.first_signal or row
        seen.new_signals.append((row, signal))

    alarms: list[Alarm] = []
    for seen in lost:
        # The connection is back: recorded before whatever the unit says now.
        alarms.append(
            _alarm(
                seen.unit,
                seen.first_signal,
                placements.at(seen.unit, seen.seen_at),
                AlarmKind.RESTORE,
                IncomingEvent(
                    EventKind.RESTORE, CONNECTION_RESTORED_CODE, text="Connection restored"
                ),
                now,
            )
        )
    for seen in units.values():
        for row, signal in seen.new_signals:
            for event in signal.events:
                if event.kind == EventKind.HEARTBEAT:
                    continue
                kind = _KINDS.get(event.kind, AlarmKind.OTHER)
                alarms.append(_alarm(seen.unit, row, row.placement, kind, event, now))
    Alarm.objects.bulk_create(alarms)
    care = [alarm for alarm in alarms if alarm.category == AlarmCategory.CARE]
    if care:
        _ensure_ids(care)
        AlarmOutbox.objects.bulk_create(
            [AlarmOutbox(alarm=alarm, created_at=now) for alarm in care]
        )
        # Delivered on commit: the dispatcher routes them now, not at its next idle look.
        handling.wake_dispatcher()


def _alarm(
    unit: AlarmUnit,
    signal: Signal | None,
    placement: AlarmPlacement | None,
    kind: AlarmKind,
    event: IncomingEvent,
    now: dt.datetime,
) -> Alarm:
    client = placement.client if placement is not None else None
    provider_id: int | None
    if client is not None:
        provider_id = client.provider_id
    else:
        provider_id = placement.provider_id if placement is not None else None
    record_only = kind in RECORD_ONLY_KINDS
    return Alarm(
        municipality_id=unit.municipality_id,
        unit=unit,
        signal=signal,
        placement=placement,
        client=client,
        provider_id=provider_id,
        kind=kind,
        category=AlarmCategory.CARE if kind in CARE_KINDS else AlarmCategory.TECHNICAL,
        code=event.code[:32],
        zone=event.zone[:32],
        text=event.text[:200],
        status=AlarmStatus.CLOSED if record_only else AlarmStatus.OPEN,
        created_at=now,
        closed_at=now if record_only else None,
    )


def _touch(seen: Iterable[_Seen]) -> None:
    """Every unit heard from: last seen, the next deadline, and the connection up again.
    Safe as a read-modify-write: the rows are locked since they were read."""
    rows = []
    adapt = connection.ops.adapt_datetimefield_value
    for entry in seen:
        unit: AlarmUnit = entry.unit
        last = max(unit.last_seen_at, entry.seen_at) if unit.last_seen_at else entry.seen_at
        unit.last_seen_at = last
        unit.supervision_due_at = unit.due_after(last)
        unit.connection_lost = False
        rows.append((adapt(last), adapt(unit.supervision_due_at), False, unit.pk))
    if rows:
        # One prepared statement run per row: bulk_update's CASE WHEN over the whole batch
        # was the largest cost of the ingest thread (docs/benchmarks.md, DC-09 profile).
        with connection.cursor() as cursor:
            cursor.executemany(_TOUCH_SQL, rows)


_TOUCH_SQL = (
    "UPDATE devices_alarmunit"
    " SET last_seen_at = %s, supervision_due_at = %s, connection_lost = %s WHERE id = %s"
)


# Look-ups ------------------------------------------------------------------------------


def _normalise_ref(protocol: str, unit_ref: str) -> str:
    if protocol == Protocol.DC09:
        return normalise_dc09_account(unit_ref)
    return unit_ref.strip()


def _candidate_condition(refs: dict[str, set[str]]) -> Q:
    condition = Q(pk__in=[])
    for protocol, values in refs.items():
        field_name = UNIT_REF_FIELDS[protocol]
        condition |= Q(protocol=protocol, **{f"{field_name}__in": sorted(values)})
    return condition


_UNIT_FIELDS = (
    "municipality",
    "municipality__time_zone",
    "protocol",
    "serial_number",
    "dc09_account",
    "scaip_controller_id",
    "heartbeat_interval",
    "heartbeat_grace",
    "last_seen_at",
    "connection_lost",
)


def _find_units(
    condition: Q, *, lock: bool = False, fields: tuple[str, ...] = _UNIT_FIELDS
) -> list[AlarmUnit]:
    queryset = (
        AlarmUnit.objects.filter(condition)
        .select_related("municipality")
        .only(*fields)
        .order_by("pk")
    )
    if lock:
        # In id order: two batches naming the same units lock them in the same order.
        queryset = queryset.select_for_update(of=("self",))
    return list(queryset)


def _resolve(
    index: dict[tuple[str, str], list[AlarmUnit]], signal: IncomingSignal
) -> AlarmUnit | None:
    ref = _normalise_ref(signal.protocol, signal.unit_ref)
    candidates = index.get((signal.protocol, ref), [])
    if signal.municipality_id is not None:
        candidates = [u for u in candidates if u.municipality_id == signal.municipality_id]
    if len(candidates) == 1:
        return candidates[0]
    # The raw frame is not logged: it may carry a client's details.
    logger.warning(
        "Alarm signal from %s unit refused: protocol=%r unit=%r",
        "an ambiguous" if candidates else "an unknown",
        str(signal.protocol),
        ref,
    )
    return None


class _Placements:
    """The placements of the batch's units around the batch's days, fetched in one query."""

    def __init__(self, unit_ids: list[int], days: list[dt.date]) -> None:
        self.by_unit: dict[int, list[AlarmPlacement]] = {}
        if not unit_ids:
            return
        rows = (
            AlarmPlacement.objects.filter(unit_id__in=set(unit_ids), active_from__lte=max(days))
            .filter(Q(active_to__isnull=True) | Q(active_to__gte=min(days)))
            .select_related("client")
            .only("unit", "provider", "active_from", "active_to", "client__provider")
        )
        for placement in rows:
            self.by_unit.setdefault(placement.unit_id, []).append(placement)

    def at(self, unit: AlarmUnit, moment: dt.datetime) -> AlarmPlacement | None:
        day = _local_day(unit, moment)
        for placement in self.by_unit.get(unit.pk, []):
            if placement.is_active_on(day):
                return placement
        return None


def _local_day(unit: AlarmUnit, moment: dt.datetime) -> dt.date:
    """The day in the unit's municipality: placements are dated by local days."""
    return moment.astimezone(ZoneInfo(unit.municipality.time_zone)).date()


def _ensure_ids(rows: Sequence[Signal] | Sequence[Alarm]) -> None:
    """bulk_create sets ids on PostgreSQL and SQLite 3.35+; anything older cannot run us."""
    if any(row.pk is None for row in rows):
        raise DatabaseError("The database did not return the ids of inserted rows.")


def _dedupe_key(key: str) -> str:
    """The key as stored: a long one (a SIP Call-ID can be) by its SHA-256, which a
    retransmission reproduces just the same."""
    if len(key) <= DEDUPE_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _problem(signal: IncomingSignal) -> str:
    """Why a message cannot be taken at all, or "" when it can."""
    if signal.protocol not in _UNIT_REF_MAX:
        return "unknown protocol"
    ref = signal.unit_ref.strip()
    if not ref or len(ref) > _UNIT_REF_MAX[Protocol(signal.protocol)]:
        return "bad unit reference"
    if not signal.dedupe_key:
        return "no deduplication key"
    if timezone.is_naive(signal.received_at):
        return "naive receive time"
    if len(signal.raw) > RAW_MAX_BYTES:
        return "message too large"
    return ""
