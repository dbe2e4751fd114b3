"""Domain operations on digital keys and what locks say: a lock's contact with the server
(its public keys, its revocation list, the time), storing its events once, a manager
revoking a key and lifting the revocation, and the keys of a phone reported lost.

Token issuing is in tokens.py, who holds which key in keys.py, the inventory's operations
on locks in inventory.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.models import Client, User
from trygg.devices.models import DoorKind, DoorLock, Phone
from trygg.lib import unlock

from . import access, keystore
from . import battery as battery_tasks
from .constants import EVENT_CLOCK_AHEAD, KeyEnd, LockEventKind, LockEventSource, Refusal
from .keys import Reconciled, end_keys, reconcile_keys, revocation_list
from .models import DigitalKey, LockEvent

logger = logging.getLogger(__name__)


class KeyActionError(ValueError):
    """A key operation that cannot be done as asked; the message says why."""


# A lock's contact --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """What the server tells a lock at its contact."""

    lock_id: uuid.UUID
    time: int
    public_keys: dict[int, bytes]
    revocation_serial: int
    revoked_key_ids: list[int]
    max_window: int

    def as_wire(self) -> dict[str, Any]:
        """As the lock API sends it (and the simulator takes it)."""
        return {
            "lock_id": str(self.lock_id),
            "time": self.time,
            "keys": {
                str(version): base64.b64encode(raw).decode("ascii")
                for version, raw in sorted(self.public_keys.items())
            },
            "revocations": {"serial": self.revocation_serial, "key_ids": self.revoked_key_ids},
            "max_window": self.max_window,
        }


def lock_contact(
    lock: DoorLock,
    *,
    now: dt.datetime | None = None,
    battery: int | None = None,
    firmware: str | None = None,
) -> Contact:
    """A lock makes contact: recorded (with its battery and firmware, if it says), and
    answered with the public keys it is to trust and the keys it is to refuse. A lock not
    in service is given no public key: it opens for nobody."""
    now = now or timezone.now()
    fields: dict[str, Any] = {"last_contact_at": now}
    if battery is not None:
        fields.update(battery_level=battery, battery_reported_at=now)
    if firmware:
        fields["firmware"] = firmware[:64]
    DoorLock.objects.filter(pk=lock.pk).update(**fields)
    for name, value in fields.items():
        setattr(lock, name, value)
    serial = DoorLock.objects.values_list("revocation_serial", flat=True).get(pk=lock.pk)
    in_service = lock.is_in_service(lock.municipality.local_date(now))
    if battery is not None:
        battery_tasks.note_level(lock, battery, now)
    return Contact(
        lock_id=lock.lock_id,
        time=int(now.timestamp()),
        public_keys=keystore.public_keys_for_locks(now) if in_service else {},
        revocation_serial=serial,
        revoked_key_ids=revocation_list(lock, now),
        max_window=unlock.MAX_WINDOW,
    )


# A lock's events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportedEvent:
    """One event as a lock (or, later, a phone) reports it."""

    event_id: str
    kind: str
    at: dt.datetime
    key_id: int | None = None
    holder: int | None = None
    key_version: int | None = None
    refusal: str = ""
    battery: int | None = None


def reported_from_wire(events: Iterable[Mapping[str, Any]]) -> list[ReportedEvent]:
    """Events in the lock API's wire format (as the simulator keeps them), for a caller
    that has them in hand rather than in a request."""
    return [
        ReportedEvent(
            event_id=str(e["id"]),
            kind=str(e["kind"]),
            at=dt.datetime.fromisoformat(str(e["at"])),
            key_id=e.get("key_id"),
            holder=e.get("holder"),
            key_version=e.get("key_version"),
            refusal=str(e.get("refusal", "")),
            battery=e.get("battery"),
        )
        for e in events
    ]


class EventError(ValueError):
    """A batch of events that cannot be stored; nothing of it was. The message says which
    event and why."""


@dataclass(frozen=True)
class Recorded:
    stored: int
    duplicates: int
    event_ids: list[str]


def event_refusal(event: ReportedEvent, now: dt.datetime) -> str | None:
    """Why the event cannot be stored, in words for the sender; None when it can."""
    if event.kind not in LockEventKind.values:
        return _("unknown kind of event.")
    if event.at > now + EVENT_CLOCK_AHEAD:
        return _("the time is in the future; set the lock's clock.")
    if event.kind == LockEventKind.FAILED and event.refusal not in Refusal.values:
        return _("a failed attempt says why the lock refused.")
    if event.kind != LockEventKind.FAILED and event.refusal:
        return _("only a failed attempt has a refusal.")
    if event.kind == LockEventKind.UNLOCKED and event.key_id is None:
        return _("an unlocking names the key it opened for.")
    if event.battery is not None and not 0 <= event.battery <= 100:
        return _("the battery level is 0 to 100.")
    return None


def _check_event(event: ReportedEvent, position: int, now: dt.datetime) -> None:
    # One lock's batch: its position in the batch names it.
    if refusal := event_refusal(event, now):
        where = _("Event %(n)s (%(id)s)") % {"n": position + 1, "id": event.event_id}
        raise EventError(f"{where}: {refusal}")


@dataclass(frozen=True)
class NamedDoor:
    """A door as a refusal names it to someone who holds or held a key to it: as the lock's
    page heads it (the street address, else the lock's serial number), and the client whose
    flat's address that is, for the access log."""

    name: str
    client: Client | None


def name_door(lock: DoorLock, visible_client_ids: Collection[int]) -> NamedDoor:
    """The door by its address, the way the lock's page names it. A flat's address is its
    client's: named only to someone who may see the client (`visible_client_ids`), else the
    lock's serial number. Never a personnummer, never a client's name."""
    if lock.door_kind == DoorKind.FLAT and lock.client_id is not None:
        if lock.client_id in visible_client_ids and lock.address:
            return NamedDoor(lock.address, lock.client)
    elif lock.address:
        return NamedDoor(lock.address, None)
    return NamedDoor(_("lock %(serial)s") % {"serial": lock.serial_number}, None)


def record_lock_events(
    lock: DoorLock,
    events: Sequence[ReportedEvent],
    *,
    source: str = LockEventSource.LOCK,
    now: dt.datetime | None = None,
) -> Recorded:
    """Store a batch of a lock's events, each once: an event id the lock sent before is
    acknowledged again and not stored twice. The batch is checked whole first; an error
    stores nothing."""
    now = now or timezone.now()
    for position, event in enumerate(events):
        _check_event(event, position, now)
    unique: dict[str, ReportedEvent] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    key_numbers = {e.key_id for e in unique.values() if e.key_id is not None}
    with transaction.atomic():
        seen = set(
            LockEvent.objects.filter(lock=lock, event_id__in=list(unique)).values_list(
                "event_id", flat=True
            )
        )
        holders = dict(
            DigitalKey.objects.filter(lock=lock, pk__in=key_numbers).values_list("pk", "holder_id")
        )
        new = [
            LockEvent(
                lock=lock,
                event_id=e.event_id,
                kind=e.kind,
                at=e.at,
                received_at=now,
                source=source,
                key_number=e.key_id,
                key_id=e.key_id if e.key_id in holders else None,
                holder_id=holders.get(e.key_id) if e.key_id is not None else None,
                key_version=e.key_version,
                refusal=e.refusal,
                battery_level=e.battery,
            )
            for event_id, e in unique.items()
            if event_id not in seen
        ]
        LockEvent.objects.bulk_create(new, ignore_conflicts=True)
        _note_battery(lock, new)
    return Recorded(stored=len(new), duplicates=len(events) - len(new), event_ids=list(unique))


def _note_battery(lock: DoorLock, events: list[LockEvent]) -> None:
    # A low-battery warning opens the battery task whether or not it gives a level.
    for warning in (e for e in events if e.kind == LockEventKind.LOW_BATTERY):
        battery_tasks.note_level(lock, warning.battery_level, warning.at)
    reported = [e for e in events if e.battery_level is not None]
    if not reported:
        return
    latest = max(reported, key=lambda e: e.at)
    DoorLock.objects.filter(
        Q(battery_reported_at__isnull=True) | Q(battery_reported_at__lt=latest.at), pk=lock.pk
    ).update(battery_level=latest.battery_level, battery_reported_at=latest.at)
    battery_tasks.note_level(lock, latest.battery_level, latest.at)


# Managers' revocations -----------------------------------------------------------------------


def revoke_key(
    actor: User, key: DigitalKey, *, note: str, now: dt.datetime | None = None
) -> DigitalKey:
    """Take a key away at once: it ends, goes on its lock's revocation list (which the lock
    receives at its next contact) and the holder gets no new key to that door until a
    manager lifts the revocation."""
    if not access.can_revoke(actor, key):
        raise PermissionError("You may not revoke this key.")
    note = note.strip()
    if not note:
        raise KeyActionError(_("Say why the key is revoked."))
    if len(note) > 500:
        raise KeyActionError(_("The reason can be at most 500 characters."))
    now = now or timezone.now()
    with transaction.atomic():
        # The lock's row first, as a run starting keys takes it: that run then sees this
        # revocation and starts no new key for the holder.
        list(DoorLock.objects.select_for_update().filter(pk=key.lock_id).values("pk"))
        if not end_keys([key], KeyEnd.REVOKED, now=now, by=actor, note=note):
            raise KeyActionError(_("The key has already ended."))
    key.refresh_from_db()
    logger.info("Digital key %s revoked by user %s", key.pk, actor.pk)
    return key


def lift_revocation(actor: User, key: DigitalKey, *, now: dt.datetime | None = None) -> DigitalKey:
    """Let the holder hold a key to the door again, if they are entitled to one: a new key,
    with a new id (the revoked one stays on the lock's list until its tokens are dead)."""
    if not access.can_revoke(actor, key):
        raise PermissionError("You may not change this key.")
    now = now or timezone.now()
    with transaction.atomic():
        lifted = DigitalKey.objects.filter(
            pk=key.pk, end_reason=KeyEnd.REVOKED, lifted_at__isnull=True
        ).update(lifted_at=now, lifted_by=actor)
        if not lifted:
            raise KeyActionError(_("The key is not revoked."))
        holder_id = key.holder_id
        transaction.on_commit(lambda: reconcile_keys(holder_ids=[holder_id]))
    key.refresh_from_db()
    return key


def end_phone_keys(phone: Phone, actor: User | None, *, now: dt.datetime | None = None) -> int:
    """A phone reported lost and to be wiped: the keys of its holder end at once and go on
    the revocation lists, so the tokens on that phone open nothing. The holder gets new
    keys (new ids) for their next phone at the next reconciliation."""
    if phone.assigned_to_id is None:
        return 0
    keys = list(DigitalKey.objects.open().filter(holder_id=phone.assigned_to_id))
    ended = end_keys(
        keys,
        KeyEnd.PHONE_LOST,
        now=now,
        by=actor,
        note=_("Phone %(phone)s lost") % {"phone": phone},
    )
    if ended:
        logger.info("%s digital key(s) ended for a lost phone (%s)", ended, phone.pk)
    return ended


def reconcile_all() -> int:
    """The worker's periodic pass over every key; returns how many it started and ended."""
    result: Reconciled = reconcile_keys()
    return result.started + result.ended
