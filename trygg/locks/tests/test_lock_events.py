"""Lock events as people read them: the phone carries a lock's answer to Trygg, stored once
also when the lock sends it itself; each unlock is tied to the visit or alarm around it,
or flagged for review until a visit arrives or a manager says what it was; a provider
never sees another provider's staff at a shared entrance."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry
from trygg.locks import events, services
from trygg.locks.constants import LockEventKind, LockEventSource
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey, LockEvent
from trygg.locks.tokens import issue_tokens
from trygg.visits.models import Band, Outcome, Presence, Visit

from .conftest import DAY, Home, login

pytestmark = pytest.mark.django_db

PHONE_EVENTS = "/api/v1/locks/phone/events"


def opened(home: Home, at: dt.datetime = DAY) -> dict[str, Any]:
    """The worker opens the client's door at `at`: the lock's answer, as the phone has it."""
    tokens = issue_tokens(home.worker, now=at).doors[0].tokens
    lock = home.simulated(at=at)
    return lock.answer(tokens[0]) | {"sim": lock}


def visit(home: Home, start: dt.datetime, minutes: int = 30, **fields: Any) -> Visit:
    values: dict[str, Any] = {
        "municipality": home.client.municipality,
        "provider": home.client.provider,
        "team": home.team,
        "client": home.client,
        "staff": home.worker,
        "started_at": start,
        "ended_at": start + dt.timedelta(minutes=minutes),
        "minutes": minutes,
        "local_date": start.date(),
        "band": Band.DAY,
        "outcome": Outcome.PERFORMED,
        "arrival": Presence.TAG,
        "departure": Presence.TAG,
    }
    values.update(fields)
    return Visit.objects.create(**values)


def phone_post(home: Home, body: Any, user: Any = None) -> Any:
    http = login(user or home.worker)
    return http.post(PHONE_EVENTS, json.dumps(body), content_type="application/json")


def test_the_phone_carries_the_locks_answer_and_it_is_stored_once(home: Home) -> None:
    answer = opened(home)
    assert answer["opened"] is True
    event = answer["event"]
    body = {"events": [{"lock_id": str(home.lock.lock_id), **event}]}
    first = phone_post(home, body)
    assert first.status_code == 200, first.content
    assert first.json() == {"stored": 1, "duplicates": 0, "ids": [event["id"]]}
    again = phone_post(home, body)
    assert again.json() == {"stored": 0, "duplicates": 1, "ids": [event["id"]]}
    # The lock sends its own copy at its next contact: still one event.
    sim = answer["sim"]
    recorded = services.record_lock_events(
        home.lock, services.reported_from_wire(sim.pending()), now=DAY
    )
    assert (recorded.stored, recorded.duplicates) == (0, 1)
    stored = LockEvent.objects.get()
    assert stored.kind == LockEventKind.UNLOCKED
    assert stored.source == LockEventSource.PHONE
    assert stored.holder == home.worker
    assert stored.key == DigitalKey.objects.get(holder=home.worker, lock=home.lock)


def test_a_refusal_is_carried_with_its_reason(home: Home) -> None:
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    tokens = issue_tokens(home.worker, now=DAY).doors[0].tokens
    services.revoke_key(home.team_leader, key, note="Telefonen borttappad", now=DAY)
    lock = home.simulated(at=DAY)
    answer = lock.answer(tokens[0])
    assert answer["opened"] is False
    assert answer["refusal"] == "revoked"
    response = phone_post(
        home, {"events": [{"lock_id": str(home.lock.lock_id), **answer["event"]}]}
    )
    assert response.status_code == 200
    stored = LockEvent.objects.get()
    assert (stored.kind, stored.refusal, stored.key_id) == ("failed", "revoked", key.pk)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lock_id": "00000000-0000-0000-0000-000000000000"}, "not a door you hold a key to"),
        ({"kind": "low_battery", "battery": None}, "the lock reports this itself"),
        ({"holder": 999999}, "another person's"),
        ({"key_id": 999999}, "the key is not yours"),
    ],
)
def test_a_phone_speaks_only_for_its_own_keys(
    home: Home, change: dict[str, Any], reason: str
) -> None:
    answer = opened(home)
    good = {"lock_id": str(home.lock.lock_id), **answer["event"]}
    bad = {**good, "id": "other-1", **{k: v for k, v in change.items() if v is not None}}
    bad.pop("battery", None)
    response = phone_post(home, {"events": [good, bad]})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("Event 2 of 2 (other-1) at ")
    if change.get("lock_id"):
        # Not their door: named by the lock id the phone sent, no address.
        assert "at lock 00000000-0000-0000-0000-000000000000: " in detail
    else:
        assert f"at {home.client.street}: " in detail
    assert reason in detail
    assert not LockEvent.objects.exists()  # the good one is not stored either


def test_another_person_cannot_send_a_colleagues_event(home: Home) -> None:
    answer = opened(home)
    body = {"events": [{"lock_id": str(home.lock.lock_id), **answer["event"]}]}
    response = phone_post(home, body, user=home.other_worker)
    assert response.status_code == 422
    assert not LockEvent.objects.exists()
    assert login(home.worker).post(
        PHONE_EVENTS, "{", content_type="application/json"
    ).status_code in (
        400,
        422,
    )


def _store(home: Home, at: dt.datetime) -> LockEvent:
    answer = opened(home, at)
    services.record_lock_events(
        home.lock, services.reported_from_wire([answer["event"]]), now=at + dt.timedelta(hours=5)
    )
    return LockEvent.objects.get(event_id=answer["event"]["id"])


def _row(home: Home, event: LockEvent, now: dt.datetime) -> events.EventRow:
    queryset = events.with_context(LockEvent.objects.filter(pk=event.pk))
    return events.rows(home.team_leader, queryset, now=now)[0]


def test_an_unlock_is_linked_to_the_visit_registered_at_the_same_time(home: Home) -> None:
    event = _store(home, DAY)
    registered = visit(home, DAY + dt.timedelta(minutes=2))
    row = _row(home, event, DAY + dt.timedelta(hours=5))
    assert row.state == "visit"
    assert row.visit == registered


def test_an_unlock_without_a_visit_or_alarm_is_flagged_after_a_while(home: Home) -> None:
    event = _store(home, DAY)
    # A visit by someone else, and one of the worker's well outside the margin, do not count.
    visit(home, DAY, staff=home.colleague)
    visit(home, DAY + events.UNLOCK_CONTEXT_MARGIN + dt.timedelta(minutes=5))
    assert _row(home, event, DAY + dt.timedelta(minutes=20)).state == "waiting"
    later = DAY + events.UNLOCK_REVIEW_AFTER + dt.timedelta(minutes=1)
    assert _row(home, event, later).state == "flagged"
    visible = events.with_context(events.visible_events(home.team_leader))
    assert list(events.flagged(visible, now=later)) == [event]
    # The visit arrives late (a phone without network): the flag goes by itself.
    visit(home, DAY - dt.timedelta(minutes=25), minutes=20)
    assert _row(home, event, later).state == "visit"
    assert not events.flagged(visible, now=later).exists()


def test_an_unlock_while_answering_an_alarm_is_accounted_for(home: Home) -> None:
    home.alarm(home.worker, created_at=DAY - dt.timedelta(minutes=10))
    event = _store(home, DAY)
    row = _row(home, event, DAY + dt.timedelta(hours=5))
    assert row.state == "alarm"
    assert row.alarm is not None


def test_a_manager_says_what_a_flagged_unlock_was(home: Home) -> None:
    event = _store(home, DAY)
    later = DAY + dt.timedelta(hours=5)
    row = _row(home, event, later)
    assert row.state == "flagged"
    assert row.can_review
    assert not _row_for(home.worker, event, later).can_review
    with pytest.raises(events.ReviewError, match="Say what"):
        events.review(home.team_leader, event, "  ")
    with pytest.raises(PermissionError):
        events.review(home.other_worker, event, "Okänt")
    events.review(home.team_leader, event, "Besöket registrerades på papper")
    assert _row(home, event, later).state == "reviewed"
    with pytest.raises(events.ReviewError, match="already"):
        events.review(home.team_leader, event, "Igen")


def _row_for(user: Any, event: LockEvent, now: dt.datetime) -> events.EventRow:
    queryset = events.with_context(LockEvent.objects.filter(pk=event.pk))
    return events.rows(user, queryset, now=now)[0]


def test_a_provider_sees_only_its_own_staffs_events_at_a_shared_entrance(home: Home) -> None:
    entrance = home.new_lock(
        street="Storgatan 5", entrance_clients=[home.client, home.other_client]
    )
    reconcile_keys(now=DAY)
    ours = issue_tokens(home.worker, now=DAY)
    theirs = issue_tokens(home.other_worker, now=DAY)
    sim = home.simulated(entrance, at=DAY)
    for issued in (ours, theirs):
        door = next(d for d in issued.doors if d.lock == entrance)
        assert sim.present(door.tokens[0]).opened
    services.record_lock_events(entrance, services.reported_from_wire(sim.pending()), now=DAY)
    seen = set(events.visible_events(home.place.manager).values_list("holder", flat=True))
    assert seen == {home.worker.pk}
    assert set(events.visible_events(home.place.tech).values_list("holder", flat=True)) == {
        home.worker.pk,
        home.other_worker.pk,
    }
    assert not events.visible_events(home.worker).exists()


def _upload_of_two_doors(home: Home) -> list[dict[str, Any]]:
    """Events at the client's flat and at a shared entrance (Portgatan 4) the worker holds
    keys to, the third of them refused: the first at its own door."""
    entrance = home.new_lock(
        street="Portgatan 4", postal_code="12345", city="Borås", entrance_clients=[home.client]
    )
    first = opened(home)
    tokens = issue_tokens(home.worker, now=DAY).doors
    door = next(d for d in tokens if d.lock == entrance)
    at_entrance = home.simulated(entrance, at=DAY).answer(door.tokens[0])
    assert at_entrance["opened"] is True
    upload = [
        {"lock_id": str(home.lock.lock_id), **first["event"]},
        {"lock_id": str(entrance.lock_id), **at_entrance["event"]},
        # A battery warning is the lock's to send: refused, the first at its door.
        {
            "lock_id": str(entrance.lock_id),
            **at_entrance["event"],
            "id": "batt-1",
            "kind": "low_battery",
            "key_id": None,
        },
    ]
    return upload


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Händelse 3 av 3 (batt-1) vid Portgatan 4: "),
        ("nb", "Hendelse 3 av 3 (batt-1) ved Portgatan 4: "),
        ("en", "Event 3 of 3 (batt-1) at Portgatan 4: "),
    ],
)
def test_a_refused_event_is_named_by_its_place_in_the_upload_and_its_door(
    home: Home, language: str, expected: str
) -> None:
    upload = _upload_of_two_doors(home)
    http = login(home.worker)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = http.post(
        PHONE_EVENTS, json.dumps({"events": upload}), content_type="application/json"
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(expected), detail
    assert home.client.national_id not in detail
    assert not LockEvent.objects.exists()


def test_a_refusal_names_a_flats_address_and_logs_it_as_read(home: Home) -> None:
    answer = opened(home)
    late = {
        "lock_id": str(home.lock.lock_id),
        **answer["event"],
        "at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat(),
    }
    before = AccessLogEntry.objects.filter(client=home.client).count()
    response = phone_post(home, {"events": [late]})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(f"Event 1 of 1 ({answer['event']['id']}) at {home.client.street}: ")
    assert "set the lock's clock" in detail
    assert home.client.national_id not in detail
    assert home.client.last_name not in detail
    logged = AccessLogEntry.objects.filter(client=home.client, user=home.worker)
    assert logged.count() == before + 1
    assert logged.latest("pk").action == AccessAction.API_LIST


def test_a_flat_whose_client_is_out_of_sight_is_named_by_the_locks_serial(home: Home) -> None:
    named = services.name_door(home.lock, visible_client_ids=set())
    assert named.client is None
    assert named.name == f"lock {home.lock.serial_number}"
    assert home.client.street not in named.name
    shown = services.name_door(home.lock, visible_client_ids={home.client.pk})
    assert (shown.name, shown.client) == (home.client.street, home.client)
