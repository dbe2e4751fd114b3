"""A door opens through the lock simulator, which checks tokens exactly as a lock does
(`unlock.verify`), for a token the server issued to someone holding a key, and for
nothing else: expired, forged, altered, replayed, revoked, wrong-lock and wrong-version
tokens are refused, each with its reason in the lock's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from trygg.lib import unlock
from trygg.lib.unlock import Refusal, SigningKey
from trygg.locks import inventory, keystore, services
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey, LockEvent
from trygg.locks.simulator import SimulatedLock
from trygg.locks.tokens import issue_tokens

from .conftest import DAY, SHIFT_END, Home, contact

pytestmark = pytest.mark.django_db


def tokens_for(home: Home, *, at: dt.datetime = DAY) -> list[str]:
    issued = issue_tokens(home.worker, now=at)
    (door,) = [d for d in issued.doors if d.lock.pk == home.lock.pk]
    return door.tokens


def at_clock(simulated: SimulatedLock, moment: dt.datetime) -> None:
    """Set the lock's own clock (the server's contact set its offset to zero)."""
    seconds = int(moment.timestamp())
    simulated._clock = lambda: seconds


def upload(home: Home, simulated: SimulatedLock) -> list[LockEvent]:
    recorded = services.record_lock_events(
        home.lock, services.reported_from_wire(simulated.pending())
    )
    simulated.acknowledge(recorded.event_ids)
    return list(LockEvent.objects.filter(lock=home.lock).order_by("at", "pk"))


def test_a_token_issued_to_a_key_holder_opens_the_door_and_the_lock_says_so(home: Home) -> None:
    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]
    simulated = home.simulated()
    verdict = simulated.present(token)
    assert verdict.opened
    (event,) = upload(home, simulated)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert (event.kind, event.key, event.holder, event.refusal) == (
        "unlocked",
        key,
        home.worker,
        "",
    )


def test_each_token_opens_once_and_the_shift_has_several(home: Home) -> None:
    reconcile_keys(now=DAY)
    first, second, *_rest = tokens_for(home)
    simulated = home.simulated()
    assert simulated.present(first).opened
    assert simulated.present(first).refusal == Refusal.REPLAYED
    assert simulated.present(second).opened


def test_an_expired_token_is_refused(home: Home) -> None:
    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]
    simulated = home.simulated()
    at_clock(simulated, SHIFT_END + dt.timedelta(seconds=unlock.CLOCK_LEEWAY + 1))
    assert simulated.present(token).refusal == Refusal.EXPIRED
    events = upload(home, simulated)
    assert [(e.kind, e.refusal) for e in events] == [("failed", "expired")]


def test_a_token_signed_by_anyone_but_the_server_is_refused(home: Home) -> None:
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    active = keystore.active_version(DAY).version
    forger = SigningKey.generate(active)  # the right version number, the wrong key
    forged = forger.issue(
        lock_id=home.lock.lock_id,
        holder=home.worker.pk,
        key_id=key.pk,
        not_before=int(DAY.timestamp()),
        not_after=int(SHIFT_END.timestamp()),
    )
    simulated = home.simulated()
    assert simulated.present(forged).refusal == Refusal.BAD_SIGNATURE
    (event,) = upload(home, simulated)
    # A forged token names whatever it likes: nothing of it is taken as a key or holder.
    assert (event.kind, event.refusal, event.key, event.holder) == (
        "failed",
        "bad_signature",
        None,
        None,
    )


@pytest.mark.parametrize(
    "field", ["lock", "holder", "key", "not_after", "nonce", "signature", "version"]
)
def test_an_altered_token_is_refused(home: Home, field: str) -> None:
    reconcile_keys(now=DAY)
    raw = bytearray(unlock.decode(tokens_for(home)[0]))
    position = {
        "version": 2,
        "lock": 10,
        "holder": 22,
        "key": 30,
        "not_after": 41,
        "nonce": 50,
        "signature": 100,
    }[field]
    raw[position] ^= 0x40
    verdict = home.simulated().present(unlock.encode(bytes(raw)))
    assert not verdict.opened
    assert verdict.refusal in {Refusal.BAD_SIGNATURE, Refusal.UNKNOWN_KEY_VERSION}


@pytest.mark.parametrize("text", ["", "not a token", "A" * 159, "é" * 10])
def test_a_malformed_token_is_refused(home: Home, text: str) -> None:
    assert home.simulated().present(text).refusal == Refusal.MALFORMED


def test_a_token_for_another_door_is_refused(home: Home) -> None:
    neighbour_lock = home.new_lock(client=home.place.neighbour)
    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]  # for the client's door
    assert home.simulated(neighbour_lock).present(token).refusal == Refusal.WRONG_LOCK


def test_a_revoked_key_is_refused_from_the_locks_next_contact(home: Home) -> None:
    reconcile_keys(now=DAY)
    first, second, third = tokens_for(home)
    simulated = home.simulated()
    assert simulated.present(first).opened
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    services.revoke_key(home.place.manager, key, note="Telefonen borttappad", now=DAY)
    # The lock has not heard yet: the phone's other tokens still open it (offline).
    assert simulated.present(second).opened
    contact(simulated, home.lock, DAY + dt.timedelta(minutes=5))
    assert key.pk in simulated.state.revoked
    assert simulated.present(third).refusal == Refusal.REVOKED
    # And the holder gets no new key to that door, nor tokens for it.
    reconcile_keys(now=DAY + dt.timedelta(minutes=6))
    assert not DigitalKey.objects.open().filter(holder=home.worker, lock=home.lock).exists()


def test_a_key_version_the_lock_does_not_know_is_refused(home: Home) -> None:
    reconcile_keys(now=DAY)
    simulated = home.simulated()  # knows version 1 only
    keystore.rotate(now=DAY + dt.timedelta(minutes=1))
    token = tokens_for(home, at=DAY + dt.timedelta(minutes=2))[0]  # signed with version 2
    assert unlock.read(token).key_version == 2
    assert simulated.present(token).refusal == Refusal.UNKNOWN_KEY_VERSION
    contact(simulated, home.lock, DAY + dt.timedelta(minutes=3))
    assert simulated.present(token).opened


def test_after_a_rotation_the_old_versions_tokens_open_until_they_expire(home: Home) -> None:
    reconcile_keys(now=DAY)
    old_tokens = tokens_for(home)
    keystore.rotate(now=DAY + dt.timedelta(minutes=1))
    simulated = home.simulated(at=DAY + dt.timedelta(minutes=2))
    assert set(simulated.state.public_keys) == {1, 2}
    assert simulated.present(old_tokens[0]).opened
    # Once every token version 1 signed has expired, locks are no longer given it.
    later = DAY + dt.timedelta(minutes=1, seconds=unlock.MAX_WINDOW + unlock.CLOCK_LEEWAY + 1)
    contact(simulated, home.lock, later)
    assert set(simulated.state.public_keys) == {2}
    assert simulated.present(old_tokens[1]).refusal == Refusal.UNKNOWN_KEY_VERSION


def test_a_withdrawn_version_is_dropped_at_the_next_contact(home: Home) -> None:
    reconcile_keys(now=DAY)
    old_tokens = tokens_for(home)
    keystore.rotate(now=DAY + dt.timedelta(minutes=1), withdraw=True)
    simulated = home.simulated(at=DAY + dt.timedelta(minutes=2))
    assert set(simulated.state.public_keys) == {2}
    assert simulated.present(old_tokens[0]).refusal == Refusal.UNKNOWN_KEY_VERSION


def test_a_lock_taken_down_opens_for_nobody(home: Home) -> None:
    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]
    simulated = home.simulated()
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    contact(simulated, home.lock, DAY + dt.timedelta(minutes=1))
    assert simulated.state.public_keys == {}
    assert simulated.present(token).refusal == Refusal.UNKNOWN_KEY_VERSION


def test_a_key_that_ends_puts_its_live_tokens_on_the_list(home: Home) -> None:
    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]
    home.worker.role_assignments.get().teams.clear()  # moved out of the team
    reconcile_keys(now=DAY + dt.timedelta(minutes=1))
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert key.end_reason == "left_team"
    assert key.listed_until == SHIFT_END + dt.timedelta(seconds=unlock.CLOCK_LEEWAY)
    simulated = home.simulated(at=DAY + dt.timedelta(minutes=2))
    assert simulated.present(token).refusal == Refusal.REVOKED
    # Once those tokens are dead the list forgets the key.
    contact(simulated, home.lock, SHIFT_END + dt.timedelta(minutes=3))
    assert key.pk not in simulated.state.revoked


def test_a_lost_phones_keys_are_refused_and_its_holder_gets_new_ones(home: Home) -> None:
    from trygg.devices.constants import PhoneStatus
    from trygg.devices.services import change_phone, register_phone

    reconcile_keys(now=DAY)
    token = tokens_for(home)[0]
    phone = register_phone(
        home.place.tech,
        home.place.provider,
        imei="352099001761481",
        model_name="XCover",
        assigned_to=home.worker,
        status=PhoneStatus.IN_USE,
    )
    change_phone(home.place.manager, phone, "report_lost")
    change_phone(home.place.manager, phone, "request_wipe")
    old = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert old.end_reason == "phone_lost"
    simulated = home.simulated(at=DAY + dt.timedelta(minutes=1))
    assert simulated.present(token).refusal == Refusal.REVOKED
    later = DAY + dt.timedelta(minutes=2)
    fresh = tokens_for(home, at=later)[0]  # a new phone: a new key, a new id
    assert unlock.read(fresh).key_id != old.pk
    at_clock(simulated, later)
    assert simulated.present(fresh).opened


@pytest.mark.parametrize(
    "act",
    [
        lambda s: s.drain_battery(15),
        lambda s: s.tamper(),
        lambda s: s.lock_door(),
    ],
    ids=["low_battery", "tamper", "locked"],
)
def test_the_lock_reports_battery_tamper_and_locking(
    home: Home, act: Callable[[SimulatedLock], None]
) -> None:
    simulated = home.simulated()
    act(simulated)
    (event,) = upload(home, simulated)
    assert event.kind in {"low_battery", "tamper", "locked"}
    if event.kind == "low_battery":
        home.lock.refresh_from_db()
        assert (event.battery_level, home.lock.battery_level) == (15, 15)


def test_events_sent_twice_are_stored_once(home: Home) -> None:
    reconcile_keys(now=DAY)
    simulated = home.simulated()
    simulated.present(tokens_for(home)[0])
    simulated.tamper()
    pending = services.reported_from_wire(simulated.pending())
    first = services.record_lock_events(home.lock, pending)
    again = services.record_lock_events(home.lock, pending + pending)
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (0, 4)
    assert LockEvent.objects.filter(lock=home.lock).count() == 2
