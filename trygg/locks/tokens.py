"""Issuing unlock tokens: what a staff phone fetches before a shift, so that doors open
with no network at all.

For each door the holder has an open key to, a few tokens (constants.TOKENS_PER_DOOR; each
opens the door once), valid from now until the holder's work ends: the end of their shift
for a key held through a team (locks/hours.py), the end of the alarm for one held through
an alarm, never longer than a lock accepts (unlock.MAX_WINDOW). Signed with the key store's
active version. Every issuing is recorded (`TokenIssue`: holder, lock, key, version,
nonces, window), never the tokens themselves.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.alarms.models import Alarm
from trygg.core.models import Client, RoleAssignment, User
from trygg.devices.models import DoorLock
from trygg.lib import unlock

from . import keystore
from .constants import ALARM_KEY_MARGIN, ALARM_TOKEN_WINDOW, KEY_ROLES, TOKENS_PER_DOOR, KeyReason
from .hours import WorkingHours
from .keys import Entitlement, reconcile_keys
from .models import DigitalKey, TokenIssue

NONCE_BYTES = 12
MAX_TOKENS_PER_DOOR = 8


class NoTokens(Exception):
    """Nothing to issue, and why, in words for the person asking."""


class NoKeys(NoTokens):
    """The person holds no digital key."""


class NotAtWork(NoTokens):
    """The person holds keys, but none works now (outside their working hours)."""


@dataclass
class DoorTokens:
    """One door's tokens for the phone."""

    lock: DoorLock
    key: DigitalKey
    not_before: dt.datetime
    not_after: dt.datetime
    tokens: list[str]
    clients: list[Client] = field(default_factory=list)


@dataclass
class Issued:
    key_version: int
    issued_at: dt.datetime
    doors: list[DoorTokens]


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _window_end(
    reasons: list[Entitlement],
    alarms: dict[int, Alarm],
    now: dt.datetime,
    shift_end: dt.datetime | None,
) -> dt.datetime | None:
    """Until when tokens for a door may be valid from `now`, by the longest of the
    holder's reasons for it; None: no tokens now."""
    ends = []
    for reason in reasons:
        if reason.reason == KeyReason.TEAM and shift_end is not None:
            ends.append(shift_end)
        elif reason.reason == KeyReason.ALARM and reason.alarm_id in alarms:
            # Answering an alarm is work whatever the roster says: until the alarm is
            # closed (and the margin has passed), fetched anew while it is open.
            closed = alarms[reason.alarm_id].closed_at
            ends.append(closed + ALARM_KEY_MARGIN if closed else now + ALARM_TOKEN_WINDOW)
    if not ends or max(ends) <= now:
        return None
    return min(max(ends), now + dt.timedelta(seconds=unlock.MAX_WINDOW))


def holder_hours(holder: User) -> WorkingHours:
    """The working hours of the teams the holder is in through a role that holds keys."""
    team_ids = RoleAssignment.teams.through.objects.filter(
        roleassignment__user=holder, roleassignment__role__in=sorted(KEY_ROLES)
    ).values_list("team_id", flat=True)
    return WorkingHours(team_ids)


def issue_tokens(
    holder: User, *, now: dt.datetime | None = None, per_door: int = TOKENS_PER_DOOR
) -> Issued:
    """The holder's tokens for every door they may open, from now to the end of their
    work. Raises NoKeys or NotAtWork, whose message says why there are none."""
    if not 1 <= per_door <= MAX_TOKENS_PER_DOOR:
        raise ValueError(f"1 to {MAX_TOKENS_PER_DOOR} tokens per door.")
    now = (now or timezone.now()).replace(microsecond=0)
    # Keys follow teams and alarms as they are this moment: an alarm accepted a minute ago
    # gives its key now, a team left a minute ago takes it.
    reasons = reconcile_keys(now=now, holder_ids=[holder.pk]).entitled
    alarm_ids = {e.alarm_id for found in reasons.values() for e in found if e.alarm_id}
    alarms = {a.pk: a for a in Alarm.objects.filter(pk__in=alarm_ids).only("pk", "closed_at")}
    shift_end = holder_hours(holder).until(now)
    signer = keystore.signing_key(now)
    doors: list[DoorTokens] = []
    with transaction.atomic():
        # The keys' rows, held until the issue is recorded: a key being ended meanwhile
        # waits, and then finds these tokens to put on the revocation list.
        keys = list(
            DigitalKey.objects.select_for_update(of=("self",))
            .open()
            .filter(holder=holder)
            .select_related("lock__client", "alarm")
            .prefetch_related("lock__entrance_clients")
            .order_by("lock_id")
        )
        if not keys:
            raise NoKeys(_("You hold no digital keys."))
        issues = []
        for key in keys:
            until = _window_end(reasons.get((holder.pk, key.lock_id), []), alarms, now, shift_end)
            if until is None or until <= now:
                continue
            nonces = [secrets.token_bytes(NONCE_BYTES) for _ in range(per_door)]
            tokens = [
                signer.issue(
                    lock_id=key.lock.lock_id,
                    holder=holder.pk,
                    key_id=key.pk,
                    not_before=_seconds(now),
                    not_after=_seconds(until),
                    nonce=nonce,
                )
                for nonce in nonces
            ]
            doors.append(DoorTokens(key.lock, key, now, until, tokens))
            issues.append(
                TokenIssue(
                    holder=holder,
                    lock=key.lock,
                    key=key,
                    key_version=signer.version,
                    nonces=b"".join(nonces),
                    not_before=now,
                    not_after=until,
                    issued_at=now,
                )
            )
        if not doors:
            raise NotAtWork(
                _(
                    "Your digital keys work during your working hours only, and none of "
                    "your teams' shifts is on now."
                )
            )
        TokenIssue.objects.bulk_create(issues)
    return Issued(key_version=signer.version, issued_at=now, doors=doors)
