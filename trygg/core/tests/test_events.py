"""The event bus: delivered after commit and never on rollback, to threads and to asyncio
subscribers, across processes on PostgreSQL, and a reload asked for when events may have
been missed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from django.db import connection, transaction

from trygg.core import events

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_event_arrives_after_commit_and_not_before() -> None:
    subscription = events.subscribe(["orders"])
    with transaction.atomic():
        events.publish("orders", {"order": 7})
        assert subscription.get(timeout=0.3) is None
    event = subscription.get(timeout=5)
    assert event is not None
    assert event.channel == "orders"
    assert event.data == {"order": 7}


def test_a_rolled_back_event_is_never_delivered() -> None:
    subscription = events.subscribe(["orders"])

    def failing_change() -> None:
        with transaction.atomic():
            events.publish("orders", {"order": 8})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert subscription.get(timeout=0.5) is None


def test_a_subscriber_hears_only_its_channels() -> None:
    north = events.subscribe(["alarms.1"])
    south = events.subscribe(["alarms.2"])
    events.publish("alarms.2", {"alarm": 1})
    event = south.get(timeout=5)
    assert event is not None
    assert event.data == {"alarm": 1}
    assert north.get(timeout=0.3) is None


def test_events_reach_an_asyncio_subscriber() -> None:
    async def listen() -> events.Event | None:
        subscription = events.subscribe(["alarms.1"], loop=asyncio.get_running_loop())
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _publish_in_a_thread)
        return await subscription.aget(timeout=5)

    event = asyncio.run(listen())
    assert event is not None
    assert event.data == {"alarm": 3}


def _publish_in_a_thread() -> None:
    from django.db import connections

    try:
        events.publish("alarms.1", {"alarm": 3})
    finally:
        connections.close_all()


def test_a_subscriber_that_falls_behind_is_told_to_reload() -> None:
    slow = events.Subscription(["alarms.1"], max_pending=3)
    for n in range(10):
        slow.deliver(events.Event("alarms.1", {"alarm": n}))
    got = [slow.get(timeout=0.1) for _ in range(5)]
    assert [e.data.get("alarm") if e else None for e in got[:3]] == [0, 1, 2]
    assert got[3] is not None
    assert got[3].is_resync
    assert got[4] is None
    slow.deliver(events.Event("alarms.1", {"alarm": 99}))  # caught up: events flow again
    event = slow.get(timeout=0.1)
    assert event is not None
    assert event.data == {"alarm": 99}


def test_an_event_too_large_for_the_bus_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        events.publish("alarms.1", {"text": "x" * 9000})


def test_postgresql_carries_events_from_another_process() -> None:
    if connection.vendor != "postgresql":
        # One process on SQLite: the bus stays in it (DESIGN §2).
        assert events.bus().name == "local"
        return
    assert events.bus().name == "postgresql"
    subscription = events.subscribe(["alarms.5"])
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'trygg.settings');"
        "django.setup();"
        "from django.db import connection; from trygg.core import events;"
        f"connection.settings_dict['NAME'] = {connection.settings_dict['NAME']!r};"
        "events.publish('alarms.5', {'alarm': 42})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    event = subscription.get(timeout=10)
    assert event is not None
    assert event.data == {"alarm": 42}


def test_a_lost_listening_connection_comes_back_and_asks_for_a_reload() -> None:
    if connection.vendor != "postgresql":
        assert events.bus().name == "local"  # no connection of its own to lose
        return
    subscription = events.subscribe(["alarms.6"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'trygg-events' AND datname = current_database()"
        )
    event = subscription.get(timeout=15)
    assert event is not None
    assert event.is_resync
    # Listening again: a new event gets through.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        events.publish("alarms.6", {"alarm": 1})
        event = subscription.get(timeout=0.5)
        if event is not None and not event.is_resync:
            break
    assert event is not None
    assert event.data == {"alarm": 1}


def test_a_batch_arrives_whole_and_in_order_after_commit() -> None:
    subscription = events.subscribe(["alarms.7"])
    with transaction.atomic():
        events.publish_many([events.Event("alarms.7", {"n": n}) for n in range(5)])
        assert subscription.get(timeout=0.3) is None
    got = [subscription.get(timeout=5) for _ in range(5)]
    assert [e.data["n"] if e else None for e in got] == [0, 1, 2, 3, 4]


def test_a_batch_is_one_statement_on_postgresql() -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        events.publish_many([events.Event("alarms.8", {"n": n}) for n in range(50)])
    notifies = [q for q in queries.captured_queries if "pg_notify" in q["sql"]]
    assert len(notifies) == (1 if connection.vendor == "postgresql" else 0)
