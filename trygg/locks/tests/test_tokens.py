"""The phone fetches the shift's tokens in advance: for every door its holder may open now,
valid until their work ends, each issuing recorded and every client behind a door
access-logged; someone without keys, or off duty, is told why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry
from trygg.lib import unlock
from trygg.locks import tokens
from trygg.locks.constants import ALARM_TOKEN_WINDOW, TOKENS_PER_DOOR
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey, TokenIssue

from .conftest import DAY, EVENING, NIGHT, SHIFT_END, Home, login, new_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the moment the API sees."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr("trygg.locks.tokens.timezone.now", lambda: moment)

    set_to(DAY)
    return set_to


def test_tokens_run_from_now_to_the_end_of_the_shift(home: Home) -> None:
    issued = tokens.issue_tokens(home.worker, now=DAY)
    (door,) = issued.doors
    assert (door.lock, door.not_before, door.not_after) == (home.lock, DAY, SHIFT_END)
    assert len(door.tokens) == TOKENS_PER_DOOR
    grants = [unlock.read(t) for t in door.tokens]
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert {(g.lock_id, g.holder, g.key_id) for g in grants} == {
        (home.lock.lock_id, home.worker.pk, key.pk)
    }
    assert {(g.not_before, g.not_after) for g in grants} == {
        (int(DAY.timestamp()), int(SHIFT_END.timestamp()))
    }
    assert len({g.nonce for g in grants}) == TOKENS_PER_DOOR
    issue = TokenIssue.objects.get()
    assert (issue.holder, issue.lock, issue.key, issue.key_version) == (
        home.worker,
        home.lock,
        key,
        issued.key_version,
    )
    assert (issue.not_before, issue.not_after, issue.count) == (DAY, SHIFT_END, TOKENS_PER_DOOR)
    assert bytes(issue.nonces) == b"".join(g.nonce for g in grants)


def test_someone_off_duty_gets_no_tokens_and_is_told_why(home: Home) -> None:
    with pytest.raises(tokens.NotAtWork, match="working hours"):
        tokens.issue_tokens(home.worker, now=EVENING)
    assert not TokenIssue.objects.exists()
    # The night patrol holds no key to the client's door at all.
    with pytest.raises(tokens.NoKeys, match="no digital keys"):
        tokens.issue_tokens(home.night_worker, now=NIGHT)


def test_a_responder_gets_tokens_for_the_alarms_door_outside_their_shift(home: Home) -> None:
    home.alarm(home.night_worker)
    issued = tokens.issue_tokens(home.night_worker, now=DAY)
    (door,) = issued.doors
    assert (door.lock, door.key.reason) == (home.lock, "alarm")
    assert door.not_after == DAY + ALARM_TOKEN_WINDOW
    # The team keys of the night patrol's own doors wait for its shift.


def test_a_team_member_answering_an_alarm_off_shift_opens_the_door(home: Home) -> None:
    home.alarm(home.worker, created_at=EVENING - dt.timedelta(minutes=5))
    (door,) = tokens.issue_tokens(home.worker, now=EVENING).doors
    assert (door.lock, door.key.reason) == (home.lock, "team")
    assert door.not_after == EVENING + ALARM_TOKEN_WINDOW


def test_a_closed_alarm_gives_tokens_only_for_its_margin(home: Home) -> None:
    home.alarm(home.night_worker, status="closed", closed_at=DAY - dt.timedelta(minutes=10))
    (door,) = tokens.issue_tokens(home.night_worker, now=DAY).doors
    assert door.not_after == DAY + dt.timedelta(minutes=20)


def test_tokens_for_every_door_of_the_team(home: Home) -> None:
    second = home.new_lock(client=new_client(home))
    issued = tokens.issue_tokens(home.worker, now=DAY)
    assert {d.lock.pk for d in issued.doors} == {home.lock.pk, second.pk}


def test_the_api_gives_the_phone_its_doors_and_tokens(home: Home, clock: Any) -> None:
    response = login(home.worker).get("/api/v1/locks/tokens")
    assert response.status_code == 200
    body = response.json()
    (door,) = body["doors"]
    assert door["lock_id"] == str(home.lock.lock_id)
    assert door["address"] == home.client.street
    assert door["clients"] == [{"id": home.client.pk, "name": home.client.full_name}]
    assert door["reason"] == "team"
    assert len(door["tokens"]) == TOKENS_PER_DOOR
    assert all(len(t) == 159 for t in door["tokens"])
    assert dt.datetime.fromisoformat(door["not_after"]) == SHIFT_END
    logged = AccessLogEntry.objects.get(user=home.worker)
    assert (logged.client, logged.action) == (home.client, AccessAction.API_LIST)


def test_an_entrance_names_only_the_holders_own_clients(home: Home, clock: Any) -> None:
    home.new_lock(street="Storgatan 12", entrance_clients=[home.client, home.other_client])
    reconcile_keys(now=DAY)
    body = login(home.other_worker).get("/api/v1/locks/tokens").json()
    entrance = next(d for d in body["doors"] if d["address"] == "Storgatan 12")
    assert entrance["clients"] == [
        {"id": home.other_client.pk, "name": home.other_client.full_name}
    ]
    assert not AccessLogEntry.objects.filter(user=home.other_worker, client=home.client).exists()


def test_the_api_refuses_with_the_reason(home: Home, clock: Any) -> None:
    clock(EVENING)
    response = login(home.worker).get("/api/v1/locks/tokens")
    assert response.status_code == 403
    assert "working hours" in response.json()["detail"]
    response = login(home.place.auditor).get("/api/v1/locks/tokens")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You hold no digital keys."},
    )


def test_the_refusal_is_in_swedish_for_a_swedish_phone(home: Home, clock: Any) -> None:
    http = login(home.place.auditor)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = http.get("/api/v1/locks/tokens")
    assert response.json() == {"detail": "Du har inga digitala nycklar."}


def test_a_token_fetch_needs_a_login(home: Home) -> None:
    from django.test import Client as HttpClient

    assert HttpClient().get("/api/v1/locks/tokens").status_code == 401
