"""The outbox (DESIGN §2): a change that someone must be told of is written as a row in the
change's own transaction, and delivered after it, by whichever app handles its topic.

Writing. An app calls `write(topic, subject_id)` inside the transaction that makes the
change, so a rolled-back change leaves no message. `write_many` takes many at once,
`write_ids` many without payload and without a model instance each (alarms raised by the
thousand), and a hot path with a bulk insert of its own (the alarm ingest) inserts
`rows(...)` itself and then calls `notify`. A topic reads "<app>.<what happened>"
("alarm.raised", "lookin.missed") and says what `subject_id` is the id of; an optional small
JSON payload may add ids or states. Never personal data: operators read these rows, and
they are kept for a week.

Handlers. An app registers, when it loads (`AppConfig.ready`), one handler per topic or
topic prefix ("alarm." covers "alarm.raised" and "alarm.closed"; two registrations never
cover one topic). A handler takes a list of messages, oldest first, and the delivery's time,
and returns; if it raises, nothing it wrote is kept and the messages are tried again later.

Delivery (`deliver`). For each handler with something due, one transaction claims up to
`batch` due messages, oldest first, calls the handler and marks them delivered. What the
handler writes commits with the mark, so a handler that writes rows (routes an alarm,
writes a notification) does so exactly once; one that talks to the outside world does that
after commit (`transaction.on_commit`) or must bear being called again. The claim is one
statement, `WITH claim AS MATERIALIZED (SELECT id … pending and due … ORDER BY id LIMIT n
FOR UPDATE SKIP LOCKED) UPDATE … SET attempts = attempts + 1 FROM claim … RETURNING …`: on
PostgreSQL a second deliverer skips the rows the first holds and takes the next ones (and a
row delivered meanwhile fails the re-check FOR UPDATE makes); on SQLite the statement runs
under the database's one write lock, so whoever comes second finds the rows delivered.
Before any of that, one read: an idle pass takes no write lock (on SQLite the lock the
ingest needs; see commit 28eeb92). The reads and the claim walk the partial index
`outbox_pending` (pending rows only, by the topic's first part and id), so neither the
history nor another app's backlog slows them.

Order. A handler gets its topics' messages in the order they were written, batch after
batch. Two deliverers side by side (PostgreSQL, several workers) hand over consecutive
batches at the same time, and a message that failed is retried after newer ones: a handler
must not rely on more order than that.

Failures, the healthchecks way. A batch whose handler raises is rolled back and tried again
one message at a time, so one bad message does not hold back the others. A message that
fails on its own is pushed back (`next_attempt_at`: RETRY_FIRST, four times longer each
time, at most RETRY_MAX), counted (`attempts`) and described (`last_error`: the exception's
type and where it was raised, never its text, which may quote a row's personal data), and
never dropped. A topic nobody handles is left pending, logged, and looked at again every
UNHANDLED_RETRY.

Who delivers. The worker job `core.outbox` (every second) delivers every registered topic
whose handler is not `own_loop`. A topic that must arrive within a fraction of a second
(alarms) is registered `own_loop=True` and delivered by a worker loop of the app's own,
`deliver(("alarm.",))`, woken by `subscribe(("alarm.",))`: every write publishes a wake-up
on the event bus when it commits (`notify`). A wake-up can be lost (the bus delivers at
most once); the rows are the truth, so such a loop also looks every second or so. The job
`core.outbox_prune` (hourly) forgets messages delivered more than KEEP_DELIVERED ago.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from trygg.lib.bulkinsert import insert_values

from . import events
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# The messages, and the delivery's time: taken once the claim holds its rows (on SQLite
# BEGIN may have waited for the ingest), or the `now` given to `deliver` (tests).
Handler = Callable[[list[OutboxMessage], dt.datetime], object]

DEFAULT_BATCH = 100
# A payload is a few ids or states: anything bigger belongs in the subject's own rows.
MAX_PAYLOAD = 2000  # bytes of JSON
# After a failure: 2 s, 8 s, 32 s, about 2 and 8.5 minutes, then every 15 minutes.
RETRY_FIRST = dt.timedelta(seconds=2)
RETRY_MAX = dt.timedelta(minutes=15)
UNHANDLED_RETRY = dt.timedelta(minutes=5)
NO_HANDLER = "no handler registered"
KEEP_DELIVERED = dt.timedelta(days=7)
# How long the worker job drains before the other jobs get their turn.
JOB_BUDGET = 5.0  # seconds

_NAME = r"[a-z][a-z0-9_]*"
_TOPIC = re.compile(rf"{_NAME}(\.{_NAME})+")
_PREFIX = re.compile(rf"({_NAME}\.)+")
_TOPIC_MAX = 64


@dataclass(frozen=True)
class Registration:
    """Who delivers a topic, or every topic under a prefix."""

    key: str  # a topic ("lookin.missed") or a prefix ending in a dot ("alarm.")
    handler: Handler
    batch: int
    own_loop: bool


_registry: dict[str, Registration] = {}


def register(
    topic_or_prefix: str,
    handler: Handler,
    *,
    batch: int = DEFAULT_BATCH,
    own_loop: bool = False,
) -> None:
    """Deliver the messages of a topic, or of every topic under a prefix ending in a dot,
    to `handler`, at most `batch` at a time. `own_loop`: the app delivers them from a loop
    of its own (`deliver(topics)`), and the worker job leaves them alone. Registering the
    same key again replaces its handler (an app loaded twice in tests)."""
    _check(topic_or_prefix, prefix=True)
    if batch < 1:
        raise ValueError("An outbox handler's batch must hold at least one message.")
    for other in _registry:
        if other != topic_or_prefix and _overlap(other, topic_or_prefix):
            raise ValueError(
                f"Outbox topic {topic_or_prefix!r} overlaps {other!r}: one handler per topic."
            )
    _registry[topic_or_prefix] = Registration(topic_or_prefix, handler, batch, own_loop)


def unregister(topic_or_prefix: str) -> None:
    _registry.pop(topic_or_prefix, None)


def registrations() -> list[Registration]:
    return sorted(_registry.values(), key=lambda registration: registration.key)


# Writing -------------------------------------------------------------------------------


def message(
    topic: str,
    subject_id: int,
    payload: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """A message, not saved yet: for `write_many`."""
    _check(topic)
    if payload is not None and len(json.dumps(payload).encode()) > MAX_PAYLOAD:
        raise ValueError(f"Outbox payload on {topic} is too large: send ids only.")
    return OutboxMessage(
        topic=topic,
        stream=_stream(topic),
        subject_id=subject_id,
        payload=payload,
        created_at=now or timezone.now(),
    )


def rows(
    topic: str, subject_ids: Iterable[int], *, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """Messages on one topic without payload, not saved yet: for `write_many`, or for a bulk
    insert of the caller's own (which then calls `notify`). Every concrete field is set, so
    an insert that writes each of them needs nothing from the model's defaults."""
    _check(topic)
    now = now or timezone.now()
    stream = _stream(topic)
    return [
        OutboxMessage(
            topic=topic,
            stream=stream,
            subject_id=subject_id,
            payload=None,
            created_at=now,
            next_attempt_at=None,
            delivered_at=None,
            attempts=0,
            last_error="",
        )
        for subject_id in subject_ids
    ]


def write_ids(topic: str, subject_ids: Sequence[int], *, now: dt.datetime | None = None) -> None:
    """Messages without payload on one topic, one per subject id, in one statement (a few on
    SQLite) in the current transaction, and no model instance made: a hot path's write
    (thousands of alarms raised at once). Their handler is woken on commit."""
    if not subject_ids:
        return
    _check(topic)
    now = now or timezone.now()
    stream = _stream(topic)
    insert_values(
        OutboxMessage,
        ("topic", "stream", "subject_id", "created_at"),
        [(topic, stream, subject_id, now) for subject_id in subject_ids],
    )
    notify([topic])


def write(topic: str, subject_id: int, payload: dict[str, Any] | None = None) -> OutboxMessage:
    """Write one message in the current transaction; its handler is woken on commit."""
    row = message(topic, subject_id, payload)
    row.save(force_insert=True)
    notify([topic])
    return row


def write_many(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Write messages (from `message` or `rows`) in one statement (a few on SQLite, by its
    parameter limit) in the current transaction; their handlers are woken on commit."""
    if not messages:
        return []
    for row in messages:
        _check(row.topic)
        row.stream = _stream(row.topic)
    written = OutboxMessage.objects.bulk_create(messages)
    notify({row.topic for row in messages})
    return written


def channel(topic_or_prefix: str) -> str:
    """The event-bus channel that wakes the deliverers of a topic: one per app ("alarm.raised"
    and "alarm.closed" share "outbox.alarm")."""
    return "outbox." + _stream(topic_or_prefix)


def notify(topics: Iterable[str]) -> None:
    """Wake the loops that deliver these topics once the current transaction commits (at
    once outside one): one event per app, carrying nothing."""
    channels = sorted({channel(topic) for topic in topics})
    if channels:
        events.publish_many([events.Event(name, {}) for name in channels])


def subscribe(topics: Iterable[str]) -> events.Subscription:
    """Wake-ups for a loop that delivers `topics` itself: `get(timeout)` returns an event
    soon after a message on one of them is committed."""
    return events.subscribe({channel(topic) for topic in topics})


# Delivering ----------------------------------------------------------------------------


def deliver(
    topics: Iterable[str] | None = None,
    *,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """One pass: for each handler with messages due, one batch (at most `limit`). Returns
    how many messages were delivered; call again while it returns more than nothing.

    `topics` (topics and prefixes, "alarm."): only these, whoever handles them, for a loop
    of an app's own. None: every topic whose handler is not `own_loop`, and topics with no
    handler at all are logged and set aside (the worker job)."""
    at = now or timezone.now()
    due = OutboxMessage.objects.due(at)
    chosen: list[tuple[Registration, Q]] = []
    if topics is None:
        own = [_match(r.key) for r in _registry.values() if r.own_loop]
        ours = due.exclude(reduce(or_, own)) if own else due
        # The idle case, every second: one read of an empty index, no write lock.
        if not ours.exists():
            return 0
        chosen = [(r, _match(r.key)) for r in registrations() if not r.own_loop]
    else:
        wanted = list(topics)
        for key in wanted:
            _check(key, prefix=True)
        for registration in registrations():
            # The narrower of two overlapping keys is the one that starts with the other.
            narrower = [
                _match(max(key, registration.key, key=len))
                for key in wanted
                if _overlap(key, registration.key)
            ]
            if narrower:
                chosen.append((registration, reduce(or_, narrower)))
    delivered = 0
    for registration, condition in chosen:
        size = min(registration.batch, limit) if limit else registration.batch
        # A read before the write transaction, as above.
        if due.filter(condition).exists():
            delivered += _deliver_batch(registration, condition, size, at, now)
    if topics is None:
        _set_aside_unhandled(at)
    return delivered


def deliver_all() -> int:
    """The worker job `core.outbox`: deliver until nothing is due, for at most JOB_BUDGET
    seconds. Returns how many messages were delivered."""
    started = time.monotonic()
    total = 0
    while True:
        done = deliver()
        total += done
        if not done or time.monotonic() - started > JOB_BUDGET:
            return total


def prune_delivered(now: dt.datetime | None = None, *, chunk: int = 1000) -> int:
    """The worker job `core.outbox_prune`: forget messages delivered more than
    KEEP_DELIVERED ago, a chunk per short transaction. Returns how many were removed."""
    cutoff = (now or timezone.now()) - KEEP_DELIVERED
    removed = 0
    while True:
        # The oldest first, by primary key: the old delivered rows are at its start.
        ids = list(
            OutboxMessage.objects.filter(delivered_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if ids:
            removed += OutboxMessage.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < chunk:
            return removed


def _deliver_batch(
    registration: Registration, condition: Q, size: int, at: dt.datetime, now: dt.datetime | None
) -> int:
    """Claim a batch due at `at`, hand it over and mark it delivered, in one transaction."""
    claimed: list[OutboxMessage] = []
    try:
        with transaction.atomic():
            claimed = _claim(condition, size, at)
            if not claimed:
                return 0  # another deliverer took them since the read
            moment = now or timezone.now()
            registration.handler(list(claimed), moment)
            OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(delivered_at=moment)
        return len(claimed)
    except Exception as exc:
        if not claimed:
            raise  # the claim itself failed: the database, not a message
        if len(claimed) == 1:
            _failed(registration, claimed[0], now or timezone.now(), exc)
            return 0
    # Rolled back, claim and all. One at a time, so that a bad message holds back nobody.
    logger.warning(
        "Outbox: the %s handler failed on a batch of %d messages; trying them one at a time",
        registration.key,
        len(claimed),
    )
    return sum(_deliver_one(registration, condition, m.pk, at, now) for m in claimed)


def _deliver_one(
    registration: Registration, condition: Q, pk: int, at: dt.datetime, now: dt.datetime | None
) -> int:
    claimed: list[OutboxMessage] = []
    try:
        with transaction.atomic():
            claimed = _claim(condition & Q(pk=pk), 1, at)
            if not claimed:
                return 0  # delivered by another deliverer meanwhile
            moment = now or timezone.now()
            registration.handler(list(claimed), moment)
            OutboxMessage.objects.filter(pk=pk).update(delivered_at=moment)
        return 1
    except Exception as exc:
        if not claimed:
            raise
        _failed(registration, claimed[0], now or timezone.now(), exc)
        return 0


def _claim(condition: Q, size: int, at: dt.datetime) -> list[OutboxMessage]:
    """Claim up to `size` due messages matching `condition` for this transaction, oldest
    first: counted as attempted, returned. One statement (see the module's docstring).
    MATERIALIZED: the locking SELECT runs once, so no more than `size` rows are taken."""
    oldest = OutboxMessage.objects.due(at).filter(condition).order_by("pk").values_list("pk")[:size]
    if connection.features.has_select_for_update_skip_locked:
        oldest = oldest.select_for_update(skip_locked=True)
    select, params = oldest.query.sql_with_params()
    meta = OutboxMessage._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    column = {f.attname: quote(str(f.column)) for f in fields}
    attempts = column["attempts"]
    # Joined FROM the claim, which drives: a few rows looked up by primary key. (Written
    # as `id IN (SELECT …)`, PostgreSQL planned a scan of every pending row against it.)
    sql = (
        f"WITH claim (pk) AS MATERIALIZED ({select})"  # noqa: S608 (names, and the ORM's SQL)
        f" UPDATE {table} SET {attempts} = {attempts} + 1"
        f" FROM claim WHERE {table}.{column['id']} = claim.pk"
        f" RETURNING {', '.join(f'{table}.{name}' for name in column.values())}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    # The values as the ORM would give them (dates on SQLite, the JSON payload).
    compiler = OutboxMessage.objects.all().query.get_compiler(connection=connection)
    converters = compiler.get_converters([f.get_col(meta.db_table) for f in fields])
    values = compiler.apply_converters(found, converters) if converters else found
    names = [f.attname for f in fields]
    claimed = [OutboxMessage.from_db(connection.alias, names, list(row)) for row in values]
    return sorted(claimed, key=lambda m: m.pk)


def _failed(
    registration: Registration, message: OutboxMessage, at: dt.datetime, exc: Exception
) -> None:
    """Push a message that failed on its own back, with what went wrong (not its text)."""
    error = _describe(exc)
    retry_at = at + _backoff(message.attempts)
    logger.error(
        "Outbox: the %s handler failed on message %s (%s %s), attempt %d: %s; next try at"
        " %s. The exception's text is left out: it may quote personal data.\n%s",
        registration.key,
        message.pk,
        message.topic,
        message.subject_id,
        message.attempts,
        error,
        retry_at.isoformat(),
        _trace(exc),
    )
    # The claim's count was rolled back with the handler: counted again here. Only while
    # still pending: another deliverer may have delivered it since.
    OutboxMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
        attempts=F("attempts") + 1, next_attempt_at=retry_at, last_error=error
    )


def _backoff(attempts: int) -> dt.timedelta:
    return min(RETRY_FIRST * 4 ** min(max(attempts - 1, 0), 12), RETRY_MAX)


def _set_aside_unhandled(at: dt.datetime) -> None:
    """Messages on topics no registration covers: logged, and not looked at again for
    UNHANDLED_RETRY (nor do they weigh on every pass's "anything due?"). Never dropped: an
    app that registers a handler later gets them."""
    stray = OutboxMessage.objects.due(at)
    if _registry:
        stray = stray.exclude(reduce(or_, (_match(key) for key in _registry)))
    counts = list(stray.values("topic").annotate(n=Count("pk")).order_by("topic")[:20])
    if not counts:
        return
    for row in counts:
        logger.warning(
            "Outbox: %d message(s) on topic %r have no handler registered; left pending,"
            " looked at again in %s",
            row["n"],
            row["topic"],
            UNHANDLED_RETRY,
        )
    stray.update(next_attempt_at=at + UNHANDLED_RETRY, last_error=NO_HANDLER)


# Topics --------------------------------------------------------------------------------


def _check(key: str, *, prefix: bool = False) -> None:
    if len(key) <= _TOPIC_MAX and (_TOPIC.fullmatch(key) or (prefix and _PREFIX.fullmatch(key))):
        return
    expected = "a topic like 'alarm.raised'" + (" or a prefix like 'alarm.'" if prefix else "")
    raise ValueError(f"Not an outbox topic: {key!r}; expected {expected}.")


def _stream(key: str) -> str:
    return key.split(".", 1)[0]


def _match(key: str) -> Q:
    """The messages a topic or prefix covers, by their stream first: the pending index's."""
    stream = _stream(key)
    if key == stream + ".":
        return Q(stream=stream)
    return (
        Q(stream=stream, topic__startswith=key)
        if key.endswith(".")
        else Q(stream=stream, topic=key)
    )


def _overlap(a: str, b: str) -> bool:
    """Whether two topics or prefixes cover a common topic."""
    return a == b or (a.endswith(".") and b.startswith(a)) or (b.endswith(".") and a.startswith(b))


def _describe(exc: BaseException) -> str:
    """An exception's type and the innermost place it was raised: what a developer needs,
    without its text."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        path = frames[-1].filename
        path = path[path.rfind("trygg/") :] if "trygg/" in path else path.rsplit("/", 1)[-1]
        where = f" at {path}:{frames[-1].lineno}"
    return f"{type(exc).__name__}{where}"[:200]


def _trace(exc: BaseException) -> str:
    """An exception's traceback without its text."""
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()
