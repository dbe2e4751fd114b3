"""Who holds a digital key to which door, kept in step with teams, alarms and locks.

A staff member is entitled to a key to a lock in service when a client behind its door

- belongs to a team the staff member is in, through a role that goes into homes
  (constants.KEY_ROLES), at the team's provider; or
- has an alarm the staff member accepted or was sent to, until the alarm is closed and a
  short margin has passed (constants.ALARM_KEY_MARGIN).

`reconcile_keys` compares that with the open `DigitalKey` rows and starts and ends keys to
match: on demand (a phone fetching tokens, a lock placed), when roles or teams change
(signals connected in apps.py) and every few minutes for everything (the worker's
`locks.keys`), which catches what no signal reports (a client moved to another team by the
import, an alarm's margin running out).

A key that ends while tokens issued under it may still be valid goes on its lock's
revocation list until they have expired, so a phone that kept them cannot open the door;
a key revoked by a manager, or of a phone reported lost, is listed for the longest a
token can live, whatever the records say (a token may be being issued at that moment).
A manager's revocation stands: the holder gets no new key to that lock until a manager
lifts it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from trygg.alarms.models import Alarm, AlarmStatus
from trygg.core.models import Client, RoleAssignment, User
from trygg.devices.models import DoorLock
from trygg.lib import unlock

from .constants import ALARM_KEY_MARGIN, KEY_ROLES, KeyEnd, KeyReason
from .models import DigitalKey, TokenIssue

LEEWAY = dt.timedelta(seconds=unlock.CLOCK_LEEWAY)
LONGEST_TOKEN = dt.timedelta(seconds=unlock.MAX_WINDOW)
# Ends that take the key from a person who may still be holding its tokens on a phone they
# no longer control, or who must not open the door any more.
_HARD_ENDS = frozenset({KeyEnd.REVOKED, KeyEnd.PHONE_LOST, KeyEnd.STAFF_INACTIVE})


@dataclass(frozen=True)
class Entitlement:
    """Why `holder` may hold a key to `lock` now."""

    holder_id: int
    lock_id: int
    reason: str
    team_id: int | None
    alarm_id: int | None
    client_id: int
    provider_id: int

    def fits(self, key: DigitalKey) -> bool:
        """Whether an open key stands on this very reason."""
        if key.reason != self.reason:
            return False
        if self.reason == KeyReason.TEAM:
            return key.team_id == self.team_id
        return key.alarm_id == self.alarm_id


@dataclass
class Reconciled:
    started: int = 0
    ended: int = 0
    # Every reason each (holder, lock) had at the time: a key stands on one of them, but
    # its tokens may run as long as the longest (a team member answering an alarm at night).
    entitled: dict[tuple[int, int], list[Entitlement]] = field(default_factory=dict)


def _locks_in_service(now: dt.datetime, lock_ids: Iterable[int] | None) -> dict[int, DoorLock]:
    candidates = DoorLock.objects.filter(placed_on__isnull=False).select_related("municipality")
    # Every municipality's date is within a day of UTC's: narrow in the database, decide
    # by each municipality's own date.
    utc_day = now.astimezone(dt.UTC).date()
    candidates = candidates.filter(
        Q(removed_on__isnull=True) | Q(removed_on__gte=utc_day - dt.timedelta(days=1)),
        placed_on__lte=utc_day + dt.timedelta(days=1),
    )
    if lock_ids is not None:
        candidates = candidates.filter(pk__in=list(lock_ids))
    return {
        lock.pk: lock
        for lock in candidates.order_by().only(
            "pk", "placed_on", "removed_on", "client_id", "door_kind", "municipality__time_zone"
        )
        if lock.is_in_service(lock.municipality.local_date(now))
    }


def _door_clients(locks: dict[int, DoorLock]) -> dict[int, list[int]]:
    """lock id -> the ids of the clients behind its door."""
    behind: dict[int, list[int]] = defaultdict(list)
    for lock in locks.values():
        if lock.client_id is not None:
            behind[lock.pk].append(lock.client_id)
    through = DoorLock.entrance_clients.through.objects.filter(doorlock_id__in=list(locks))
    for lock_id, client_id in through.values_list("doorlock_id", "client_id"):
        behind[lock_id].append(client_id)
    return behind


def _doors_of(holder_ids: list[int], now: dt.datetime) -> set[int]:
    """The locks on the doors of the clients of the holders' teams and of the alarms they
    answer (however things stand otherwise: `entitlements` decides)."""
    team_ids = RoleAssignment.teams.through.objects.filter(
        roleassignment__user_id__in=holder_ids, roleassignment__role__in=sorted(KEY_ROLES)
    ).values("team_id")
    alarm_clients = Alarm.objects.filter(
        Q(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED])
        | Q(closed_at__gt=now - ALARM_KEY_MARGIN),
        assigned_to_id__in=holder_ids,
    ).values("client_id")
    clients = Client.objects.filter(Q(team_id__in=team_ids) | Q(pk__in=alarm_clients)).values("pk")
    flat = DoorLock.objects.filter(client_id__in=clients).values_list("pk", flat=True)
    entrance = DoorLock.entrance_clients.through.objects.filter(client_id__in=clients)
    return set(flat) | set(entrance.values_list("doorlock_id", flat=True))


def entitlements(
    *,
    now: dt.datetime,
    holder_ids: Iterable[int] | None = None,
    lock_ids: Iterable[int] | None = None,
) -> dict[tuple[int, int], list[Entitlement]]:
    """(holder, lock) -> every reason the holder may hold a key to the lock now."""
    holders = None if holder_ids is None else sorted(set(holder_ids))
    if holders is not None and lock_ids is None:
        # A phone's fetch: only the doors these people could have keys to, not the city's.
        lock_ids = _doors_of(holders, now)
    locks = _locks_in_service(now, lock_ids)
    behind = _door_clients(locks)
    client_ids = sorted({c for ids in behind.values() for c in ids})
    clients = {
        c.pk: c
        for c in Client.objects.filter(pk__in=client_ids)
        .order_by()
        .select_related("municipality")
        .only("pk", "team_id", "provider_id", "start_date", "end_date", "municipality__time_zone")
    }
    active = {pk for pk, c in clients.items() if c.is_active_on(c.municipality.local_date(now))}
    locks_of_client: dict[int, list[int]] = defaultdict(list)
    for lock_id, ids in behind.items():
        for client_id in ids:
            if client_id in active:
                locks_of_client[client_id].append(lock_id)
    found: dict[tuple[int, int], list[Entitlement]] = defaultdict(list)

    # Through teams.
    clients_of_team: dict[int, list[int]] = defaultdict(list)
    for client_id in locks_of_client:
        team_id = clients[client_id].team_id
        if team_id is not None:
            clients_of_team[team_id].append(client_id)
    members = RoleAssignment.teams.through.objects.filter(
        team_id__in=sorted(clients_of_team),
        roleassignment__role__in=sorted(KEY_ROLES),
        roleassignment__user__is_active=True,
        # A team's members work for its provider; an assignment elsewhere gives no key.
        roleassignment__provider_id=F("team__provider_id"),
    )
    if holders is not None:
        members = members.filter(roleassignment__user_id__in=holders)
    for team_id, user_id, provider_id in members.values_list(
        "team_id", "roleassignment__user_id", "team__provider_id"
    ).distinct():
        for client_id in clients_of_team[team_id]:
            for lock_id in locks_of_client[client_id]:
                found[(user_id, lock_id)].append(
                    Entitlement(
                        user_id, lock_id, KeyReason.TEAM, team_id, None, client_id, provider_id
                    )
                )

    # Through alarms being answered.
    alarms = Alarm.objects.filter(
        Q(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED])
        | Q(closed_at__gt=now - ALARM_KEY_MARGIN),
        client_id__in=sorted(locks_of_client),
        assigned_to__isnull=False,
        assigned_to__is_active=True,
    )
    if holders is not None:
        alarms = alarms.filter(assigned_to_id__in=holders)
    for alarm_id, client_id, user_id, team_provider, provider_id in alarms.values_list(
        "pk", "client_id", "assigned_to_id", "team__provider_id", "provider_id"
    ):
        # Held for the provider whose team answered (the patrol's), else the client's.
        held_for = team_provider or provider_id or clients[client_id].provider_id
        for lock_id in locks_of_client[client_id]:
            found[(user_id, lock_id)].append(
                Entitlement(user_id, lock_id, KeyReason.ALARM, None, alarm_id, client_id, held_for)
            )
    return found


def _best(candidates: list[Entitlement]) -> Entitlement:
    """The reason a new key is given for: a team before an alarm (it outlasts it), then the
    lowest ids, so that every run chooses alike."""
    return min(
        candidates,
        key=lambda e: (e.reason != KeyReason.TEAM, e.team_id or 0, e.alarm_id or 0, e.client_id),
    )


def reconcile_keys(
    *,
    now: dt.datetime | None = None,
    holder_ids: Iterable[int] | None = None,
    lock_ids: Iterable[int] | None = None,
) -> Reconciled:
    """Start and end keys so that the open ones are exactly the entitled ones, for the
    given holders or locks (default: everyone). Reads first, then writes in one short
    transaction; a change made meanwhile is caught by the next run."""
    now = now or timezone.now()
    holders = None if holder_ids is None else sorted(set(holder_ids))
    lock_list = None if lock_ids is None else sorted(set(lock_ids))
    wanted = entitlements(now=now, holder_ids=holders, lock_ids=lock_list)
    open_keys = DigitalKey.objects.open().order_by()
    if holders is not None:
        open_keys = open_keys.filter(holder_id__in=holders)
    if lock_list is not None:
        open_keys = open_keys.filter(lock_id__in=lock_list)
    current = {(k.holder_id, k.lock_id): k for k in open_keys}
    to_end: list[DigitalKey] = []
    kept: set[tuple[int, int]] = set()
    for pair, key in current.items():
        if any(e.fits(key) for e in wanted.get(pair, ())):
            kept.add(pair)
        else:
            to_end.append(key)
    to_start = [_best(wanted[pair]) for pair in wanted if pair not in kept]
    result = Reconciled(entitled=dict(wanted))
    if not to_end and not to_start:
        return result
    with transaction.atomic():
        continuing = set(wanted)
        reasons = _end_reasons(to_end, now)
        for reason, keys in reasons.items():
            result.ended += end_keys(
                keys,
                reason,
                now=now,
                # A key replaced at once by another to the same door need not be listed.
                replaced={k.pk for k in keys if (k.holder_id, k.lock_id) in continuing},
            )
        result.started = _start(to_start, now)
    return result


def _end_reasons(keys: list[DigitalKey], now: dt.datetime) -> dict[str, list[DigitalKey]]:
    if not keys:
        return {}
    in_service = set(_locks_in_service(now, {k.lock_id for k in keys}))
    holder_ids = {k.holder_id for k in keys}
    active = set(
        User.objects.filter(pk__in=holder_ids, is_active=True).values_list("pk", flat=True)
    )
    teams_of: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in RoleAssignment.teams.through.objects.filter(
        roleassignment__user_id__in=holder_ids, roleassignment__role__in=sorted(KEY_ROLES)
    ).values_list("roleassignment__user_id", "team_id"):
        teams_of[user_id].add(team_id)
    grouped: dict[str, list[DigitalKey]] = defaultdict(list)
    for key in keys:
        if key.lock_id not in in_service:
            reason = KeyEnd.LOCK_REMOVED
        elif key.holder_id not in active:
            reason = KeyEnd.STAFF_INACTIVE
        elif key.reason == KeyReason.ALARM:
            reason = KeyEnd.ALARM_CLOSED
        elif key.team_id not in teams_of[key.holder_id]:
            reason = KeyEnd.LEFT_TEAM
        else:
            reason = KeyEnd.CLIENT_CHANGED
        grouped[reason].append(key)
    return grouped


def _start(entitled: list[Entitlement], now: dt.datetime) -> int:
    if not entitled:
        return 0
    lock_ids = sorted({e.lock_id for e in entitled})
    # The locks' rows, held to the end of the transaction: a manager revoking a key to one
    # of them waits, so the standing revocation read next is the last word.
    list(DoorLock.objects.select_for_update().filter(pk__in=lock_ids).order_by("pk").values("pk"))
    blocked = set(
        DigitalKey.objects.standing_revocations()
        .filter(lock_id__in=lock_ids, holder_id__in={e.holder_id for e in entitled})
        .values_list("holder_id", "lock_id")
    )
    rows = [
        DigitalKey(
            holder_id=e.holder_id,
            lock_id=e.lock_id,
            reason=e.reason,
            team_id=e.team_id,
            alarm_id=e.alarm_id,
            client_id=e.client_id,
            provider_id=e.provider_id,
            starts_at=now,
        )
        for e in entitled
        if (e.holder_id, e.lock_id) not in blocked
    ]
    # A key started by a run at the same moment wins; this one's is left out.
    DigitalKey.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def end_keys(
    keys: Iterable[DigitalKey],
    reason: str,
    *,
    now: dt.datetime | None = None,
    by: User | None = None,
    note: str = "",
    replaced: Iterable[int] = (),
) -> int:
    """End open keys, and put on their locks' revocation lists those whose tokens may
    still open a door. Returns how many it ended (a key someone else ended first is left
    as it is). Runs in the caller's transaction, or its own."""
    now = now or timezone.now()
    ids = sorted({k.pk for k in keys})
    if not ids:
        return 0
    replaced_ids = set(replaced)
    with transaction.atomic():
        # Ended first: the update waits for a token issue in progress under the same keys
        # (it holds their rows), so the issues read next include its tokens.
        ended_ids = list(
            DigitalKey.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, ended_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ended_ids:
            return 0
        DigitalKey.objects.filter(pk__in=ended_ids).update(
            ended_at=now, end_reason=reason, ended_by=by, end_note=note.strip()
        )
        listed = _list_revoked(ended_ids, reason, now, replaced_ids)
        if listed:
            DoorLock.objects.filter(pk__in=listed).update(
                revocation_serial=F("revocation_serial") + 1
            )
    return len(ended_ids)


def _list_revoked(
    key_ids: list[int], reason: str, now: dt.datetime, replaced: set[int]
) -> set[int]:
    """Put keys on their locks' revocation lists for as long as their tokens may live;
    returns the locks whose lists changed."""
    if reason in _HARD_ENDS:
        until = {pk: now + LONGEST_TOKEN + LEEWAY for pk in key_ids}
    else:
        outstanding = (
            TokenIssue.objects.filter(key_id__in=key_ids, not_after__gt=now - LEEWAY)
            .exclude(key_id__in=replaced)
            .values("key_id")
            .annotate(last=Max("not_after"))
        )
        until = {row["key_id"]: row["last"] + LEEWAY for row in outstanding}
    locks: set[int] = set()
    for pk, moment in until.items():
        DigitalKey.objects.filter(pk=pk).update(listed_until=moment)
    if until:
        locks = set(DigitalKey.objects.filter(pk__in=list(until)).values_list("lock_id", flat=True))
    return locks


def revocation_list(lock: DoorLock, now: dt.datetime | None = None) -> list[int]:
    """The key ids `lock` must refuse now."""
    now = now or timezone.now()
    return sorted(
        DigitalKey.objects.filter(lock=lock, listed_until__gt=now).values_list("pk", flat=True)
    )
