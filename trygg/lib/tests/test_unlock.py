"""Unlock tokens as a lock checks them offline: only a token the server signed, for this
lock, inside its window, not revoked and not seen before opens the door."""

from __future__ import annotations

import uuid

import pytest

from trygg.lib import unlock
from trygg.lib.unlock import LockState, Refusal, SigningKey, verify

NOW = 1_796_000_000
DOOR = uuid.UUID("6f1c2a0e-4d5b-4c3a-9e8f-0a1b2c3d4e5f")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(1)


def lock_for(*keys: SigningKey) -> LockState:
    return LockState(lock_id=DOOR, public_keys={k.version: k.public_bytes() for k in keys})


def token(key: SigningKey, **fields: object) -> str:
    grant: dict[str, object] = {
        "lock_id": DOOR,
        "holder": 42,
        "key_id": 7,
        "not_before": NOW - 600,
        "not_after": NOW + 3600,
    }
    grant.update(fields)
    return key.issue(**grant)  # type: ignore[arg-type]


def test_a_token_the_server_signed_opens_its_door_once(key: SigningKey) -> None:
    lock = lock_for(key)
    text = token(key)
    assert len(text) == 159
    verdict = verify(text, lock, NOW)
    assert verdict.opened
    assert verdict.grant is not None
    assert (verdict.grant.holder, verdict.grant.key_id) == (42, 7)
    assert verify(text, lock, NOW + 5) == unlock.Verdict(False, Refusal.REPLAYED, verdict.grant)


def test_a_forged_token_is_refused(key: SigningKey) -> None:
    forger = SigningKey.generate(1)  # same version number, not the server's key
    assert verify(token(forger), lock_for(key), NOW).refusal == Refusal.BAD_SIGNATURE


@pytest.mark.parametrize("position", [0 + 3, 20, 30, 40, 54, 60, 118])
def test_any_altered_byte_is_refused(key: SigningKey, position: int) -> None:
    raw = bytearray(unlock.decode(token(key)))
    raw[position] ^= 0x01
    verdict = verify(unlock.encode(bytes(raw)), lock_for(key), NOW)
    assert not verdict.opened
    assert verdict.refusal in {Refusal.BAD_SIGNATURE, Refusal.UNKNOWN_KEY_VERSION}


def test_a_token_for_another_door_is_refused(key: SigningKey) -> None:
    other = token(key, lock_id=uuid.uuid4())
    assert verify(other, lock_for(key), NOW).refusal == Refusal.WRONG_LOCK


def test_an_expired_or_not_yet_valid_token_is_refused_beyond_the_clock_leeway(
    key: SigningKey,
) -> None:
    lock = lock_for(key)
    expired = token(key, not_before=NOW - 7200, not_after=NOW - 3600)
    assert verify(expired, lock, NOW).refusal == Refusal.EXPIRED
    early = token(key, not_before=NOW + 3600, not_after=NOW + 7200)
    assert verify(early, lock, NOW).refusal == Refusal.NOT_YET_VALID
    # A lock whose clock is a minute slow still opens at the start of the window.
    assert verify(token(key, not_before=NOW + 60), lock, NOW).opened


def test_a_window_longer_than_the_lock_allows_is_refused(key: SigningKey) -> None:
    week = token(key, not_before=NOW - 60, not_after=NOW + 7 * 86400)
    assert verify(week, lock_for(key), NOW).refusal == Refusal.WINDOW_TOO_LONG


def test_a_revoked_key_is_refused_from_the_locks_next_contact(key: SigningKey) -> None:
    lock = lock_for(key)
    text = token(key, key_id=99)
    assert lock.receive_revocations(5, [99])
    assert verify(text, lock, NOW).refusal == Refusal.REVOKED
    # A list older than the one the lock holds, arriving late, does not lift the revocation.
    assert not lock.receive_revocations(4, [])
    assert verify(text, lock, NOW).refusal == Refusal.REVOKED


def test_a_key_version_the_lock_does_not_hold_is_refused(key: SigningKey) -> None:
    newer = SigningKey.generate(2)
    assert verify(token(newer), lock_for(key), NOW).refusal == Refusal.UNKNOWN_KEY_VERSION


def test_after_a_rotation_tokens_of_both_versions_open_until_the_old_one_is_dropped(
    key: SigningKey,
) -> None:
    newer = SigningKey.generate(2)
    lock = lock_for(key)
    lock.receive_keys({1: key.public_bytes(), 2: newer.public_bytes()})
    assert verify(token(key), lock, NOW).opened
    assert verify(token(newer), lock, NOW).opened
    lock.receive_keys({2: newer.public_bytes()})
    assert verify(token(key), lock, NOW).refusal == Refusal.UNKNOWN_KEY_VERSION


@pytest.mark.parametrize(
    "text", ["", "not a token", "A" * 160, "é" * 10, unlock.encode(b"\x02" * 119)]
)
def test_what_is_not_a_token_is_refused_as_malformed(key: SigningKey, text: str) -> None:
    assert verify(text, lock_for(key), NOW).refusal == Refusal.MALFORMED


def test_a_lock_forgets_nonces_only_after_their_tokens_expired(key: SigningKey) -> None:
    lock = lock_for(key)
    text = token(key, not_after=NOW + 600)
    assert verify(text, lock, NOW).opened
    lock.forget_expired(NOW + 600)
    assert verify(text, lock, NOW + 600).refusal == Refusal.REPLAYED
    lock.forget_expired(NOW + 600 + unlock.CLOCK_LEEWAY + 1)
    assert not lock.seen


def test_the_private_key_never_shows_in_its_repr_and_round_trips_through_pem() -> None:
    key = SigningKey.generate(3)
    assert repr(key) == "SigningKey(version=3)"
    again = SigningKey.from_pem(3, key.to_pem())
    assert again.public_bytes() == key.public_bytes()


def test_read_shows_what_a_token_claims(key: SigningKey) -> None:
    grant = unlock.read(token(key, holder=5))
    assert (grant.lock_id, grant.holder, grant.key_version) == (DOOR, 5, 1)
    with pytest.raises(ValueError, match="Not an unlock token"):
        unlock.read("nonsense")
