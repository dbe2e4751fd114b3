"""The records of issued unlock tokens are forgotten a while after the tokens expired, a
chunk at a time: never one whose tokens a lock still accepts, never one an unexplained
unlock still needs, and the log says how many without a nonce in it."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from trygg import worker
from trygg.lib import unlock
from trygg.locks import retention
from trygg.locks.constants import LockEventKind, LockEventSource
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey, LockEvent, TokenIssue
from trygg.locks.models_events import UnlockReview
from trygg.locks.tokens import issue_tokens
from trygg.visits.models import Band, Outcome, Presence, Visit

from .conftest import DAY, Home

pytestmark = pytest.mark.django_db

NOW = DAY + dt.timedelta(days=200)
KEEP = dt.timedelta(days=90)
LEEWAY = dt.timedelta(seconds=unlock.CLOCK_LEEWAY)
_event_ids = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def keep_days(settings: Any) -> None:
    settings.LOCK_TOKEN_ISSUES_KEEP_DAYS = 90


def _key(home: Home) -> DigitalKey:
    reconcile_keys(now=DAY)
    return DigitalKey.objects.get(holder=home.worker, lock=home.lock)


def issued(key: DigitalKey, not_after: dt.datetime, hours: int = 6) -> TokenIssue:
    """An issuing of three tokens under `key` that expired (or expires) at `not_after`."""
    start = not_after - dt.timedelta(hours=hours)
    return TokenIssue.objects.create(
        holder_id=key.holder_id,
        lock_id=key.lock_id,
        key=key,
        key_version=1,
        nonces=secrets.token_bytes(36),
        not_before=start,
        not_after=not_after,
        issued_at=start,
    )


def unlocked(key: DigitalKey, at: dt.datetime) -> LockEvent:
    return LockEvent.objects.create(
        lock_id=key.lock_id,
        event_id=f"ev-{next(_event_ids)}",
        kind=LockEventKind.UNLOCKED,
        at=at,
        received_at=at,
        source=LockEventSource.PHONE,
        key_number=key.pk,
        key=key,
        holder_id=key.holder_id,
        key_version=1,
    )


def remaining() -> set[int]:
    return set(TokenIssue.objects.values_list("pk", flat=True))


def test_issues_expired_longer_than_the_retention_go_and_the_rest_stay(home: Home) -> None:
    key = _key(home)
    older = issued(key, NOW - KEEP - dt.timedelta(seconds=1))
    on_the_boundary = issued(key, NOW - KEEP)
    younger = issued(key, NOW - KEEP + dt.timedelta(seconds=1))
    yesterday = issued(key, NOW - dt.timedelta(days=1))
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == {on_the_boundary.pk, younger.pk, yesterday.pk}
    assert not TokenIssue.objects.filter(pk=older.pk).exists()
    # Run again: nothing more to do.
    assert retention.prune_token_issues(NOW) == 0


def test_the_retention_is_a_setting(home: Home, settings: Any) -> None:
    key = _key(home)
    last_month = issued(key, NOW - dt.timedelta(days=31))
    last_week = issued(key, NOW - dt.timedelta(days=7))
    settings.LOCK_TOKEN_ISSUES_KEEP_DAYS = 30
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == {last_week.pk}
    assert last_month.pk not in remaining()


def test_tokens_a_lock_still_accepts_are_never_forgotten(home: Home, settings: Any) -> None:
    """Whatever the setting: until `not_after` and the lock's clock leeway have passed, the
    issuing is what ending the key puts on the revocation list."""
    settings.LOCK_TOKEN_ISSUES_KEEP_DAYS = 0
    key = _key(home)
    valid = issued(key, NOW + dt.timedelta(hours=3))
    in_the_leeway = issued(key, NOW - LEEWAY + dt.timedelta(seconds=1))
    past_it = issued(key, NOW - LEEWAY - dt.timedelta(seconds=1))
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == {valid.pk, in_the_leeway.pk}
    assert past_it.pk not in remaining()


def test_a_shifts_real_tokens_survive_the_job_run_during_the_shift(home: Home) -> None:
    issue_tokens(home.worker, now=DAY)
    (issue,) = TokenIssue.objects.all()
    assert retention.prune_token_issues(DAY + dt.timedelta(hours=1)) == 0
    assert remaining() == {issue.pk}


def test_a_negative_retention_is_refused_and_removes_nothing(home: Home, settings: Any) -> None:
    key = _key(home)
    issued(key, NOW - dt.timedelta(days=365))
    settings.LOCK_TOKEN_ISSUES_KEEP_DAYS = -1
    with pytest.raises(ImproperlyConfigured, match="LOCK_TOKEN_ISSUES_KEEP_DAYS"):
        retention.prune_token_issues(NOW)
    assert TokenIssue.objects.count() == 1


def test_an_unexplained_unlock_keeps_its_issuing_until_it_is_reviewed(home: Home) -> None:
    key = _key(home)
    old = NOW - KEEP - dt.timedelta(days=10)
    needed = issued(key, old)
    unlock_event = unlocked(key, old - dt.timedelta(hours=2))
    # The same key's earlier issuing, whose window the unlock is outside of, goes.
    before = issued(key, old - dt.timedelta(days=1))
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == {needed.pk}
    assert before.pk not in remaining()
    UnlockReview.objects.create(
        event=unlock_event, reviewed_by=home.team_leader, note="Besöket registrerades inte"
    )
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == set()


def test_an_unlock_the_lock_accepted_in_the_leeway_still_counts(home: Home) -> None:
    key = _key(home)
    old = NOW - KEEP - dt.timedelta(days=10)
    needed = issued(key, old)
    unlocked(key, old + LEEWAY - dt.timedelta(seconds=1))
    assert retention.prune_token_issues(NOW) == 0
    assert remaining() == {needed.pk}


def test_an_unlock_with_a_visit_around_it_needs_nothing_kept(home: Home) -> None:
    key = _key(home)
    old = NOW - KEEP - dt.timedelta(days=10)
    issued(key, old)
    at = old - dt.timedelta(hours=2)
    unlocked(key, at)
    Visit.objects.create(
        municipality=home.client.municipality,
        provider=home.client.provider,
        team=home.team,
        client=home.client,
        staff=home.worker,
        started_at=at,
        ended_at=at + dt.timedelta(minutes=30),
        minutes=30,
        local_date=at.date(),
        band=Band.DAY,
        outcome=Outcome.PERFORMED,
        arrival=Presence.TAG,
        departure=Presence.TAG,
    )
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == set()


def test_an_unexplained_unlock_under_another_key_keeps_nothing(home: Home) -> None:
    key = _key(home)
    colleague_key = DigitalKey.objects.get(holder=home.colleague, lock=home.lock)
    old = NOW - KEEP - dt.timedelta(days=10)
    issued(key, old)
    kept = issued(colleague_key, old)
    unlocked(colleague_key, old - dt.timedelta(hours=1))
    assert retention.prune_token_issues(NOW) == 1
    assert remaining() == {kept.pk}


def test_a_large_table_goes_a_chunk_at_a_time_past_the_rows_kept(home: Home) -> None:
    key = _key(home)
    start = NOW - KEEP - dt.timedelta(days=40)
    rows = [issued(key, start + dt.timedelta(days=day)) for day in range(7)]
    # The second oldest is needed by an unexplained unlock: the walk goes past it.
    unlocked(key, rows[1].not_after - dt.timedelta(hours=1))
    assert retention.prune_token_issues(NOW, chunk=2) == 6
    assert remaining() == {rows[1].pk}


def test_the_log_counts_and_never_shows_a_nonce(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    key = _key(home)
    gone = [issued(key, NOW - KEEP - dt.timedelta(days=day)) for day in (1, 2, 3)]
    nonces = [bytes(issue.nonces) for issue in gone]
    with caplog.at_level(logging.INFO, logger="trygg.locks.retention"):
        assert retention.prune_token_issues(NOW) == 3
    (record,) = [r for r in caplog.records if r.name == "trygg.locks.retention"]
    message = record.getMessage()
    assert "removed: 3" in message
    for nonce in nonces:
        assert nonce.hex() not in message
        assert repr(nonce) not in message
    # Nothing to do, nothing said.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="trygg.locks.retention"):
        assert retention.prune_token_issues(NOW) == 0
    assert not [r for r in caplog.records if r.name == "trygg.locks.retention"]


def test_the_worker_runs_the_job(home: Home) -> None:
    jobs = {job.name: job for job in worker.jobs()}
    job = jobs["locks.token_issues_prune"]
    assert job.run is retention.prune_token_issues
    assert job.every == retention.PRUNE_EVERY
    key = _key(home)
    issued(key, dt.datetime.now(dt.UTC) - KEEP - dt.timedelta(days=1))
    fresh = issued(key, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert job.run() == 1  # as the worker calls it: no arguments, the clock's now
    assert remaining() == {fresh.pk}
