"""The durable ingest: what is stored, what is a duplicate, who is unknown, how the
supervision deadline moves, and that a batch costs a handful of queries."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trygg.alarms import ingest as alarm_ingest
from trygg.alarms.ingest import OUTBOX_CLOSED, OUTBOX_RAISED, ingest
from trygg.alarms.models import Alarm, AlarmAction, AlarmEvent, AlarmStatus, Signal
from trygg.core.models import OutboxMessage
from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind
from trygg.devices.services import move_unit, place_unit
from trygg.receivers.incoming import IncomingEvent, IngestOutcome

from .conftest import ALARM, Place, incoming

STORED, DUPLICATE = IngestOutcome.STORED, IngestOutcome.DUPLICATE
UNKNOWN, FAILED = IngestOutcome.UNKNOWN_UNIT, IngestOutcome.FAILED
T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
KEY = "000102030405060708090A0B0C0D0E0F"
SECRET_PAYLOAD = b"|Nri1/QA1|Ovre Torggatan 7, portkod 4711|"


@pytest.fixture
def unit(place: Place) -> AlarmUnit:
    unit = place.unit("1001")
    place_unit(place.tech, unit, client=place.client, active_from=TODAY - dt.timedelta(days=30))
    return unit


def fresh(unit: AlarmUnit) -> AlarmUnit:
    return AlarmUnit.objects.get(pk=unit.pk)


# Stored, duplicate, unknown ---------------------------------------------------------------


def test_an_alarm_is_stored_with_its_raw_bytes_client_and_an_outbox_row(
    place: Place, unit: AlarmUnit
) -> None:
    raw = b"\n\x00\xff" + SECRET_PAYLOAD + b"\r"  # not UTF-8, with NUL: kept byte for byte
    assert ingest([incoming("1001", "k1", at=T0, raw=raw)]) == [STORED]
    signal = Signal.objects.get()
    assert bytes(signal.raw) == raw
    assert (signal.unit_id, signal.dedupe_key, signal.received_at) == (unit.pk, "k1", T0)
    assert signal.placement == AlarmPlacement.objects.get(unit=unit)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status) == ("alarm", "care", "open")
    assert (alarm.code, alarm.zone) == ("QA", "1")
    assert alarm.signal == signal
    assert alarm.client == place.client
    assert alarm.provider == place.provider
    assert alarm.municipality == place.municipality
    assert OutboxMessage.objects.get().subject_id == alarm.pk


def test_a_retransmission_in_a_later_batch_is_a_duplicate(unit: AlarmUnit) -> None:
    assert ingest([incoming("1001", "k1")]) == [STORED]
    assert ingest([incoming("1001", "k1")]) == [DUPLICATE]
    assert Signal.objects.count() == Alarm.objects.count() == OutboxMessage.objects.count() == 1


def test_a_retransmission_in_the_same_batch_is_stored_once(unit: AlarmUnit) -> None:
    batch = [incoming("1001", "k1"), incoming("1001", "k2"), incoming("1001", "k1")]
    assert ingest(batch) == [STORED, STORED, DUPLICATE]
    assert sorted(Signal.objects.values_list("dedupe_key", flat=True)) == ["k1", "k2"]
    assert Alarm.objects.count() == 2


def test_a_retransmission_across_a_window_boundary_is_still_a_duplicate(unit: AlarmUnit) -> None:
    window = alarm_ingest.DEDUPE_WINDOW
    just_before = dt.datetime.fromtimestamp(
        (alarm_ingest.dedupe_window(T0) + 1) * window.total_seconds() - 1, tz=dt.UTC
    )
    assert ingest([incoming("1001", "k1", at=just_before)]) == [STORED]
    later = just_before + dt.timedelta(seconds=2)
    assert alarm_ingest.dedupe_window(later) == alarm_ingest.dedupe_window(just_before) + 1
    assert ingest([incoming("1001", "k1", at=later)]) == [DUPLICATE]


def test_a_key_that_comes_back_weeks_later_is_a_new_message(unit: AlarmUnit) -> None:
    """DC-09 sequence numbers cycle: the same sequence and event a month on is a new alarm,
    and dropping it as a repeat would lose a call for help."""
    assert ingest([incoming("1001", "k1", at=T0)]) == [STORED]
    month_later = T0 + dt.timedelta(days=35)
    assert ingest([incoming("1001", "k1", at=month_later)]) == [STORED]
    assert ingest([incoming("1001", "k1", at=month_later + dt.timedelta(seconds=30))]) == [
        DUPLICATE
    ]
    assert Alarm.objects.count() == 2


def test_the_same_key_from_two_units_is_two_messages(place: Place, unit: AlarmUnit) -> None:
    place.unit("1002")
    assert ingest([incoming("1001", "seq-7"), incoming("1002", "seq-7")]) == [STORED, STORED]


def test_a_very_long_key_still_recognises_its_retransmission(unit: AlarmUnit) -> None:
    call_id = "sip-call-" + "x" * 500
    assert ingest([incoming("1001", call_id)]) == [STORED]
    assert ingest([incoming("1001", call_id)]) == [DUPLICATE]
    assert ingest([incoming("1001", call_id + "y")]) == [STORED]


def test_an_unknown_unit_is_refused_and_logged_without_the_frame(
    unit: AlarmUnit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = b'"SIA-DCS"0001L0#BEEF[' + SECRET_PAYLOAD + b"]"
    assert ingest([incoming("BEEF", "k1", raw=raw)]) == [UNKNOWN]
    assert not Signal.objects.exists()
    assert "unknown" in caplog.text
    assert "'dc09'" in caplog.text
    assert "'BEEF'" in caplog.text
    assert "portkod" not in caplog.text
    assert "Torggatan" not in caplog.text


def test_a_unit_is_looked_up_by_its_protocols_identifier(place: Place) -> None:
    place.unit("4600000001", protocol="scaip")
    heartbeat = ()
    assert ingest(
        [
            incoming("4600000001", protocol="scaip", events=heartbeat),
            incoming("4600000001", protocol="dc09", events=heartbeat),  # not a DC-09 account
            incoming(" 4600000001 ", protocol="scaip", events=heartbeat),
        ]
    ) == [STORED, UNKNOWN, STORED]


def test_a_dc09_account_is_matched_whatever_its_case(place: Place) -> None:
    place.unit("A1B2")
    assert ingest([incoming("a1b2", events=())]) == [STORED]


def test_the_municipality_decides_between_units_with_the_same_account(
    place: Place, unit: AlarmUnit
) -> None:
    foreign = place.unit("1001", municipality=place.elsewhere)
    assert ingest([incoming("1001")]) == [UNKNOWN]  # ambiguous: refused, not guessed
    assert ingest(
        [
            incoming("1001", "a", municipality_id=place.municipality.pk),
            incoming("1001", "b", municipality_id=place.elsewhere.pk),
        ]
    ) == [STORED, STORED]
    assert Signal.objects.get(dedupe_key="b").unit == foreign


def test_outcomes_come_in_input_order(unit: AlarmUnit) -> None:
    batch = [
        incoming("FFFF"),
        incoming("1001", "k1"),
        incoming("1001", events=()),
        incoming("1001", "k1"),
        incoming("1001", "k2", at=dt.datetime(2026, 1, 1)),  # naive: a receiver's bug
        incoming("1001", "k3"),
    ]
    assert ingest(batch) == [UNKNOWN, STORED, STORED, DUPLICATE, FAILED, STORED]
    assert ingest([]) == []


@pytest.mark.parametrize(
    "change",
    [
        {"protocol": "sia"},
        {"unit_ref": ""},
        {"unit_ref": "1" * 17},
        {"dedupe_key": ""},
        {"raw": b"x" * (65 * 1024)},
    ],
)
def test_a_message_that_cannot_be_taken_fails_alone(
    unit: AlarmUnit, change: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    bad = dataclasses.replace(incoming("1001", raw=SECRET_PAYLOAD), **change)  # type: ignore[arg-type]
    assert ingest([bad, incoming("1001", "ok")]) == [FAILED, STORED]
    assert "portkod" not in caplog.text


# Supervision ------------------------------------------------------------------------------


def test_a_heartbeat_moves_the_deadline_and_stores_nothing(unit: AlarmUnit) -> None:
    assert fresh(unit).supervision_due_at is None  # not supervised until first heard
    assert ingest([incoming("1001", events=(), at=T0)]) == [STORED]
    unit = fresh(unit)
    assert unit.last_seen_at == T0
    assert unit.supervision_due_at == T0 + dt.timedelta(seconds=300 + 60)
    assert not Signal.objects.exists()
    assert not Alarm.objects.exists()
    heartbeat_event = IncomingEvent("heartbeat", "NULL")
    later = T0 + dt.timedelta(minutes=5)
    assert ingest([incoming("1001", events=(heartbeat_event,), at=later)]) == [STORED]
    assert fresh(unit).supervision_due_at == later + dt.timedelta(seconds=360)
    assert not Signal.objects.exists()
    assert not Alarm.objects.exists()


def test_a_late_delivered_message_does_not_move_the_deadline_back(unit: AlarmUnit) -> None:
    ingest([incoming("1001", events=(), at=T0)])
    ingest([incoming("1001", events=(), at=T0 - dt.timedelta(minutes=3))])
    assert fresh(unit).last_seen_at == T0


def test_every_message_counts_as_a_sign_of_life(unit: AlarmUnit) -> None:
    ingest([incoming("1001", "k1", at=T0)])
    assert fresh(unit).supervision_due_at == T0 + dt.timedelta(seconds=360)
    later = T0 + dt.timedelta(minutes=2)
    assert ingest([incoming("1001", "k1", at=later)]) == [DUPLICATE]  # resent: the link works
    assert fresh(unit).last_seen_at == later


def test_an_unsupervised_unit_has_no_deadline(place: Place) -> None:
    unit = place.unit("1003", interval=0)
    ingest([incoming("1003", events=(), at=T0)])
    assert (fresh(unit).last_seen_at, fresh(unit).supervision_due_at) == (T0, None)


def test_a_lost_connection_is_restored_by_any_message_and_recorded(
    place: Place, unit: AlarmUnit
) -> None:
    AlarmUnit.objects.filter(pk=unit.pk).update(connection_lost=True, supervision_due_at=None)
    assert ingest([incoming("1001", events=(), at=T0)]) == [STORED]
    unit = fresh(unit)
    assert not unit.connection_lost
    assert unit.supervision_due_at == T0 + dt.timedelta(seconds=360)
    restore = Alarm.objects.get()
    assert (restore.kind, restore.category, restore.code) == ("restore", "technical", "connection")
    assert restore.status == "closed"
    assert restore.closed_at is not None
    assert restore.signal is None  # a heartbeat is not kept
    assert restore.client == place.client
    assert not OutboxMessage.objects.exists()
    ingest([incoming("1001", events=())])
    assert Alarm.objects.count() == 1  # restored once


def test_a_restoring_alarm_is_recorded_after_the_restore(unit: AlarmUnit) -> None:
    AlarmUnit.objects.filter(pk=unit.pk).update(connection_lost=True)
    assert ingest([incoming("1001", "k1")]) == [STORED]
    restore, alarm = Alarm.objects.order_by("id")
    assert (restore.kind, alarm.kind) == ("restore", "alarm")
    assert restore.signal == alarm.signal == Signal.objects.get()


# What becomes what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("alarm", ("alarm", "care", "open", True)),
        ("fire", ("fire", "care", "open", True)),
        ("low_battery", ("low_battery", "technical", "open", True)),
        ("tamper", ("tamper", "technical", "open", True)),
        ("mains_loss", ("mains_loss", "technical", "open", True)),
        ("technical", ("technical", "technical", "open", True)),
        ("other", ("other", "technical", "open", True)),
        ("made-up", ("other", "technical", "open", True)),  # never dropped
        ("test", ("test", "technical", "closed", False)),
        ("restore", ("restore", "technical", "closed", False)),
    ],
)
def test_each_kind_of_event_becomes_its_alarm(
    unit: AlarmUnit, kind: str, expected: tuple[str, str, str, bool]
) -> None:
    event = IncomingEvent(kind, "X1", zone="2", text="t" * 300)
    assert ingest([incoming("1001", events=(event,))]) == [STORED]
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status, OutboxMessage.objects.exists()) == expected
    assert alarm.text == "t" * 200  # the raw bytes keep the whole of it
    # What needs someone, care or technical, is raised to the dispatcher the same way.
    assert set(OutboxMessage.objects.values_list("topic", flat=True)) <= {OUTBOX_RAISED}


def test_a_test_report_is_kept_but_raises_nothing(unit: AlarmUnit) -> None:
    assert ingest([incoming("1001", "t1", events=(IncomingEvent("test", "RP"),))]) == [STORED]
    assert Signal.objects.count() == 1
    assert not Alarm.objects.filter(status="open").exists()
    assert not OutboxMessage.objects.exists()
    assert ingest([incoming("1001", "t1", events=(IncomingEvent("test", "RP"),))]) == [DUPLICATE]


def test_a_message_with_several_events_raises_each_but_not_its_heartbeat(unit: AlarmUnit) -> None:
    events = (IncomingEvent("heartbeat", "NULL"), ALARM, IncomingEvent("low_battery", "YT"))
    assert ingest([incoming("1001", events=events)]) == [STORED]
    assert sorted(Alarm.objects.values_list("kind", flat=True)) == ["alarm", "low_battery"]


def test_an_emergency_alarm_belongs_to_its_provider(place: Place) -> None:
    unit = place.unit("3001", kind=AlarmUnitKind.EMERGENCY_ALARM)
    place_unit(place.tech, unit, provider=place.other_provider, active_from=TODAY)
    ingest([incoming("3001", at=T0)])
    alarm = Alarm.objects.get()
    assert (alarm.client, alarm.provider) == (None, place.other_provider)


def test_a_unit_in_stock_still_raises_its_alarm(place: Place) -> None:
    place.unit("1004")
    assert ingest([incoming("1004")]) == [STORED]
    alarm = Alarm.objects.get()
    assert (alarm.placement, alarm.client, alarm.provider) == (None, None, None)


def test_the_placement_is_the_one_in_force_on_the_local_day(place: Place, unit: AlarmUnit) -> None:
    move_unit(place.tech, unit, TODAY, client=place.neighbour)
    # 23:30 UTC on the 19th is 00:30 on the 20th in Stockholm: the new holder's day.
    late = dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC)
    earlier = dt.datetime(2026, 11, 19, 22, 30, tzinfo=dt.UTC)  # 23:30 on the 19th
    ingest([incoming("1001", "a", at=late), incoming("1001", "b", at=earlier)])
    assert Alarm.objects.get(signal__dedupe_key="a").client == place.neighbour
    assert Alarm.objects.get(signal__dedupe_key="b").client == place.client


# Restores close what they end ------------------------------------------------------------


def restore_of(condition: str, code: str = "R", zone: str = "") -> IncomingEvent:
    return IncomingEvent("restore", code, zone=zone, text="Restored", restores=condition)


def raised(unit: AlarmUnit, kind: str, zone: str = "", at: dt.datetime = T0) -> Alarm:
    message = incoming(unit.dc09_account, events=(IncomingEvent(kind, "X", zone),), at=at)
    assert ingest([message]) == [STORED]
    return Alarm.objects.filter(unit=unit, kind=kind).latest("id")


@pytest.mark.parametrize("condition", ["low_battery", "tamper", "mains_loss"])
def test_a_technical_restore_closes_the_units_open_alarm_of_that_kind(
    unit: AlarmUnit, condition: str
) -> None:
    fault = raised(unit, condition)
    later = T0 + dt.timedelta(minutes=30)
    assert ingest([incoming("1001", events=(restore_of(condition, "YR"),), at=later)]) == [STORED]
    fault.refresh_from_db()
    restore = Alarm.objects.get(kind="restore")
    assert (fault.status, fault.closed_at, fault.closed_by) == ("closed", restore.created_at, None)
    event = AlarmEvent.objects.get(alarm=fault)
    assert (event.action, event.actor) == (AlarmAction.RESTORED, None)
    assert "YR" in event.note
    assert f"alarm {restore.pk}" in event.note
    topics = (
        OutboxMessage.objects.filter(stream="alarm", subject_id=fault.pk)
        .order_by("id")
        .values_list("topic", flat=True)
    )
    assert list(topics) == [OUTBOX_RAISED, OUTBOX_CLOSED]
    # The restore itself is history only.
    assert not OutboxMessage.objects.filter(stream="alarm", subject_id=restore.pk).exists()


def test_a_restore_closes_only_its_own_kind_and_unit(place: Place, unit: AlarmUnit) -> None:
    other_unit = place.unit("1002")
    battery = raised(unit, "low_battery")
    tamper = raised(unit, "tamper")
    elsewhere = raised(other_unit, "low_battery")
    ingest([incoming("1001", events=(restore_of("low_battery"),))])
    statuses = {a.pk: a.status for a in Alarm.objects.exclude(kind="restore")}
    assert statuses == {battery.pk: "closed", tamper.pk: "open", elsewhere.pk: "open"}


def test_a_restore_in_one_zone_leaves_another_zones_alarm_open(unit: AlarmUnit) -> None:
    pendant = raised(unit, "low_battery", zone="002")
    base = raised(unit, "low_battery", zone="000")
    ingest([incoming("1001", events=(restore_of("low_battery", zone="002"),))])
    assert Alarm.objects.get(pk=pendant.pk).status == "closed"
    assert Alarm.objects.get(pk=base.pk).status == "open"
    ingest([incoming("1001", events=(restore_of("low_battery"),))])  # no zone: the unit's
    assert Alarm.objects.get(pk=base.pk).status == "closed"


def test_an_acknowledged_fault_is_closed_and_a_closed_one_left_alone(unit: AlarmUnit) -> None:
    acknowledged = raised(unit, "mains_loss")
    Alarm.objects.filter(pk=acknowledged.pk).update(status=AlarmStatus.ACKNOWLEDGED)
    done = raised(unit, "mains_loss")
    closed_at = T0 + dt.timedelta(minutes=1)
    Alarm.objects.filter(pk=done.pk).update(status=AlarmStatus.CLOSED, closed_at=closed_at)
    ingest([incoming("1001", events=(restore_of("mains_loss"),))])
    assert Alarm.objects.get(pk=acknowledged.pk).status == "closed"
    assert Alarm.objects.get(pk=done.pk).closed_at == closed_at
    assert list(AlarmEvent.objects.values_list("alarm", flat=True)) == [acknowledged.pk]


@pytest.mark.parametrize(
    "restore",
    [
        restore_of("", "RE"),  # a reset or "normal state": which fault ended is not said
        restore_of("technical", "YK"),  # communications restoral: not clearly the fault open
        restore_of("alarm", "MH"),  # medical alarm restore: someone must still see to it
    ],
)
def test_a_restore_that_does_not_say_what_ended_closes_nothing(
    unit: AlarmUnit, restore: IncomingEvent
) -> None:
    raised(unit, "technical")
    raised(unit, "alarm")
    ingest([incoming("1001", events=(restore,))])
    assert set(Alarm.objects.exclude(kind="restore").values_list("status", flat=True)) == {"open"}
    assert not AlarmEvent.objects.exists()


def test_a_fault_and_its_restore_in_one_batch_is_stored_closed(unit: AlarmUnit) -> None:
    batch = [
        incoming("1001", events=(IncomingEvent("low_battery", "YT"),), at=T0),
        incoming(
            "1001", events=(restore_of("low_battery", "YR"),), at=T0 + dt.timedelta(seconds=1)
        ),
    ]
    assert ingest(batch) == [STORED, STORED]
    fault = Alarm.objects.get(kind="low_battery")
    assert (fault.status, fault.closed_by) == ("closed", None)
    assert fault.closed_at is not None
    assert AlarmEvent.objects.get().alarm == fault
    topics = (
        OutboxMessage.objects.filter(stream="alarm", subject_id=fault.pk)
        .order_by("id")
        .values_list("topic", flat=True)
    )
    assert list(topics) == [OUTBOX_RAISED, OUTBOX_CLOSED]


def test_a_restore_does_not_close_a_fault_reported_after_it(unit: AlarmUnit) -> None:
    events = (restore_of("tamper", "TR"), IncomingEvent("tamper", "TA"))
    ingest([incoming("1001", events=events)])
    assert Alarm.objects.get(kind="tamper").status == "open"


def test_a_retransmitted_restore_closes_nothing_more(unit: AlarmUnit) -> None:
    raised(unit, "low_battery")
    restore = incoming("1001", "r1", events=(restore_of("low_battery"),))
    assert ingest([restore]) == [STORED]
    raised(unit, "low_battery")  # a new fault after the restore
    assert ingest([restore]) == [DUPLICATE]
    assert Alarm.objects.filter(kind="low_battery", status="open").count() == 1
    assert AlarmEvent.objects.count() == 1


def test_a_batch_without_restores_reads_no_alarms(unit: AlarmUnit) -> None:
    raised(unit, "low_battery")
    with CaptureQueriesContext(connection) as queries:
        ingest([incoming("1001"), incoming("1001", events=(IncomingEvent("tamper", "TA"),))])
    assert not [q for q in queries.captured_queries if 'FROM "alarms_alarm"' in q["sql"]]


def test_alarms_written_by_the_ingest_are_what_the_orm_would_write(
    place: Place, unit: AlarmUnit
) -> None:
    """The ingest writes rows itself (lib.bulkinsert.insert_rows) for speed: every field,
    defaults included, must come out as the model's own save would have it."""
    ingest([incoming("1001", "k1", at=T0)])
    alarm = Alarm.objects.get()
    expected = Alarm(
        municipality=place.municipality,
        unit=unit,
        signal=Signal.objects.get(),
        placement=AlarmPlacement.objects.get(unit=unit),
        client=place.client,
        provider=place.provider,
        kind="alarm",
        category="care",
        code="QA",
        zone="1",
        created_at=alarm.created_at,
    )
    expected.save()
    fields = [f.attname for f in Alarm._meta.concrete_fields if not f.primary_key]
    saved = Alarm.objects.filter(pk__in=[alarm.pk, expected.pk]).order_by("pk").values(*fields)
    assert saved[0] == saved[1]
    outbox = OutboxMessage.objects.get()
    assert (outbox.subject_id, outbox.topic, outbox.delivered_at) == (alarm.pk, OUTBOX_RAISED, None)


# Cost, failure and concurrency -------------------------------------------------------------


def test_a_batch_of_200_is_a_handful_of_queries(place: Place) -> None:
    units = [place.unit(f"{0x5000 + i:X}") for i in range(100)]
    for unit, client in zip(
        units[:3], (place.client, place.neighbour, place.other_client), strict=True
    ):
        place_unit(place.tech, unit, client=client, active_from=TODAY)
    AlarmUnit.objects.filter(pk__in=[u.pk for u in units[:10]]).update(connection_lost=True)
    ingest([incoming(units[0].dc09_account, "old")])
    batch = []
    for i, unit in enumerate(units):
        batch.append(incoming(unit.dc09_account, f"a{i}", at=T0))
        batch.append(incoming(unit.dc09_account, events=(), at=T0))  # and a heartbeat
    batch[1] = incoming(units[0].dc09_account, "old")  # a duplicate for a heartbeat
    assert len(batch) == 200
    with CaptureQueriesContext(connection) as queries:
        outcomes = ingest(batch)
    assert outcomes.count(STORED) == 199
    assert outcomes.count(DUPLICATE) == 1
    assert Alarm.objects.filter(kind="alarm").count() == 1 + 100
    assert Alarm.objects.filter(kind="restore").count() == 10
    assert OutboxMessage.objects.count() == 1 + 100
    # units, stored keys, placements; signals, the lost units' open connection-lost alarms
    # (to close), alarms and outbox (SQLite splits inserts by its parameter limit); one
    # update of the units; the savepoint.
    assert len(queries) <= 13, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_a_database_failure_fails_the_batch_without_logging_the_frames(
    unit: AlarmUnit, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(alarm_ingest, "_touch", broken)
    batch = [incoming("1001", "k1", raw=SECRET_PAYLOAD), incoming("FFFF")]
    assert ingest(batch) == [FAILED, FAILED]
    assert not Signal.objects.exists()  # nothing half-written
    assert "disk full" in caplog.text
    assert "portkod" not in caplog.text
    assert ingest([incoming("1001", "k1")]) == [FAILED]  # still broken
    monkeypatch.undo()
    assert ingest([incoming("1001", "k1")]) == [STORED]  # the unit's retry gets in


def test_a_copy_that_slips_past_the_look_up_is_caught_by_the_constraint(
    unit: AlarmUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest([incoming("1001", "k1")])
    real = alarm_ingest._stored_before
    calls: list[int] = []

    def blind_once(keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
        calls.append(1)
        return set() if len(calls) == 1 else real(keys)

    monkeypatch.setattr(alarm_ingest, "_stored_before", blind_once)
    assert ingest([incoming("1001", "k2"), incoming("1001", "k1")]) == [STORED, DUPLICATE]
    assert len(calls) == 2
    assert Signal.objects.count() == 2
    assert Alarm.objects.count() == 2


def test_keys_and_frames_stay_out_of_the_logs(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    encrypted = place.unit("2001", key=KEY)
    assert alarm_ingest.dc09_keys(None) == {"2001": [bytes.fromhex(KEY)]}
    assert alarm_ingest.dc09_keys(place.elsewhere.pk) == {}
    ingest(
        [
            incoming("2001", "k1", raw=SECRET_PAYLOAD),
            incoming("2002", "k2", raw=SECRET_PAYLOAD),
            incoming("2001", "", raw=SECRET_PAYLOAD),
        ]
    )
    for record in caplog.records:
        text = record.getMessage()
        assert KEY not in text.upper()
        assert "portkod" not in text
    assert KEY not in str(encrypted)
    assert KEY not in repr(encrypted)
    assert "portkod" not in repr(incoming("2001", raw=SECRET_PAYLOAD))


@pytest.mark.django_db(transaction=True)
def test_two_receivers_with_the_same_frame_store_it_once(place: Place) -> None:
    """The second waits on the unit's lock, then finds the first's committed copy."""
    if connection.vendor != "postgresql":
        # SQLite has no row locks; IMMEDIATE transactions let one writer in at a time.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    place.unit("1001")
    frame = incoming("1001", "seq-42")
    stored, release = threading.Event(), threading.Event()
    outcomes: dict[str, list[IngestOutcome]] = {}

    def first() -> None:
        try:
            with transaction.atomic():  # held open: the receiver has not committed yet
                outcomes["first"] = ingest([frame])
                stored.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            outcomes["second"] = ingest([frame])
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert stored.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.5)
    assert b.is_alive(), "the second ingest did not wait for the unit's lock"
    release.set()
    a.join(10)
    b.join(10)
    assert outcomes == {"first": [STORED], "second": [DUPLICATE]}
    assert Signal.objects.count() == 1


def test_the_stored_time_is_aware_utc(unit: AlarmUnit) -> None:
    ingest([incoming("1001", at=timezone.now())])
    assert timezone.is_aware(Signal.objects.get().received_at)
