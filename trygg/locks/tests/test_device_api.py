"""The lock API: a lock makes contact with its own bearer token and gets its keys and
revocation list; it posts its events, stored once; strangers and bad batches are refused
with reasons, and a bad batch stores nothing."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.devices import services as device_services
from trygg.devices.models import AlarmProtocol
from trygg.lib import unlock
from trygg.locks import inventory, services
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey, LockEvent
from trygg.locks.simulator import SimulatedLock
from trygg.locks.tokens import issue_tokens

from .conftest import Home, login

pytestmark = pytest.mark.django_db

CONTACT = "/api/v1/locks/device/contact"
EVENTS = "/api/v1/locks/device/events"


@pytest.fixture
def plain(home: Home) -> str:
    _token, plain = inventory.issue_lock_token(home.place.tech, home.lock)
    return plain


def post(url: str, body: Any, token: str | None, language: str = "en") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the tests read English sources
    return http.post(url, json.dumps(body), content_type="application/json", **headers)


def test_a_lock_makes_contact_and_is_given_its_keys(home: Home, plain: str) -> None:
    reconcile_keys()
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    services.revoke_key(home.place.manager, key, note="Borttappad telefon")
    response = post(CONTACT, {"battery": 64, "firmware": "2.5.0"}, plain)
    assert response.status_code == 200
    body = response.json()
    assert body["lock_id"] == str(home.lock.lock_id)
    assert abs(body["time"] - timezone.now().timestamp()) < 5
    assert set(body["keys"]) == {"1"}
    assert body["revocations"] == {"serial": 1, "key_ids": [key.pk]}
    assert body["max_window"] == unlock.MAX_WINDOW
    home.lock.refresh_from_db()
    assert (home.lock.battery_level, home.lock.firmware) == (64, "2.5.0")
    assert home.lock.last_contact_at is not None


def test_the_simulator_opens_with_what_the_api_gives_it(home: Home, plain: str) -> None:
    reconcile_keys()
    simulated = SimulatedLock(home.lock.lock_id)
    simulated.receive(post(CONTACT, simulated.hello(), plain).json())
    issued = issue_tokens(home.worker, now=_in_shift())
    simulated._clock = lambda: int(_in_shift().timestamp())
    assert simulated.present(issued.doors[0].tokens[0]).opened
    simulated.tamper()
    response = post(EVENTS, {"events": simulated.pending()}, plain)
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 2
    simulated.acknowledge(response.json()["ids"])
    assert simulated.pending() == []
    unlocked = LockEvent.objects.get(lock=home.lock, kind="unlocked")
    assert unlocked.holder == home.worker


def _in_shift() -> dt.datetime:
    """The last 10:00 in Stockholm, inside the day shift (07-16), not in the future (the
    lock's events must not claim a time ahead of the server's)."""
    from .conftest import STOCKHOLM

    today = timezone.now().astimezone(STOCKHOLM).date()
    moment = dt.datetime.combine(today, dt.time(10), tzinfo=STOCKHOLM)
    return moment if moment <= timezone.now() else moment - dt.timedelta(days=1)


def event(n: int, **fields: Any) -> dict[str, Any]:
    values = {"id": f"ev-{n}", "kind": "tamper", "at": "2026-11-24T10:00:00+01:00"}
    values.update(fields)
    return values


def test_a_batch_sent_twice_is_stored_once(home: Home, plain: str) -> None:
    batch = {"events": [event(1), event(2, kind="low_battery", battery=12)]}
    first = post(EVENTS, batch, plain).json()
    again = post(EVENTS, batch, plain).json()
    assert (first["stored"], first["duplicates"]) == (2, 0)
    assert (again["stored"], again["duplicates"]) == (0, 2)
    assert again["ids"] == ["ev-1", "ev-2"]
    assert LockEvent.objects.filter(lock=home.lock).count() == 2
    home.lock.refresh_from_db()
    assert home.lock.battery_level == 12


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (event(3, kind="failed"), "says why the lock refused"),
        (event(3, kind="unlocked"), "names the key"),
        (event(3, refusal="expired"), "only a failed attempt"),
        (event(3, at="2099-01-01T00:00:00+00:00"), "in the future"),
    ],
)
def test_a_bad_event_stores_nothing_and_says_which(
    home: Home, plain: str, bad: dict[str, Any], says: str
) -> None:
    response = post(EVENTS, {"events": [event(1), event(2), bad]}, plain)
    assert response.status_code == 422
    assert "Event 3 (ev-3)" in response.json()["detail"]
    assert says in response.json()["detail"]
    assert not LockEvent.objects.exists()


def test_a_refusal_is_in_swedish_by_default(home: Home, plain: str) -> None:
    response = post(EVENTS, {"events": [event(1, kind="failed")]}, plain, language="")
    assert response.json()["detail"] == (
        "Händelse 1 (ev-1): ett misslyckat försök anger varför låset nekade."
    )


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [event(1, kind="opened")]},
        {"events": [event(1, refusal="because")]},
        {"events": [event(1, at="2026-11-24T10:00:00")]},  # no offset
        {"events": [event(1, id="two words")]},
        {"events": [event(1, battery=101)]},
        {"events": [event(1)], "lock": "someone else"},
        {"event": [event(1)]},
    ],
)
def test_malformed_batches_are_refused(home: Home, plain: str, body: Any) -> None:
    response = post(EVENTS, body, plain)
    assert response.status_code == 422
    assert not LockEvent.objects.exists()


def test_events_from_an_unknown_lock_are_refused(home: Home, plain: str) -> None:
    assert post(EVENTS, {"events": [event(1)]}, None).status_code == 401
    assert post(EVENTS, {"events": [event(1)]}, "trg_nosuchtoken").status_code == 401
    assert post(CONTACT, {}, "trg_nosuchtoken").status_code == 401
    # Another kind of token: an integration's, or an alarm unit's.
    unit = home.place.unit(protocol=AlarmProtocol.API)
    _token, unit_plain = device_services.issue_device_token(home.place.tech, unit)
    response = post(EVENTS, {"events": [event(1)]}, unit_plain)
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "This token is not a door lock's token.",
    )
    # A person's session is not a lock either.
    http = login(home.place.tech)
    response = http.post(CONTACT, "{}", content_type="application/json")
    assert response.status_code == 401
    assert not LockEvent.objects.exists()


def test_a_rotated_token_stops_at_once(home: Home, plain: str) -> None:
    _token, new = inventory.issue_lock_token(home.place.tech, home.lock, rotate=True)
    assert post(CONTACT, {}, plain).status_code == 401
    assert post(CONTACT, {}, new).status_code == 200
    with pytest.raises(inventory.LockError, match="rotate it"):
        inventory.issue_lock_token(home.place.tech, home.lock)


def test_a_lock_token_is_never_logged(
    home: Home, plain: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post(CONTACT, {}, plain)
    post(EVENTS, {"events": [event(1)]}, plain)
    assert plain not in caplog.text


def test_the_command_line_issues_a_lock_token(home: Home) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "locks",
        "token",
        "--municipality",
        home.place.municipality.code,
        "--lock",
        home.lock.serial_number,
        stdout=out,
    )
    plain = out.getvalue().strip().splitlines()[-1]
    assert post(CONTACT, {}, plain).status_code == 200
