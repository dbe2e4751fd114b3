"""Heartbeat supervision: a unit silent past its deadline raises one connection-lost alarm,
its next message restores it, several workers never raise a unit twice, and a burst of
silent units costs a few statements per batch through the partial index."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trygg import worker
from trygg.alarms import ingest as alarm_ingest
from trygg.alarms.heartbeats import FAILED_UNIT_RETRY, OUTBOX_TOPIC, raise_lost_connections
from trygg.alarms.ingest import OUTBOX_CLOSED, OUTBOX_RAISED, ingest
from trygg.alarms.models import Alarm, AlarmAction, AlarmEvent, AlarmStatus
from trygg.core.models import Municipality, OutboxMessage
from trygg.core.tests.concurrency import in_threads
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit, AlarmUnitKind
from trygg.devices.services import move_unit, place_unit
from trygg.lib.bulkinsert import COPY_FROM
from trygg.receivers.incoming import IngestOutcome

from .conftest import Place, incoming

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
DEADLINE = T0 + dt.timedelta(seconds=300 + 60)  # interval + grace after T0
SECOND = dt.timedelta(seconds=1)


def heard(unit: AlarmUnit, at: dt.datetime) -> None:
    """A heartbeat from the unit, through the ingest as a receiver hands it over."""
    assert ingest([incoming(unit.dc09_account, events=(), at=at)]) == [IngestOutcome.STORED]


def fresh(unit: AlarmUnit) -> AlarmUnit:
    return AlarmUnit.objects.get(pk=unit.pk)


@pytest.fixture
def unit(place: Place) -> AlarmUnit:
    unit = place.unit("1001")
    place_unit(place.tech, unit, client=place.client, active_from=TODAY - dt.timedelta(days=30))
    heard(unit, T0)
    return unit


def silent_units(place: Place, n: int, *, due: dt.datetime) -> list[AlarmUnit]:
    """`n` units last heard from `interval + grace` before `due`, the first three placed;
    inserted in bulk, as registering thousands one by one would take minutes."""
    units = AlarmUnit.objects.bulk_create(
        AlarmUnit(
            municipality=place.municipality,
            model_name="Testlarm 1",
            serial_number=f"BURST-{i:05d}",
            protocol=AlarmProtocol.DC09,
            dc09_account=f"{0xB0000 + i:X}",
            heartbeat_interval=300,
            heartbeat_grace=60,
            last_seen_at=due - dt.timedelta(seconds=360),
            supervision_due_at=due - dt.timedelta(milliseconds=i),
        )
        for i in range(n)
    )
    clients = (place.client, place.neighbour, place.other_client)
    AlarmPlacement.objects.bulk_create(
        AlarmPlacement(unit=unit, client=client, active_from=TODAY)
        for unit, client in zip(units, clients, strict=False)
    )
    return units


# Raised once, when due ----------------------------------------------------------------------


def test_a_silent_unit_raises_one_technical_alarm_for_its_holder(
    place: Place, unit: AlarmUnit
) -> None:
    assert raise_lost_connections(DEADLINE + SECOND) == 1
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status) == ("connection_lost", "technical", "open")
    assert (alarm.code, alarm.text) == ("connection", "Connection lost")
    assert alarm.unit_id == unit.pk
    assert alarm.signal is None  # Trygg noticed it; no message raised it
    assert alarm.placement == AlarmPlacement.objects.get(unit=unit)
    assert (alarm.client, alarm.provider) == (place.client, place.provider)
    assert alarm.municipality == place.municipality
    assert alarm.created_at == DEADLINE + SECOND
    outbox = OutboxMessage.objects.get()
    assert (outbox.subject_id, outbox.topic, outbox.delivered_at) == (alarm.pk, OUTBOX_TOPIC, None)
    assert fresh(unit).connection_lost


def test_nothing_is_raised_before_the_deadline(unit: AlarmUnit) -> None:
    assert raise_lost_connections(DEADLINE - SECOND) == 0
    assert not Alarm.objects.exists()
    assert not fresh(unit).connection_lost


def test_the_deadline_itself_counts_as_silent(unit: AlarmUnit) -> None:
    assert raise_lost_connections(DEADLINE) == 1


def test_an_unsupervised_unit_is_never_raised(place: Place) -> None:
    unsupervised = place.unit("1002", interval=0)
    heard(unsupervised, T0)
    place.unit("1003")  # registered, never heard from: no deadline yet
    assert raise_lost_connections(T0 + dt.timedelta(days=365)) == 0
    assert not Alarm.objects.exists()


def test_running_again_raises_nothing_more(unit: AlarmUnit) -> None:
    assert raise_lost_connections(DEADLINE + SECOND) == 1
    assert raise_lost_connections(DEADLINE + 2 * SECOND) == 0
    assert raise_lost_connections(DEADLINE + dt.timedelta(days=1)) == 0
    assert Alarm.objects.count() == OutboxMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its connection around a job
def test_the_worker_runs_it_every_second(place: Place) -> None:
    job = {job.name: job for job in worker.jobs()}["alarms.heartbeats"]
    assert 1 <= job.every <= 2
    unit = place.unit("1004")
    heard(unit, timezone.now() - dt.timedelta(seconds=361))
    assert worker.run_once()["alarms.heartbeats"] == 1
    assert worker.run_once()["alarms.heartbeats"] == 0


# Restore and re-arm --------------------------------------------------------------------------


def test_a_message_after_the_loss_restores_and_rearms_supervision(
    place: Place, unit: AlarmUnit
) -> None:
    assert raise_lost_connections(DEADLINE + SECOND) == 1
    back = DEADLINE + dt.timedelta(minutes=10)
    heard(unit, back)
    restore = Alarm.objects.get(kind="restore")
    assert (restore.code, restore.status, restore.client) == ("connection", "closed", place.client)
    unit = fresh(unit)
    assert not unit.connection_lost
    second_deadline = back + dt.timedelta(seconds=360)
    assert unit.supervision_due_at == second_deadline
    assert raise_lost_connections(second_deadline - SECOND) == 0
    assert raise_lost_connections(second_deadline) == 1
    kinds = list(Alarm.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["connection_lost", "restore", "connection_lost"]
    assert OutboxMessage.objects.filter(topic=OUTBOX_TOPIC).count() == 2


def test_a_lost_connection_is_announced_like_any_alarm_that_needs_someone() -> None:
    assert OUTBOX_TOPIC == OUTBOX_RAISED == "alarm.raised"


def test_the_unit_heard_again_closes_its_connection_lost_alarm(
    place: Place, unit: AlarmUnit
) -> None:
    assert raise_lost_connections(DEADLINE + SECOND) == 1
    lost = Alarm.objects.get(kind="connection_lost")
    heard(unit, DEADLINE + dt.timedelta(minutes=10))
    lost.refresh_from_db()
    assert (lost.status, lost.closed_by, lost.escalate_at) == ("closed", None, None)
    assert lost.closed_at is not None
    restore = Alarm.objects.get(kind="restore")
    assert lost.closed_at == restore.created_at  # in the restore's own transaction
    # Its log says Trygg closed it (no actor) because the unit was heard again.
    event = AlarmEvent.objects.get(alarm=lost)
    assert (event.action, event.actor, event.at) == (AlarmAction.RESTORED, None, lost.closed_at)
    assert "heard again" in event.note
    assert f"alarm {restore.pk}" in event.note
    # Raised, then closed, for the consoles; the restore itself is history only.
    topics = (
        OutboxMessage.objects.filter(stream="alarm", subject_id=lost.pk)
        .order_by("id")
        .values_list("topic", flat=True)
    )
    assert list(topics) == [OUTBOX_RAISED, OUTBOX_CLOSED]
    assert not OutboxMessage.objects.filter(stream="alarm", subject_id=restore.pk).exists()


def test_an_acknowledged_lost_connection_is_closed_too(unit: AlarmUnit) -> None:
    raise_lost_connections(DEADLINE + SECOND)
    Alarm.objects.update(status=AlarmStatus.ACKNOWLEDGED, acknowledged_at=DEADLINE)
    heard(unit, DEADLINE + dt.timedelta(minutes=10))
    assert Alarm.objects.get(kind="connection_lost").status == "closed"


def test_a_lost_connection_someone_closed_already_is_left_as_it_is(unit: AlarmUnit) -> None:
    raise_lost_connections(DEADLINE + SECOND)
    closed_at = DEADLINE + dt.timedelta(minutes=1)
    Alarm.objects.update(status=AlarmStatus.CLOSED, closed_at=closed_at)
    heard(unit, DEADLINE + dt.timedelta(minutes=10))
    lost = Alarm.objects.get(kind="connection_lost")
    assert (lost.status, lost.closed_at) == ("closed", closed_at)
    assert not AlarmEvent.objects.exists()
    assert not OutboxMessage.objects.filter(topic=OUTBOX_CLOSED).exists()
    assert Alarm.objects.filter(kind="restore").count() == 1  # the restore is still recorded


def test_only_the_unit_heard_from_has_its_lost_connection_closed(place: Place) -> None:
    first, second = place.unit("1005"), place.unit("1006")
    heard(first, T0)
    heard(second, T0)
    assert raise_lost_connections(DEADLINE + SECOND) == 2
    heard(first, DEADLINE + dt.timedelta(minutes=10))
    statuses = dict(Alarm.objects.filter(kind="connection_lost").values_list("unit", "status"))
    assert statuses == {first.pk: "closed", second.pk: "open"}


def test_a_restore_that_is_not_committed_closes_nothing(
    unit: AlarmUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_lost_connections(DEADLINE + SECOND)

    def broken(*args: object) -> None:
        raise OperationalError("disk full")

    monkeypatch.setattr(alarm_ingest, "_touch", broken)
    message = incoming(unit.dc09_account, events=(), at=DEADLINE + dt.timedelta(minutes=10))
    assert ingest([message]) == [IngestOutcome.FAILED]
    assert Alarm.objects.get().status == "open"  # the connection-lost alarm, alone
    assert not AlarmEvent.objects.exists()
    assert fresh(unit).connection_lost
    monkeypatch.undo()
    assert ingest([message]) == [IngestOutcome.STORED]  # the unit sends it again
    assert Alarm.objects.get(kind="connection_lost").status == "closed"


def test_a_unit_that_keeps_reporting_is_never_raised(unit: AlarmUnit) -> None:
    for minutes in range(5, 60, 5):
        at = T0 + dt.timedelta(minutes=minutes)
        heard(unit, at)
        assert raise_lost_connections(at + dt.timedelta(seconds=359)) == 0
    assert not Alarm.objects.exists()


# Who it belongs to ---------------------------------------------------------------------------


def test_the_holder_is_the_one_on_the_local_day_the_unit_went_silent(place: Place) -> None:
    unit = place.unit("1005")
    place_unit(place.tech, unit, client=place.client, active_from=TODAY - dt.timedelta(days=30))
    move_unit(place.tech, unit, TODAY, client=place.neighbour)
    # Silent from 00:30 on the 20th in Stockholm (23:30 UTC on the 19th): the new holder's.
    heard(unit, dt.datetime(2026, 11, 19, 23, 24, tzinfo=dt.UTC))
    assert raise_lost_connections(dt.datetime(2026, 11, 19, 23, 31, tzinfo=dt.UTC)) == 1
    assert Alarm.objects.get().client == place.neighbour


def test_an_emergency_alarm_is_its_providers_and_a_unit_in_stock_nobodys(place: Place) -> None:
    emergency = place.unit("3001", kind=AlarmUnitKind.EMERGENCY_ALARM)
    place_unit(place.tech, emergency, provider=place.other_provider, active_from=TODAY)
    in_stock = place.unit("3002")
    heard(emergency, T0)
    heard(in_stock, T0)
    assert raise_lost_connections(DEADLINE) == 2
    alarm = Alarm.objects.get(unit=emergency)
    assert (alarm.client, alarm.provider) == (None, place.other_provider)
    alarm = Alarm.objects.get(unit=in_stock)
    assert (alarm.placement, alarm.client, alarm.provider) == (None, None, None)


# A unit that fails ---------------------------------------------------------------------------


def test_a_unit_that_cannot_be_raised_is_pushed_back_not_retried_every_second(
    place: Place, unit: AlarmUnit, caplog: pytest.LogCaptureFixture
) -> None:
    broken = place.unit("2001", municipality=place.elsewhere)
    heard(broken, T0)
    Municipality.objects.filter(pk=place.elsewhere.pk).update(time_zone="Mars/Olympus_Mons")
    now = DEADLINE + SECOND
    assert raise_lost_connections(now) == 1  # the batch fails; the good unit still gets in
    assert Alarm.objects.get().unit_id == unit.pk
    assert f"Supervision of alarm unit {broken.pk} failed" in caplog.text
    broken = fresh(broken)
    assert not broken.connection_lost
    assert broken.supervision_due_at == now + FAILED_UNIT_RETRY
    caplog.clear()
    assert raise_lost_connections(now + SECOND) == 0
    assert not caplog.text  # not tried again at once
    Municipality.objects.filter(pk=place.elsewhere.pk).update(time_zone="Europe/Stockholm")
    assert raise_lost_connections(now + FAILED_UNIT_RETRY) == 1
    assert fresh(broken).connection_lost


# Cost ----------------------------------------------------------------------------------------


def test_a_burst_of_2000_silent_units_is_a_few_statements_per_batch(place: Place) -> None:
    """A mobile network outage: thousands of units fall silent within seconds."""
    units = silent_units(place, 2000, due=DEADLINE)
    with CaptureQueriesContext(connection) as queries:
        assert raise_lost_connections(DEADLINE + SECOND, limit=500) == 2000
    assert Alarm.objects.filter(kind="connection_lost").count() == 2000
    assert OutboxMessage.objects.filter(topic=OUTBOX_TOPIC).count() == 2000
    assert not AlarmUnit.objects.filter(pk__in=[u.pk for u in units], connection_lost=False)
    assert Alarm.objects.get(unit=units[1]).client == place.neighbour
    # Per batch of 500: is anything due, savepoint, lock, update, placements, release, and
    # the inserts of alarms and outbox rows; then one more "anything due?". PostgreSQL
    # inserts a batch in one statement each, or the outbox rows of a batch of COPY_FROM or
    # more with COPY, their ids reserved first (lib.bulkinsert); SQLite splits an insert by
    # its 999-parameter limit (so many rows a statement as the parameters allow).
    inserts = 2
    if connection.vendor == "sqlite":
        inserts = -(-500 // _rows_per_insert(Alarm)) + -(-500 // _rows_per_insert(OutboxMessage))
    elif COPY_FROM <= 500:
        inserts += 1
    # On PostgreSQL the dispatcher's wake-up is a NOTIFY in the batch's transaction.
    per_batch = 6 + inserts + (1 if connection.vendor == "postgresql" else 0)
    assert len(queries) <= 4 * per_batch + 1, "\n".join(
        q["sql"][:100] for q in queries.captured_queries
    )


def _rows_per_insert(model: type[Alarm] | type[OutboxMessage]) -> int:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return connection.ops.bulk_batch_size(fields, [])


def test_an_idle_run_is_one_indexed_read(place: Place) -> None:
    silent_units(place, 100, due=DEADLINE + dt.timedelta(minutes=5))
    with CaptureQueriesContext(connection) as queries:
        assert raise_lost_connections(DEADLINE) == 0
    assert len(queries) == 1


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test table is tiny, so the planner would rightly scan it whole; without
            # sequential scans it still picks the partial index only if the query implies
            # the index's condition, which is what this checks.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_the_due_units_are_read_through_the_partial_index(place: Place) -> None:
    silent_units(place, 50, due=DEADLINE)
    with CaptureQueriesContext(connection) as queries:
        assert raise_lost_connections(DEADLINE + SECOND) == 50
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and '"devices_alarmunit"."supervision_due_at" <=' in q["sql"]
    ]
    assert len(reads) == 2  # anything due; lock the batch
    for sql in reads:
        assert "alarmunit_supervision_due" in _plan(sql), sql


# Several workers -----------------------------------------------------------------------------


def _worker_loop(now: dt.datetime) -> int:
    """Runs until nothing is left, as the worker's loop would. SQLite's in-memory test
    database shares one cache between threads, where a second writer gets "table is
    locked" at once instead of waiting on the busy timeout as with a file; the worker
    retries a failed run a second later, and so does this, sooner."""
    raised = 0
    for _ in range(1000):
        try:
            count = raise_lost_connections(now, limit=50)
        except OperationalError:
            if connection.vendor != "sqlite":
                raise
            time.sleep(0.005)
            continue
        raised += count
        if not count:
            break
    return raised


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_raise_each_unit_once(place: Place) -> None:
    silent_units(place, 600, due=DEADLINE)
    now = DEADLINE + SECOND
    results = in_threads(lambda: _worker_loop(now), lambda: _worker_loop(now))
    assert Alarm.objects.count() == OutboxMessage.objects.count() == 600
    assert Alarm.objects.values("unit").distinct().count() == 600
    assert not AlarmUnit.objects.filter(connection_lost=False).exists()
    if connection.vendor == "postgresql":  # on SQLite a run that failed lost its count
        assert sum(r for r in results if isinstance(r, int)) == 600


def _postgresql_only() -> bool:
    if connection.vendor != "postgresql":
        # SQLite has no row locks: IMMEDIATE transactions let one writer in at a time, so a
        # second worker or the ingest waits for the whole claim to commit.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_the_units_the_first_holds(place: Place, unit: AlarmUnit) -> None:
    if not _postgresql_only():
        return
    claimed, release = threading.Event(), threading.Event()
    now = DEADLINE + SECOND

    def first() -> int:
        with transaction.atomic():  # its claim held open, uncommitted
            raised = raise_lost_connections(now)
            claimed.set()
            release.wait(10)
        return raised

    def second() -> int:
        assert claimed.wait(10)
        try:
            return raise_lost_connections(now)  # must not wait for the first's lock
        finally:
            release.set()

    assert in_threads(first, second) == [1, 0]
    assert Alarm.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_during_the_claim_ends_restored(place: Place, unit: AlarmUnit) -> None:
    """The worker holds the unit; the ingest waits, then sees it lost and restores it."""
    if not _postgresql_only():
        return
    claimed, release = threading.Event(), threading.Event()
    back = DEADLINE + 2 * SECOND

    def supervise() -> int:
        with transaction.atomic():
            raised = raise_lost_connections(DEADLINE + SECOND)
            claimed.set()
            release.wait(10)
        return raised

    def receive() -> list[IngestOutcome]:
        assert claimed.wait(10)
        timer = threading.Timer(0.5, release.set)  # the ingest is blocked by then
        timer.start()
        return ingest([incoming("1001", events=(), at=back)])

    assert in_threads(supervise, receive) == [1, [IngestOutcome.STORED]]
    assert list(Alarm.objects.order_by("id").values_list("kind", flat=True)) == [
        "connection_lost",
        "restore",
    ]
    unit = fresh(unit)
    assert not unit.connection_lost
    assert unit.supervision_due_at == back + dt.timedelta(seconds=360)


@pytest.mark.django_db(transaction=True)
def test_a_unit_heard_from_during_the_run_is_not_raised(place: Place, unit: AlarmUnit) -> None:
    """The ingest holds the unit, moving its deadline: the worker skips it, and once the
    ingest commits the unit is no longer due."""
    if not _postgresql_only():
        return
    received, release = threading.Event(), threading.Event()
    now = DEADLINE + SECOND

    def receive() -> list[IngestOutcome]:
        with transaction.atomic():
            outcomes = ingest([incoming("1001", events=(), at=DEADLINE)])
            received.set()
            release.wait(10)
        return outcomes

    def supervise() -> int:
        assert received.wait(10)
        try:
            return raise_lost_connections(now)  # skips the locked unit, does not wait
        finally:
            release.set()

    assert in_threads(receive, supervise) == [[IngestOutcome.STORED], 0]
    assert raise_lost_connections(now) == 0
    assert not Alarm.objects.exists()
    assert not fresh(unit).connection_lost
