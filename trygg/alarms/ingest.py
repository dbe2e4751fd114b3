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
- Every alarm that needs someone's action (care and technical: all but tests and restores)
  gets an `alarm.raised` message in the core outbox (trygg/core/outbox.py) in its own
  transaction; the dispatcher routes it.
- A restore closes what it ends, in the same transaction: a unit heard again after a lost
  connection closes its open `connection_lost` alarm, and a low battery, tamper or mains
  restore (when the protocol says which, `IncomingEvent.restores`) closes the unit's open
  alarm of that kind, in the same zone unless the restore names none. The closed alarm gets
  an `AlarmEvent` (RESTORED, no actor: Trygg did it) and an `alarm.closed` outbox message so
  consoles drop it. A restore of a care alarm (medical alarm restore, a cancel) closes
  nothing: someone must still see to the client. Generic technical restores
  (communications restoral, SCAIP "normal state") close nothing either: which fault ended
  is not clear from them.

Speed (docs/benchmarks.md, DC-09 ingest). A batch is a fixed handful of statements whatever
its size. Rows are written by `trygg.lib.bulkinsert` (`insert_rows`, `update_rows`), not
`bulk_create` and `bulk_update`: the ORM compiling every value of every row was the largest
cost of the ingest thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from trygg.core import outbox
from trygg.core.models import ApiToken
from trygg.devices.models import (
    UNIT_REF_FIELDS,
    AlarmPlacement,
    AlarmProtocol,
    AlarmUnit,
    normalise_dc09_account,
)
from trygg.devices.services import device_token_unit
from trygg.lib.bulkinsert import insert_rows, update_rows
from trygg.receivers.incoming import (
    DEDUPE_KEY_MAX,
    RAW_MAX_BYTES,
    ApiDevice,
    EventKind,
    IncomingEvent,
    IncomingSignal,
    IngestOutcome,
    Protocol,
)

from . import event_names
from .models import (
    CARE_KINDS,
    CONNECTION_RESTORED_CODE,
    RECORD_ONLY_KINDS,
    Alarm,
    AlarmAction,
    AlarmCategory,
    AlarmEvent,
    AlarmKind,
    AlarmStatus,
    Signal,
)

logger = logging.getLogger(__name__)

# A retransmission comes seconds or minutes after the original; a key that comes back later
# than the window after next is a new message (DC-09 sequence numbers cycle 0001-9999).
DEDUPE_WINDOW = dt.timedelta(hours=6)
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
# Outbox topics: a new alarm that needs someone's action, and one Trygg closed itself.
OUTBOX_RAISED = "alarm.raised"
OUTBOX_CLOSED = "alarm.closed"
# What a restore of this kind (`IncomingEvent.restores`) closes: only where the condition
# that ended is clear and no person has to see to anyone.
RESTORE_CLOSES: dict[str, AlarmKind] = {
    EventKind.LOW_BATTERY: AlarmKind.LOW_BATTERY,
    EventKind.TAMPER: AlarmKind.TAMPER,
    EventKind.MAINS_LOSS: AlarmKind.MAINS_LOSS,
}
_NOT_CLOSED = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)


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


# What the receivers ask about units (registered in apps.py) ------------------------------


def dc09_keys(municipality_id: int | None) -> dict[str, list[bytes]]:
    """The AES keys of encrypted DC-09 units by account (upper case): the DC-09 receiver's
    key loader, run on its database thread. A list because the same account may be
    registered in several municipalities; a receiver that does not know its municipality
    then cannot tell which key applies. Never log what this returns."""
    units = AlarmUnit.objects.filter(protocol=AlarmProtocol.DC09).exclude(encryption_key="")
    if municipality_id is not None:
        units = units.filter(municipality_id=municipality_id)
    keys: dict[str, list[bytes]] = {}
    for account, key in units.values_list("dc09_account", "encryption_key"):
        keys.setdefault(account.upper(), []).append(bytes.fromhex(key))
    return keys


def api_device(token: ApiToken) -> ApiDevice | None:
    """The alarm unit a live bearer token posts as on the HTTPS API, or None."""
    unit = device_token_unit(token)
    if unit is None:
        return None
    return ApiDevice(municipality_id=unit.municipality_id, unit_ref=unit.serial_number)


# The batch -----------------------------------------------------------------------------


@dataclass
class _Seen:
    """One unit's part in the batch."""

    unit: AlarmUnit
    seen_at: dt.datetime
    first_signal: Signal | None = None
    new_signals: list[tuple[Signal, IncomingSignal, AlarmPlacement | None]] = field(
        default_factory=list
    )


@dataclass
class _Restore:
    """A restore in the batch and what it closes: the unit's alarms of kind `closes` that
    are not closed yet, in `zone` unless the restore names none."""

    unit_id: int
    closes: AlarmKind
    zone: str
    entry: Alarm  # the restore as recorded (kind RESTORE, closed at once)
    position: int  # the entry's place in the batch's alarms: only those before it end
    note: str  # for the closed alarm's log

    def matches(self, unit_id: int, kind: str, zone: str) -> bool:
        return (
            unit_id == self.unit_id and kind == self.closes and (not self.zone or zone == self.zone)
        )


def _ingest(batch: list[IncomingSignal]) -> list[IngestOutcome]:
    now = timezone.now()
    refs: dict[str, set[str]] = {}
    for signal in batch:
        refs.setdefault(signal.protocol, set()).add(
            _normalise_ref(signal.protocol, signal.unit_ref)
        )
    index: dict[tuple[str, str], list[AlarmUnit]] = {}
    for found in _find_units(_candidate_condition(refs)):
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


def unit_heard_from(unit: AlarmUnit, at: dt.datetime) -> bool:
    """An HTTPS API unit that an app above this one hears from (an infrared camera's events
    or heartbeat) moves its supervision deadline and has a lost connection restored, as any
    message does here. Inside the caller's transaction it is part of it. False when the
    database refused it (logged); the caller's own writes are then untouched."""
    heartbeat = IncomingSignal(
        protocol=Protocol.API,
        municipality_id=unit.municipality_id,
        unit_ref=unit.serial_number,
        dedupe_key=f"heard:{at.isoformat()}",
        received_at=at,
        events=(),
        raw=b"",
    )
    return ingest([heartbeat])[0] == IngestOutcome.STORED


def dedupe_window(received_at: dt.datetime) -> int:
    """The window a message received at `received_at` is deduplicated in."""
    return int(received_at.timestamp() // DEDUPE_WINDOW.total_seconds())


def _stored_before(keys: list[tuple[int, tuple[str, int]]]) -> set[tuple[int, str, int]]:
    """Which (unit id, dedupe key, window) triples are stored already, in the windows the
    batch looks at: one query, one probe of the unique index per key. (`unit IN (...) AND
    key IN (...)` had the databases probe every unit of the batch with every key of it,
    40,000 probes for 200 frames: the costliest statement of a batch on SQLite.)"""
    probes = sorted({(unit_id, key, window - 1) for unit_id, (key, window) in keys})
    quote = connection.ops.quote_name
    table = quote(Signal._meta.db_table)
    unit, key, window = (
        quote(str(Signal._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("unit", "dedupe_key", "dedupe_window")
    )
    join = (
        f" SELECT s.{unit}, s.{key}, s.{window} FROM k JOIN {table} s"  # noqa: S608 (names)
        f" ON s.{unit} = k.u AND s.{key} = k.d AND s.{window} >= k.w"
    )
    found: set[tuple[int, str, int]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Three arrays: a short statement whatever the batch size (as lib/bulkinsert.py).
            arrays = "unnest(%s::bigint[], %s::text[], %s::integer[])"
            cursor.execute(
                f"WITH k (u, d, w) AS (SELECT * FROM {arrays}){join}",  # noqa: S608 (names)
                [list(column) for column in zip(*probes, strict=True)],
            )
            found.update((row[0], row[1], row[2]) for row in cursor.fetchall())
            return found
        per_query = max(1, (connection.features.max_query_params or 999) // 3)
        for start in range(0, len(probes), per_query):
            chunk = probes[start : start + per_query]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH k (u, d, w) AS (VALUES {values})" + join,
                [value for probe in chunk for value in probe],
            )
            found.update((row[0], row[1], row[2]) for row in cursor.fetchall())
    return found


def _store(
    new: list[tuple[AlarmUnit, IncomingSignal, tuple[str, int]]],
    lost: list[_Seen],
    units: dict[int, _Seen],
    now: dt.datetime,
) -> None:
    """Insert the new signals, their alarms and the outbox rows, and close what the batch's
    restores end: a few statements for all."""
    placements = Placements(
        [unit.pk for unit, _, _ in new] + [seen.unit.pk for seen in lost],
        [local_day(unit, signal.received_at) for unit, signal, _ in new]
        + [local_day(seen.unit, seen.seen_at) for seen in lost],
    )
    held = [placements.at(unit, signal.received_at) for unit, signal, _ in new]
    # Ids rather than objects for the relations, here and in build_alarm: assigning objects
    # costs a descriptor and a cache entry per relation and row, for nothing read later.
    signal_rows = [
        Signal(
            protocol=signal.protocol,
            unit_id=unit.pk,
            dedupe_key=key,
            dedupe_window=window,
            received_at=signal.received_at,
            raw=signal.raw,
            placement_id=placement.pk if placement is not None else None,
        )
        for (unit, signal, (key, window)), placement in zip(new, held, strict=True)
    ]
    insert_rows(signal_rows)
    for row, (unit, signal, _key), placement in zip(signal_rows, new, held, strict=True):
        seen = units[unit.pk]
        seen.first_signal = seen.first_signal or row
        seen.new_signals.append((row, signal, placement))

    alarms: list[Alarm] = []
    restores: list[_Restore] = []
    for seen in lost:
        # The connection is back: recorded before whatever the unit says now.
        entry = build_alarm(
            seen.unit,
            seen.first_signal,
            placements.at(seen.unit, seen.seen_at),
            AlarmKind.RESTORE,
            IncomingEvent(EventKind.RESTORE, CONNECTION_RESTORED_CODE, text="Connection restored"),
            now,
        )
        alarms.append(entry)
        note = gettext("The unit was heard again after its connection was lost.")
        restores.append(
            _Restore(seen.unit.pk, AlarmKind.CONNECTION_LOST, "", entry, len(alarms) - 1, note)
        )
    for seen in units.values():
        for row, signal, placement in seen.new_signals:
            for event in signal.events:
                if event.kind == EventKind.HEARTBEAT:
                    continue
                kind = _KINDS.get(event.kind, AlarmKind.OTHER)
                alarm = build_alarm(seen.unit, row, placement, kind, event, now)
                alarms.append(alarm)
                closes = RESTORE_CLOSES.get(event.restores) if kind == AlarmKind.RESTORE else None
                if closes is not None:
                    protocol = seen.unit.protocol
                    reported = event_names.event_name(protocol, alarm.code)
                    note = gettext("The unit reported: %(event)s (%(code)s).") % {
                        "event": reported or alarm.text or alarm.code,
                        "code": event_names.shown_code(protocol, alarm.code),
                    }
                    restores.append(
                        _Restore(seen.unit.pk, closes, alarm.zone, alarm, len(alarms) - 1, note)
                    )

    # What the restores close: alarms of this batch before them, and stored ones (locked
    # before the batch's own are inserted, so the two never overlap).
    in_batch = _close_in_batch(restores, alarms, now)
    stored = _lock_closable(restores)
    insert_rows(alarms)
    closed = [(alarm.pk, restore) for alarm, restore in in_batch]
    closed += _close_stored(stored, restores, now)

    # Raised before closed, in one insert: the dispatcher gets them in this order.
    messages = outbox.rows(
        OUTBOX_RAISED, [a.pk for a in alarms if a.kind not in RECORD_ONLY_KINDS], now=now
    ) + outbox.rows(OUTBOX_CLOSED, [alarm_id for alarm_id, _ in closed], now=now)
    if closed:
        insert_rows(
            [
                AlarmEvent(
                    alarm_id=alarm_id,
                    at=now,
                    action=AlarmAction.RESTORED,
                    note=restore.note
                    + " "
                    + gettext("The restore is recorded as alarm %(id)s.")
                    % {"id": restore.entry.pk},
                )
                for alarm_id, restore in closed
            ]
        )
    if messages:
        # The fast insert, not `outbox.write_many` (bulk_create): this is the ingest's path.
        insert_rows(messages)
        # Woken on commit: the dispatcher routes them now, not at its next idle look.
        outbox.notify([OUTBOX_RAISED])


def _close_in_batch(
    restores: list[_Restore], alarms: list[Alarm], now: dt.datetime
) -> list[tuple[Alarm, _Restore]]:
    """Close, before they are inserted, the batch's own alarms that a restore later in the
    batch ends (a low battery and its restore sent together)."""
    closing: list[tuple[Alarm, _Restore]] = []
    for restore in restores:
        for alarm in alarms[: restore.position]:
            if alarm.status != AlarmStatus.CLOSED and restore.matches(
                alarm.unit_id, alarm.kind, alarm.zone
            ):
                alarm.status, alarm.closed_at = AlarmStatus.CLOSED, now
                closing.append((alarm, restore))
    return closing


def _lock_closable(restores: list[_Restore]) -> list[tuple[int, int, str, str]]:
    """The stored alarms the restores may close, locked: (id, unit id, kind, zone). Nothing
    is read when the batch has no restore that closes anything."""
    if not restores:
        return []
    return list(
        Alarm.objects.filter(
            unit_id__in={restore.unit_id for restore in restores},
            kind__in={restore.closes for restore in restores},
            status__in=_NOT_CLOSED,
        )
        .order_by("pk")
        .select_for_update()
        .values_list("pk", "unit_id", "kind", "zone")
    )


def _close_stored(
    candidates: list[tuple[int, int, str, str]], restores: list[_Restore], now: dt.datetime
) -> list[tuple[int, _Restore]]:
    """Close the stored alarms a restore of the batch ends; (id, restore) for each. Safe
    against an operator closing one meanwhile: the rows are locked since they were read."""
    closed: list[tuple[int, _Restore]] = []
    for pk, unit_id, kind, zone in candidates:
        restore = next((r for r in restores if r.matches(unit_id, kind, zone)), None)
        if restore is not None:
            closed.append((pk, restore))
    if closed:
        Alarm.objects.filter(pk__in=[pk for pk, _ in closed]).update(
            status=AlarmStatus.CLOSED, closed_at=now, escalate_at=None
        )
    return closed


def build_alarm(
    unit: AlarmUnit,
    signal: Signal | None,
    placement: AlarmPlacement | None,
    kind: AlarmKind,
    event: IncomingEvent,
    now: dt.datetime,
) -> Alarm:
    """The alarm (not saved) that `event` from `unit` raises: the client and provider from
    the placement in force, the category from the kind, and tests and restores recorded
    closed. Shared with heartbeat supervision, whose lost connections are built the same
    way (with no signal: Trygg noticed them itself)."""
    client = placement.client if placement is not None else None
    provider_id: int | None
    if client is not None:
        provider_id = client.provider_id
    else:
        provider_id = placement.provider_id if placement is not None else None
    record_only = kind in RECORD_ONLY_KINDS
    return Alarm(
        municipality_id=unit.municipality_id,
        unit_id=unit.pk,
        signal_id=signal.pk if signal is not None else None,
        placement_id=placement.pk if placement is not None else None,
        client_id=client.pk if client is not None else None,
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
    units = []
    for entry in seen:
        unit: AlarmUnit = entry.unit
        last = max(unit.last_seen_at, entry.seen_at) if unit.last_seen_at else entry.seen_at
        unit.last_seen_at = last
        unit.supervision_due_at = unit.due_after(last)
        unit.connection_lost = False
        units.append(unit)
    # Not bulk_update: its CASE WHEN over the whole batch was the largest cost of the ingest
    # thread (docs/benchmarks.md, DC-09 profile).
    update_rows(units, _TOUCHED)


_TOUCHED = ("last_seen_at", "supervision_due_at", "connection_lost")


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


def _find_units(condition: Q) -> list[AlarmUnit]:
    """The units the batch names, locked in id order: two batches naming the same units
    lock them in the same order."""
    return list(
        AlarmUnit.objects.filter(condition)
        .select_related("municipality")
        .only(*_UNIT_FIELDS)
        .order_by("pk")
        .select_for_update(of=("self",))
    )


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


class Placements:
    """The placements of some units around some days, fetched in one query, to find who
    held a unit at a moment (`at`): the ingest's and supervision's batches use it."""

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
        """The placement in force on the unit's local day of `moment`, if any."""
        day = local_day(unit, moment)
        for placement in self.by_unit.get(unit.pk, []):
            if placement.is_active_on(day):
                return placement
        return None


def local_day(unit: AlarmUnit, moment: dt.datetime) -> dt.date:
    """The day of `moment` in the unit's municipality: placements are dated by local days.
    The unit needs its municipality's time zone loaded (`municipality__time_zone`)."""
    return unit.municipality.local_date(moment)


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
