"""Migration alarms/0004: the alarm outbox's pending rows become `alarm.*` messages of the
core outbox, in their order, and come back when it is reversed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from trygg.alarms.ingest import ingest
from trygg.alarms.models import Alarm
from trygg.core import outbox
from trygg.core.models import OutboxMessage

from .conftest import DAY, Duty, incoming

BEFORE = [("alarms", "0003_shift_around_the_clock")]
OLD_TABLE = "alarms_alarmoutbox"


def _old_rows() -> list[tuple[int, str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT alarm_id, topic, delivered_at IS NULL FROM {OLD_TABLE} ORDER BY id"  # noqa: S608
        )
        return [(alarm_id, topic, bool(pending)) for alarm_id, topic, pending in cursor.fetchall()]


def _pending() -> list[tuple[str, str, int]]:
    return list(
        OutboxMessage.objects.filter(delivered_at__isnull=True)
        .order_by("pk")
        .values_list("stream", "topic", "subject_id")
    )


@pytest.mark.django_db(transaction=True)
def test_the_pending_alarm_outbox_moves_to_the_core_outbox_and_back(duty: Duty) -> None:
    ingest([incoming("1001", at=DAY) for _ in range(3)])
    first, second, third = Alarm.objects.order_by("pk").values_list("pk", flat=True)
    OutboxMessage.objects.filter(subject_id=first).update(delivered_at=DAY)
    outbox.write_many(outbox.rows("lookin.missed", [7]))  # another app's: left alone
    outbox.write_many(outbox.rows("alarm.closed", [10**9]))  # an alarm deleted since
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        # Back: the pending alarm messages, in order, where their alarm still exists.
        assert _old_rows() == [(second, "alarm.raised", True), (third, "alarm.raised", True)]
        assert _pending() == [("lookin", "lookin.missed", 7)]
        # As the old code wrote them: a delivered row and a pending one after the others.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {OLD_TABLE} (alarm_id, topic, created_at, delivered_at)"  # noqa: S608
                " VALUES (%s, 'alarm.raised', %s, %s), (%s, 'alarm.closed', %s, NULL)",
                [first, DAY, DAY, first, DAY + dt.timedelta(seconds=5)],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    # Forward: the pending rows in their order, after what was pending already.
    assert _pending() == [
        ("lookin", "lookin.missed", 7),
        ("alarm", "alarm.raised", second),
        ("alarm", "alarm.raised", third),
        ("alarm", "alarm.closed", first),
    ]
    closed = OutboxMessage.objects.get(topic="alarm.closed")
    assert (closed.created_at, closed.attempts, closed.payload) == (
        DAY + dt.timedelta(seconds=5),
        0,
        None,
    )
    assert OLD_TABLE not in connection.introspection.table_names()
