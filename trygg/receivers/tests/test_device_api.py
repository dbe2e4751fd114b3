"""The Device API: alarm units posting JSON events with a bearer token of their own (the
tokens themselves are tested with the devices, test_device_tokens.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.alarms.models import Alarm, Signal
from trygg.core.models import OutboxMessage
from trygg.core.tests.factories import TEST_PASSWORD
from trygg.core.tokens import create_token
from trygg.devices import services
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.tests.places import Place

from .device_api import HEARTBEAT, api_unit, fresh, message, post

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Övre Torggatan 7, portkod 4711"


@pytest.fixture
def unit(place: Place) -> AlarmUnit:
    return api_unit(place)


@pytest.fixture
def plain(place: Place, unit: AlarmUnit) -> str:
    _token, plain = services.issue_device_token(place.tech, unit)
    return plain


def nothing_stored(unit: AlarmUnit) -> bool:
    return (
        not Signal.objects.exists()
        and not Alarm.objects.exists()
        and fresh(unit).last_seen_at is None
    )


# Stored, duplicate, heartbeat ---------------------------------------------------------------


def test_an_alarm_is_stored_with_the_client_from_the_placement(
    place: Place, unit: AlarmUnit, plain: str
) -> None:
    body = message(events=[{"kind": "alarm", "code": "BUTTON", "text": SECRET_TEXT}])
    response = post(body, plain)
    assert response.status_code == 201, response.content
    assert response.json() == {"outcome": "stored", "id": "m-1"}
    signal = Signal.objects.get()
    assert (signal.protocol, signal.unit_id, signal.dedupe_key) == ("api", unit.pk, "m-1")
    assert json.loads(bytes(signal.raw)) == body  # the request as it came, device time too
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.code, alarm.text) == (
        "alarm",
        "care",
        "BUTTON",
        SECRET_TEXT,
    )
    assert (alarm.unit, alarm.client, alarm.provider) == (unit, place.client, place.provider)
    assert OutboxMessage.objects.filter(stream="alarm", subject_id=alarm.pk).exists()
    assert fresh(unit).supervision_due_at is not None


def test_the_same_id_again_is_acknowledged_and_stored_once(unit: AlarmUnit, plain: str) -> None:
    assert post(message("m-7"), plain).status_code == 201
    again = post(message("m-7"), plain)
    assert again.status_code == 200
    assert again.json() == {"outcome": "duplicate", "id": "m-7"}
    assert Signal.objects.count() == 1
    assert Alarm.objects.count() == 1
    assert post(message("m-8"), plain).status_code == 201
    assert Alarm.objects.count() == 2


def test_several_events_in_one_message_are_one_signal(unit: AlarmUnit, plain: str) -> None:
    events = [
        {"kind": "low_battery", "code": "BAT"},
        {"kind": "tamper", "zone": "lid"},
        {"kind": "other", "code": "X42"},
    ]
    assert post(message(events=events), plain).status_code == 201
    assert Signal.objects.count() == 1
    assert sorted(Alarm.objects.values_list("kind", flat=True)) == [
        "low_battery",
        "other",
        "tamper",
    ]


@pytest.mark.parametrize("events", [[], [{"kind": "heartbeat"}]])
def test_a_heartbeat_moves_the_deadline_and_stores_nothing(
    unit: AlarmUnit, plain: str, events: list[dict[str, str]]
) -> None:
    before = timezone.now()
    response = post(message(events=events), plain)
    assert response.status_code == 200
    assert response.json() == {"outcome": "heartbeat", "id": "m-1"}
    unit = fresh(unit)
    assert unit.last_seen_at is not None
    assert unit.last_seen_at >= before
    assert unit.supervision_due_at == unit.last_seen_at + dt.timedelta(seconds=300 + 60)
    assert not Signal.objects.exists()
    assert not Alarm.objects.exists()


def test_the_body_less_heartbeat(unit: AlarmUnit, plain: str) -> None:
    response = post(b"", plain, url=HEARTBEAT)
    assert response.status_code == 200
    assert response.json() == {"outcome": "heartbeat", "id": None}
    assert fresh(unit).supervision_due_at is not None
    assert not Signal.objects.exists()
    assert post(b"", None, url=HEARTBEAT).status_code == 401


def test_a_message_costs_a_handful_of_queries(
    unit: AlarmUnit, plain: str, django_assert_num_queries: Any
) -> None:
    post(message("warm-up"), plain)  # the token's last use is then recorded already
    # The token and its unit; then the ingest: savepoint, units, stored keys, placements,
    # signal, alarm, outbox, the unit's supervision fields, release; on PostgreSQL also the
    # NOTIFY that wakes the dispatcher (SQLite's bus is in-process and costs no query).
    with django_assert_num_queries(12 if connection.vendor == "postgresql" else 11):
        assert post(message("m-2"), plain).status_code == 201


# Validation ----------------------------------------------------------------------------------


def _with(**fields: Any) -> dict[str, Any]:
    return message(**fields)


def _without(name: str) -> dict[str, Any]:
    body = message()
    del body[name]
    return body


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (_without("time"), "Field required"),
        (_with(time="2026-11-20T12:00:00"), "timezone"),
        (_with(time=1763636400), "ISO 8601"),
        (_with(time="yesterday"), "datetime"),
        (_without("id"), "Field required"),
        (_with(id=""), "at least 1 character"),
        (_with(id="x" * 129), "at most 128 characters"),
        (_with(id="two words"), "without spaces"),
        (_without("events"), "Field required"),
        (_with(events=[{"kind": "panic"}]), "'alarm'"),
        (_with(events=[{"kind": "alarm"}] * 17), "at most 16 items"),
        (_with(events=[{"kind": "alarm", "code": "C" * 33}]), "at most 32 characters"),
        (_with(events=[{"kind": "alarm", "zone": "Z" * 33}]), "at most 32 characters"),
        (_with(events=[{"kind": "alarm", "text": "T" * 201}]), "at most 200 characters"),
        (_with(evnets=[]), "Extra inputs are not permitted"),  # a typo is not a heartbeat
        (_with(unit="SN-99999"), "Extra inputs are not permitted"),
        (_with(events=[{"kind": "alarm", "severity": 1}]), "Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    unit: AlarmUnit, plain: str, body: Any, says: str
) -> None:
    response = post(body, plain)
    assert response.status_code == 422, response.content
    assert says in json.dumps(response.json()["detail"])
    assert nothing_stored(unit)


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b"", b"null", json.dumps([message()]).encode()]
)
def test_a_body_that_is_not_a_json_object_is_refused(
    unit: AlarmUnit, plain: str, body: bytes
) -> None:
    response = post(body, plain)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert nothing_stored(unit)


def test_a_message_over_64_kib_is_refused_before_it_is_read(unit: AlarmUnit, plain: str) -> None:
    body = json.dumps(message()) + " " * (64 * 1024)
    response = post(body, plain)
    assert response.status_code == 413
    assert "64 KiB" in response.json()["detail"]
    assert nothing_stored(unit)


# Who may post --------------------------------------------------------------------------------


def test_without_a_valid_token_it_is_401(place: Place, unit: AlarmUnit, plain: str) -> None:
    assert post(message(), None).status_code == 401
    assert post(message(), "trg_not-a-real-token").status_code == 401
    assert post(message(), plain.upper()).status_code == 401
    services.revoke_device_token(place.tech, unit)
    assert post(message(), plain).status_code == 401
    assert nothing_stored(unit)


def test_a_session_is_not_enough(place: Place, unit: AlarmUnit) -> None:
    http = HttpClient()
    assert http.login(username=place.tech.username, password=TEST_PASSWORD)
    assert post(message(), None, http=http).status_code == 401
    assert post(b"", None, url=HEARTBEAT, http=http).status_code == 401
    assert nothing_stored(unit)


def test_an_integration_token_cannot_post_and_a_device_token_cannot_import(
    place: Place, unit: AlarmUnit, plain: str
) -> None:
    _token, integration = create_token("case system", place.municipality)
    response = post(message(), integration)
    assert response.status_code == 403
    assert "not an alarm unit's token" in response.json()["detail"]
    # Scope "device" without a unit authenticates as nobody either.
    _token, unlinked = create_token("stray", place.municipality, scopes="device")
    assert post(message(), unlinked).status_code == 403
    imported = post({"provider": "x", "clients": []}, plain, url="/api/v1/integration/import")
    assert imported.status_code == 403
    assert nothing_stored(unit)


def test_a_device_posts_only_as_itself(place: Place, unit: AlarmUnit, plain: str) -> None:
    other = place.unit(protocol=AlarmProtocol.API)
    _token, other_plain = services.issue_device_token(place.tech, other)
    assert post(message("same-id"), plain).status_code == 201
    # Naming another unit in the body is refused; the same id from another unit is its own.
    body = message("same-id", serial_number=other.serial_number)
    assert post(body, plain).status_code == 422
    assert post(message("same-id"), other_plain).status_code == 201
    assert sorted(Signal.objects.values_list("unit_id", flat=True)) == sorted([unit.pk, other.pk])


def test_a_unit_moved_off_the_api_cannot_post(unit: AlarmUnit, plain: str) -> None:
    AlarmUnit.objects.filter(pk=unit.pk).update(protocol="scaip", scaip_controller_id="4601")
    assert post(message(), plain).status_code == 403
    assert not Signal.objects.exists()


# The database failing --------------------------------------------------------------------------


@contextmanager
def refusing(condition: Callable[[str], bool]) -> Iterator[None]:
    """The database refuses the statements `condition` picks, as a lost connection or a
    full disk would, below the ingest and everything in Trygg."""

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if condition(sql):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_a_database_failure_is_503_and_nothing_is_acknowledged(
    unit: AlarmUnit, plain: str, caplog: pytest.LogCaptureFixture
) -> None:
    post(b"", plain, url=HEARTBEAT)  # the token's last use is recorded: no write to fail
    seen = fresh(unit).last_seen_at
    body = message("m-9", events=[{"kind": "alarm", "text": SECRET_TEXT}])
    # The signal goes in, then the alarm cannot: all of it is rolled back.
    with refusing(lambda sql: 'INSERT INTO "alarms_alarm"' in sql):
        response = post(body, plain)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "send it again" in response.json()["detail"]
    assert not Signal.objects.exists()
    assert not Alarm.objects.exists()
    assert fresh(unit).last_seen_at == seen
    assert SECRET_TEXT not in caplog.text
    assert plain not in caplog.text
    # The device's retry, once the database is back, is stored once.
    assert post(body, plain).status_code == 201
    assert post(body, plain).status_code == 200
    assert Alarm.objects.count() == 1


def test_a_database_down_before_the_token_is_checked_is_503(unit: AlarmUnit, plain: str) -> None:
    with refusing(lambda sql: True):
        response = post(message(), plain)
    assert response.status_code == 503
    assert nothing_stored(unit)
