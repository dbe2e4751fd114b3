"""The outbox: written in the change's transaction, delivered after it by the handler of its
topic, oldest first, once; a failing handler retried later without holding back anyone; an
idle pass that only reads; a topic nobody handles kept and reported; the worker's job."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trygg import worker
from trygg.core import outbox
from trygg.core.models import OutboxMessage
from trygg.core.tests.concurrency import in_threads

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
PERSON = " ".join(["Anna Andersson", "19121212-1212"])


class Recorder:
    """A handler that notes what it was given; it fails while `fail(batch)` says so. Safe
    to share between threads."""

    def __init__(self, fail: Callable[[list[OutboxMessage]], bool] | None = None) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.fail = fail
        self.now: dt.datetime | None = None
        self._lock = threading.Lock()

    def __call__(self, messages: list[OutboxMessage], now: dt.datetime) -> None:
        self.now = now
        if self.fail is not None and self.fail(messages):
            # As a careless handler might: the text quotes a person (a traceback shows
            # this line of code, not the values).
            raise ValueError(f"{PERSON} could not be told")
        with self._lock:
            self.batches.append([(m.topic, m.subject_id) for m in messages])

    @property
    def delivered(self) -> list[tuple[str, int]]:
        return [item for batch in self.batches for item in batch]


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, outbox.Registration]:
    """Each test registers its own handlers; the apps' stay untouched."""
    fresh: dict[str, outbox.Registration] = {}
    monkeypatch.setattr(outbox, "_registry", fresh)
    return fresh


def pending() -> list[tuple[str, int]]:
    return list(
        OutboxMessage.objects.filter(delivered_at__isnull=True)
        .order_by("pk")
        .values_list("topic", "subject_id")
    )


# Writing -------------------------------------------------------------------------------


def _failing_change(topic: str) -> None:
    with transaction.atomic():
        outbox.write(topic, 7)
        raise RuntimeError("the change failed")


def test_a_message_rolls_back_with_the_change_that_wrote_it() -> None:
    with pytest.raises(RuntimeError):
        _failing_change("lookin.missed")
    assert not OutboxMessage.objects.exists()

    with transaction.atomic():
        outbox.write("lookin.missed", 8, {"round": 3})
    message = OutboxMessage.objects.get()
    assert (message.topic, message.subject_id, message.payload) == (
        "lookin.missed",
        8,
        {"round": 3},
    )
    assert (message.delivered_at, message.next_attempt_at, message.attempts) == (None, None, 0)


def test_many_messages_are_written_in_one_go() -> None:
    written = outbox.write_many(
        [
            *outbox.rows("lock.battery_low", [3, 1, 2], now=NOW),
            outbox.message("visit.flagged", 9, {"reason": "late"}),
        ]
    )
    assert all(m.pk for m in written)
    assert pending() == [
        ("lock.battery_low", 3),
        ("lock.battery_low", 1),
        ("lock.battery_low", 2),
        ("visit.flagged", 9),
    ]
    assert OutboxMessage.objects.filter(topic="lock.battery_low").first().created_at == NOW  # type: ignore[union-attr]


def test_rows_for_a_bulk_insert_set_every_field() -> None:
    """The ingest inserts them with its own bulk insert, which writes every concrete field
    as it is on the instance, defaults included."""
    [row] = outbox.rows("alarm.raised", [5], now=NOW)
    for field in OutboxMessage._meta.concrete_fields:
        if not field.primary_key:
            assert field.attname in row.__dict__, field.attname
    assert (row.next_attempt_at, row.delivered_at, row.attempts, row.last_error) == (
        None,
        None,
        0,
        "",
    )


@pytest.mark.parametrize("topic", ["alarm", "Alarm.raised", "alarm.", "alarm..raised", "a.b c", ""])
def test_a_topic_must_read_app_dot_event(topic: str) -> None:
    with pytest.raises(ValueError, match="Not an outbox topic"):
        outbox.write(topic, 1)


def test_a_payload_carries_ids_not_documents() -> None:
    with pytest.raises(ValueError, match="too large"):
        outbox.write("visit.flagged", 1, {"note": "x" * 3000})


@pytest.mark.django_db(transaction=True)
def test_a_write_wakes_the_loops_of_its_app_after_commit() -> None:
    alarms = outbox.subscribe(["alarm."])
    locks = outbox.subscribe(["lock.battery_low"])
    with transaction.atomic():
        outbox.write_many(outbox.rows("alarm.raised", [1, 2]) + outbox.rows("alarm.closed", [3]))
        assert alarms.get(timeout=0.3) is None  # not before the commit
    event = alarms.get(timeout=5)
    assert event is not None
    assert event.channel == "outbox.alarm"
    assert alarms.get(timeout=0.3) is None  # one wake-up for the app, not one per message
    assert locks.get(timeout=0) is None  # another app's loop sleeps on


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_wakes_nobody() -> None:
    alarms = outbox.subscribe(["alarm."])
    with pytest.raises(RuntimeError):
        _failing_change("alarm.raised")
    assert alarms.get(timeout=0.5) is None


# Registering ---------------------------------------------------------------------------


def test_one_handler_per_topic() -> None:
    outbox.register("alarm.", Recorder())
    with pytest.raises(ValueError, match="overlaps"):
        outbox.register("alarm.raised", Recorder())
    outbox.register("alarms.raised", Recorder())  # another app: the dot ends the name
    outbox.register("alarm.", Recorder(), batch=5)  # the same key again replaces it
    assert [(r.key, r.batch) for r in outbox.registrations()] == [
        ("alarm.", 5),
        ("alarms.raised", outbox.DEFAULT_BATCH),
    ]
    with pytest.raises(ValueError, match="Not an outbox topic"):
        outbox.register("alarm", Recorder())
    with pytest.raises(ValueError, match="at least one"):
        outbox.register("lock.opened", Recorder(), batch=0)


# Delivering ----------------------------------------------------------------------------


def test_messages_are_delivered_oldest_first_in_batches_and_once() -> None:
    handler = Recorder()
    outbox.register("lookin.missed", handler, batch=3)
    outbox.write_many(outbox.rows("lookin.missed", [5, 4, 3, 2, 1]))
    assert outbox.deliver(now=NOW) == 3
    assert outbox.deliver(now=NOW) == 2
    assert outbox.deliver(now=NOW) == 0
    assert handler.batches == [
        [("lookin.missed", 5), ("lookin.missed", 4), ("lookin.missed", 3)],
        [("lookin.missed", 2), ("lookin.missed", 1)],
    ]
    assert pending() == []
    assert set(OutboxMessage.objects.values_list("delivered_at", "attempts")) == {(NOW, 1)}


def test_a_prefix_handler_gets_its_topics_together_in_the_order_written() -> None:
    handler = Recorder()
    outbox.register("alarm.", handler)
    outbox.write("alarm.raised", 1)
    outbox.write("alarm.closed", 1)
    outbox.write("alarm.raised", 2)
    assert outbox.deliver(("alarm.",), now=NOW) == 3
    assert handler.batches == [[("alarm.raised", 1), ("alarm.closed", 1), ("alarm.raised", 2)]]


def test_a_handler_gets_the_messages_as_written() -> None:
    seen: list[OutboxMessage] = []
    outbox.register("visit.flagged", lambda messages, now: seen.extend(messages))
    outbox.write("visit.flagged", 4, {"reason": "late", "minutes": 20})
    outbox.deliver(now=NOW)
    [message] = seen
    assert (message.topic, message.subject_id, message.payload) == (
        "visit.flagged",
        4,
        {"reason": "late", "minutes": 20},
    )
    assert message.created_at <= timezone.now()
    assert message.attempts == 1


def test_a_handler_is_given_the_deliverys_time() -> None:
    handler = Recorder()
    outbox.register("visit.flagged", handler)
    outbox.write("visit.flagged", 1)
    outbox.deliver(now=NOW)  # a test's clock
    assert handler.now == NOW
    outbox.write("visit.flagged", 2)
    before = timezone.now()
    outbox.deliver()  # the clock once the claim holds the rows
    assert handler.now is not None
    assert before <= handler.now <= timezone.now()
    assert OutboxMessage.objects.get(subject_id=2).delivered_at == handler.now


def test_what_the_handler_writes_commits_with_the_delivery() -> None:
    def escalate(messages: list[OutboxMessage], now: dt.datetime) -> None:
        for message in messages:
            outbox.write("lookin.escalated", message.subject_id)

    outbox.register("lookin.missed", escalate)
    outbox.register("lookin.escalated", Recorder())
    outbox.write("lookin.missed", 6)
    assert outbox.deliver(("lookin.missed",), now=NOW) == 1
    assert pending() == [("lookin.escalated", 6)]


def test_a_failing_handler_keeps_nothing_it_wrote_and_is_tried_again_later() -> None:
    broken = True

    def escalate(messages: list[OutboxMessage], now: dt.datetime) -> None:
        for message in messages:
            outbox.write("lookin.escalated", message.subject_id)
        if broken:
            raise ValueError(f"{PERSON} could not be told")

    outbox.register("lookin.missed", escalate)
    outbox.write("lookin.missed", 6)
    assert outbox.deliver(now=NOW) == 0
    message = OutboxMessage.objects.get()  # the handler's own message rolled back
    assert (message.delivered_at, message.attempts) == (None, 1)
    assert message.next_attempt_at == NOW + 2 * SECOND
    assert message.last_error.startswith("ValueError at trygg/core/tests/test_outbox.py:")

    assert outbox.deliver(now=NOW + SECOND) == 0  # not yet due: not even tried
    assert OutboxMessage.objects.get().attempts == 1
    assert outbox.deliver(now=NOW + 2 * SECOND) == 0  # failed again: four times longer
    message = OutboxMessage.objects.get()
    assert (message.attempts, message.next_attempt_at) == (2, NOW + 10 * SECOND)

    broken = False
    assert outbox.deliver(now=NOW + 10 * SECOND) == 1
    message = OutboxMessage.objects.get(topic="lookin.missed")
    assert (message.delivered_at, message.attempts) == (NOW + 10 * SECOND, 3)
    assert pending() == [("lookin.escalated", 6)]


def test_the_retry_grows_to_a_ceiling_and_never_gives_up() -> None:
    delays = [outbox._backoff(n) for n in (1, 2, 3, 4, 5, 6, 50, 10_000)]
    assert delays[:5] == [2 * SECOND, 8 * SECOND, 32 * SECOND, 128 * SECOND, 512 * SECOND]
    assert delays[5:] == [outbox.RETRY_MAX] * 3


def test_a_bad_message_does_not_hold_back_the_rest_of_its_batch() -> None:
    handler = Recorder(fail=lambda batch: any(m.subject_id == 13 for m in batch))
    outbox.register("lock.battery_low", handler)
    outbox.write_many(outbox.rows("lock.battery_low", [11, 12, 13, 14]))
    assert outbox.deliver(now=NOW) == 3
    assert handler.batches == [
        [("lock.battery_low", 11)],
        [("lock.battery_low", 12)],
        [("lock.battery_low", 14)],
    ]
    stuck = OutboxMessage.objects.get(delivered_at__isnull=True)
    assert (stuck.subject_id, stuck.attempts, stuck.next_attempt_at) == (13, 1, NOW + 2 * SECOND)


def test_a_failing_topic_does_not_block_another() -> None:
    broken, working = Recorder(fail=lambda batch: True), Recorder()
    outbox.register("lock.battery_low", broken)
    outbox.register("visit.flagged", working)
    outbox.write("lock.battery_low", 1)
    outbox.write("visit.flagged", 2)
    assert outbox.deliver(now=NOW) == 1
    assert working.delivered == [("visit.flagged", 2)]
    assert pending() == [("lock.battery_low", 1)]


def test_the_error_text_is_neither_stored_nor_logged(caplog: pytest.LogCaptureFixture) -> None:
    outbox.register("lookin.missed", Recorder(fail=lambda batch: True))
    outbox.write_many(outbox.rows("lookin.missed", [1, 2]))
    outbox.deliver(now=NOW)
    assert "failed on a batch of 2 messages; trying them one at a time" in caplog.text
    assert caplog.text.count("the lookin.missed handler failed on message") == 2
    assert "ValueError at trygg/core/tests/test_outbox.py" in caplog.text
    assert "in __call__" in caplog.text  # the traceback, for whoever fixes it
    assert "19121212" not in caplog.text
    assert "Anna" not in caplog.text
    assert not OutboxMessage.objects.filter(last_error__contains="Anna").exists()


def test_a_topic_nobody_handles_is_kept_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    handler = Recorder()
    outbox.register("visit.flagged", handler)
    outbox.write_many(outbox.rows("lock.battery_low", [1, 2]) + outbox.rows("visit.flagged", [3]))
    assert outbox.deliver(now=NOW) == 1
    assert "2 message(s) on topic 'lock.battery_low' have no handler registered" in caplog.text
    stray = OutboxMessage.objects.filter(topic="lock.battery_low")
    assert set(stray.values_list("delivered_at", "next_attempt_at", "last_error")) == {
        (None, NOW + outbox.UNHANDLED_RETRY, outbox.NO_HANDLER)
    }

    caplog.clear()
    assert outbox.deliver(now=NOW + SECOND) == 0
    assert "no handler" not in caplog.text  # reported once, not every second

    # An app registers a handler (after a deploy): it gets them when they are due again.
    late = Recorder()
    outbox.register("lock.", late)
    assert outbox.deliver(now=NOW + outbox.UNHANDLED_RETRY) == 2
    assert late.delivered == [("lock.battery_low", 1), ("lock.battery_low", 2)]


def test_named_topics_are_delivered_only_when_asked_for() -> None:
    alarms, lookins = Recorder(), Recorder()
    outbox.register("alarm.", alarms, own_loop=True)
    outbox.register("lookin.missed", lookins)
    outbox.write("alarm.raised", 1)
    outbox.write("alarm.closed", 2)
    outbox.write("lookin.missed", 3)

    assert outbox.deliver(now=NOW) == 1  # the job: not the topics with a loop of their own
    assert (alarms.delivered, lookins.delivered) == ([], [("lookin.missed", 3)])

    assert outbox.deliver(("alarm.closed",), now=NOW) == 1  # part of a prefix
    assert outbox.deliver(("alarm.",), now=NOW) == 1
    assert alarms.batches == [[("alarm.closed", 2)], [("alarm.raised", 1)]]
    assert pending() == []


def test_an_idle_pass_only_reads() -> None:
    """On SQLite a write transaction holds the database's one lock, which the ingest needs:
    a pass with nothing to deliver takes none, whatever else is pending."""
    outbox.register("alarm.", Recorder(), own_loop=True)
    outbox.register("lookin.missed", Recorder())
    outbox.write("lookin.missed", 1)
    with CaptureQueriesContext(connection) as queries:
        assert outbox.deliver(("alarm.",), now=NOW) == 0
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]

    outbox.deliver(now=NOW)
    outbox.write("alarm.raised", 2)  # pending, but for the alarm loop
    with CaptureQueriesContext(connection) as queries:
        assert outbox.deliver(now=NOW) == 0
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test table is tiny, so the planner would rather scan it: what matters is
            # that it can use the index, and that the query implies the index's condition.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_the_reads_and_the_claim_go_through_the_index_of_pending_messages() -> None:
    outbox.register("alarm.", Recorder(), own_loop=True)
    outbox.register("lookin.missed", Recorder())
    with CaptureQueriesContext(connection) as queries:
        outbox.deliver(("alarm.",), now=NOW)  # idle
        outbox.deliver(now=NOW)  # idle
        outbox.write("alarm.raised", 1)
        outbox.deliver(("alarm.",), now=NOW)  # the read, and the claim
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("SELECT", "WITH")) and "next_attempt_at" in q["sql"]
    ]
    assert [sql.split()[0] for sql in reads] == ["SELECT", "SELECT", "SELECT", "WITH"]
    for sql in reads:
        if sql.startswith("WITH"):  # its locking SELECT is what reads the pending rows
            sql = sql[sql.index("(SELECT") + 1 : sql.index(") UPDATE")]
            sql = sql.replace(" FOR UPDATE SKIP LOCKED", "")
        assert "outbox_pending" in _plan(sql), sql


# Several deliverers --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_deliverers_racing_deliver_each_message_once() -> None:
    handler = Recorder()
    outbox.register("lookin.missed", handler, batch=7)
    outbox.write_many(outbox.rows("lookin.missed", range(300)))

    def drain() -> int:
        done = 0
        while delivered := outbox.deliver(now=NOW):
            done += delivered
        return done

    results = in_threads(drain, drain)
    assert sorted(handler.delivered) == [("lookin.missed", n) for n in range(300)]
    assert sum(r for r in results if isinstance(r, int)) == 300
    assert pending() == []
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    for batch in handler.batches:  # each batch oldest first
        assert batch == sorted(batch)


@pytest.mark.django_db(transaction=True)
def test_a_second_deliverer_takes_the_next_messages_not_the_held_ones() -> None:
    """PostgreSQL: the second skips the rows the first holds and delivers the next ones at
    once. SQLite: it waits for the first to commit (one writer at a time), then finds the
    first batch delivered and takes the next."""
    inside, release = threading.Event(), threading.Event()
    got: dict[str, list[int]] = {}

    def handler(messages: list[OutboxMessage], now: dt.datetime) -> None:
        name = threading.current_thread().name
        got[name] = [m.subject_id for m in messages]
        if name == "first":
            inside.set()
            assert release.wait(10)

    outbox.register("lookin.missed", handler, batch=5)
    outbox.write_many(outbox.rows("lookin.missed", range(10)))

    def first() -> int:
        threading.current_thread().name = "first"
        return outbox.deliver(now=NOW)

    def second() -> tuple[int, bool]:
        threading.current_thread().name = "second"
        assert inside.wait(10)
        if connection.vendor == "postgresql":
            done = outbox.deliver(now=NOW)  # must not wait for the first
            held = not release.is_set()
            release.set()
            return done, held
        threading.Timer(0.3, release.set).start()  # the second is blocked by then
        return outbox.deliver(now=NOW), True

    assert in_threads(first, second) == [5, (5, True)]
    assert got == {"first": [0, 1, 2, 3, 4], "second": [5, 6, 7, 8, 9]}
    assert pending() == []


# The worker ----------------------------------------------------------------------------


def test_the_worker_job_delivers_every_topic_without_a_loop_of_its_own() -> None:
    jobs = {job.name: job for job in worker.jobs()}
    assert jobs["core.outbox"].every == 1
    assert jobs["core.outbox"].run == outbox.deliver_all
    handler = Recorder()
    outbox.register("visit.flagged", handler, batch=2)
    outbox.register("alarm.", Recorder(), own_loop=True)
    outbox.write_many(
        outbox.rows("visit.flagged", [1, 2, 3, 4, 5]) + outbox.rows("alarm.raised", [6])
    )
    assert jobs["core.outbox"].run() == 5  # drained, batch after batch
    assert pending() == [("alarm.raised", 6)]
    assert jobs["core.outbox"].run() == 0


def test_the_job_stops_draining_after_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    outbox.register("visit.flagged", Recorder(), batch=1)
    outbox.write_many(outbox.rows("visit.flagged", [1, 2, 3]))
    monkeypatch.setattr(outbox, "JOB_BUDGET", 0.0)
    assert outbox.deliver_all() == 1  # the rest in a second, after the other jobs
    assert len(pending()) == 2


def test_delivered_messages_are_forgotten_after_a_week() -> None:
    outbox.register("visit.flagged", Recorder())
    outbox.write_many(outbox.rows("visit.flagged", [1, 2]))
    outbox.deliver(now=NOW)
    outbox.write_many(outbox.rows("visit.flagged", [3]))  # pending: kept however old
    outbox.write_many(outbox.rows("lock.battery_low", [4]))
    jobs = {job.name: job for job in worker.jobs()}
    assert jobs["core.outbox_prune"].run == outbox.prune_delivered
    assert outbox.prune_delivered(NOW + outbox.KEEP_DELIVERED) == 0
    assert outbox.prune_delivered(NOW + outbox.KEEP_DELIVERED + SECOND, chunk=1) == 2
    assert pending() == [("visit.flagged", 3), ("lock.battery_low", 4)]
    assert OutboxMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_deliverer_loop_wakes_at_once_on_a_write() -> None:
    """How an app's own loop uses the outbox: deliver, then wait for a wake-up (or a
    second). Delivered well before the second is up."""
    handler = Recorder()
    outbox.register("alarm.", handler, own_loop=True)
    wake = outbox.subscribe(["alarm."])
    stop = threading.Event()
    delivered = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if outbox.deliver(("alarm.",)):
                delivered.set()
            wake.get(timeout=1.0)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        time.sleep(0.1)  # the loop's first, idle pass is over
        with transaction.atomic():
            outbox.write("alarm.raised", 1)
        started = time.monotonic()
        assert delivered.wait(5)
        assert time.monotonic() - started < 0.9
    finally:
        stop.set()
        thread.join(5)
    assert handler.delivered == [("alarm.raised", 1)]
