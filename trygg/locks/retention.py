"""How long the records of issued unlock tokens (`TokenIssue`) are kept, and the worker job
that forgets the old ones (`locks.token_issues_prune`).

A municipality issues some 150,000 tokens a shift, one row per door per staff member, so the
table is pruned or it grows without end. A row is needed:

- while its tokens can still be presented: until `not_after` plus the lock's clock leeway.
  Ending a key reads the unexpired issues to know how long to keep the key on the lock's
  revocation list (`keys._list_revoked`);
- while it can tie an unlock to the tokens that opened the door: which issuing, when, for
  which window. That matters when an unlock is looked into. The phone carries events
  late, the lock sends them at its next contact, and providers ask for their logs a month at
  a time. So rows are kept `LOCK_TOKEN_ISSUES_KEEP_DAYS` (default 90) after the tokens
  expired;
- for as long as an unlock made under it waits for an explanation: no visit or alarm
  around it, and no manager's review yet (`events.with_context`). Such a row outlives the
  retention until the unlock is reviewed or a visit is registered for it.

The lock events themselves keep the key and the holder (`LockEvent.key`, `.holder`), so
forgetting an issuing loses no record of who opened a door.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trygg.lib import unlock

from . import events
from .constants import LockEventKind
from .models import LockEvent, TokenIssue

logger = logging.getLogger(__name__)

# How often the job runs: the table grows by a shift's issues at a time.
PRUNE_EVERY = 3600
# Rows per delete: one short transaction each, so a large table is never held for long.
PRUNE_CHUNK = 1000
LEEWAY = dt.timedelta(seconds=unlock.CLOCK_LEEWAY)

# (pk, key, not_before, not_after) of one candidate row
Candidate = tuple[int, int, dt.datetime, dt.datetime]


def kept_for() -> dt.timedelta:
    """How long after its tokens expired an issuing is kept (LOCK_TOKEN_ISSUES_KEEP_DAYS)."""
    days = settings.LOCK_TOKEN_ISSUES_KEEP_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ImproperlyConfigured(
            "LOCK_TOKEN_ISSUES_KEEP_DAYS is a whole number of days, 0 or more."
        )
    return dt.timedelta(days=days)


def prune_cutoff(now: dt.datetime) -> dt.datetime:
    """Issues whose tokens expired before this moment may go. Never later than now minus
    the clock leeway: a token a lock still accepts is never forgotten, whatever the setting."""
    return now - max(kept_for(), LEEWAY)


def _awaiting_explanation(batch: list[Candidate]) -> set[int]:
    """The candidates under which an unlock still waits for an explanation: no visit or
    alarm around it, not reviewed. An unlock belongs to an issuing when it was made with
    the issuing's key inside its window (as the lock reads it, within the leeway)."""
    key_ids = {key_id for _pk, key_id, _start, _end in batch}
    earliest = min(start for _pk, _key, start, _end in batch) - LEEWAY
    latest = max(end for _pk, _key, _start, end in batch) + LEEWAY
    unlocks = events.with_context(
        LockEvent.objects.filter(
            kind=LockEventKind.UNLOCKED,
            key_id__in=sorted(key_ids),
            at__gte=earliest,
            at__lte=latest,
        )
    ).filter(Q(visit_pk__isnull=True), Q(alarm_pk__isnull=True), Q(reviewed=False))
    open_unlocks: dict[int, list[dt.datetime]] = {}
    for key_id, at in unlocks.values_list("key_id", "at"):
        open_unlocks.setdefault(key_id, []).append(at)
    return {
        pk
        for pk, key_id, start, end in batch
        if any(start - LEEWAY <= at <= end + LEEWAY for at in open_unlocks.get(key_id, []))
    }


def prune_token_issues(now: dt.datetime | None = None, *, chunk: int = PRUNE_CHUNK) -> int:
    """The worker job `locks.token_issues_prune`: forget the issues whose tokens expired
    more than the retention ago, a chunk per short transaction, the oldest first, except
    those an unexplained unlock still needs. Returns how many were removed."""
    now = now or timezone.now()
    cutoff = prune_cutoff(now)
    removed = kept = 0
    after: tuple[dt.datetime, int] | None = None
    while True:
        old = TokenIssue.objects.filter(not_after__lt=cutoff)
        if after is not None:
            # Past the rows already looked at, those kept among them included.
            old = old.filter(Q(not_after__gt=after[0]) | Q(not_after=after[0], pk__gt=after[1]))
        batch: list[Candidate] = list(
            old.order_by("not_after", "pk").values_list("pk", "key_id", "not_before", "not_after")[
                :chunk
            ]
        )
        if not batch:
            break
        with transaction.atomic():
            needed = _awaiting_explanation(batch)
            doomed = [row[0] for row in batch if row[0] not in needed]
            if doomed:
                removed += TokenIssue.objects.filter(pk__in=doomed).delete()[0]
        kept += len(needed)
        if len(batch) < chunk:
            break
        after = (batch[-1][3], batch[-1][0])
    if removed or kept:
        # Counts only: the rows' nonces are never written to the log.
        logger.info(
            "Token issue records removed: %d (tokens expired before %s); "
            "kept for unexplained unlocks: %d",
            removed,
            cutoff.isoformat(timespec="seconds"),
            kept,
        )
    return removed
