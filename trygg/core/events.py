"""The event bus: tells open consoles, phones and the alarm dispatcher that something
changed, right after the change is committed.

Two transports behind one interface (DESIGN §2):

- in-process, for the single-process default (`trygg serve` on SQLite): `publish` hands the
  event to this process's subscribers when the transaction commits;
- PostgreSQL LISTEN/NOTIFY, when several processes share one database: `publish` issues
  `pg_notify` in the publisher's transaction, so the server delivers it on commit and drops
  it on rollback, to every process; each process runs one listening connection that fans
  the notifications out to its own subscribers.

Events are small and carry ids and states, never personal data: a NOTIFY payload can show
up in the server's logs, and a subscriber decides for itself what its reader may see.
Delivery is at most once. A subscriber that may have missed events (it fell behind, or the
listening connection was lost and came back) gets a `RESYNC` event and reloads what it
shows from the database, which is always the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

RESYNC = "resync"
PG_CHANNEL = "trygg_events"
# PostgreSQL refuses NOTIFY payloads of 8,000 bytes and more.
MAX_PAYLOAD = 7900
# A subscriber this far behind is told to reload instead of being sent the backlog.
MAX_PENDING = 1000


@dataclass(frozen=True)
class Event:
    channel: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_resync(self) -> bool:
        return self.channel == RESYNC


class Subscription:
    """One subscriber's queue of events on some channels. Events are put from any thread;
    a thread reads them with `get`, an asyncio task (an SSE response) with `aget`."""

    def __init__(
        self,
        channels: Iterable[str],
        loop: asyncio.AbstractEventLoop | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.channels = frozenset(channels)
        self._loop = loop
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._pending = 0
        self._behind = False
        self._sync: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._async: asyncio.Queue[Event] | None = asyncio.Queue() if loop is not None else None

    def deliver(self, event: Event) -> None:
        with self._lock:
            if self._behind:
                return  # a RESYNC is already queued; it covers this event too
            if self._pending >= self._max_pending:
                self._behind = True
                event = Event(RESYNC, {"reason": "behind"})
            self._pending += 1
        if self._async is not None:
            assert self._loop is not None
            # A closed loop means the subscriber is going away: nothing to deliver to.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._async.put_nowait, event)
        else:
            self._sync.put(event)

    def _taken(self, event: Event) -> Event:
        with self._lock:
            self._pending -= 1
            if event.is_resync:
                self._behind = False
        return event

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after `timeout` seconds without one."""
        try:
            return self._taken(self._sync.get(timeout=timeout))
        except queue.Empty:
            return None

    async def aget(self, timeout: float | None = None) -> Event | None:
        assert self._async is not None, "subscribe with loop= to read from a coroutine"
        try:
            return self._taken(await asyncio.wait_for(self._async.get(), timeout))
        except TimeoutError:
            return None


class _Hub:
    """This process's subscribers, by channel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.add(subscription)

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def fan_out(self, event: Event) -> None:
        with self._lock:
            targets = [
                s for s in self._subscriptions if event.is_resync or event.channel in s.channels
            ]
        for subscription in targets:
            subscription.deliver(event)

    def count(self) -> int:
        with self._lock:
            return len(self._subscriptions)


class LocalBus:
    """Events within this process, handed over when the publishing transaction commits."""

    name = "local"

    def __init__(self) -> None:
        self.hub = _Hub()

    def publish(self, channel: str, data: dict[str, Any], *, using: str = "default") -> None:
        self.publish_many([Event(channel, data)], using=using)

    def publish_many(self, batch: list[Event], *, using: str = "default") -> None:
        for event in batch:
            _check_payload(event)

        def deliver() -> None:
            for event in batch:
                self.hub.fan_out(event)

        # Runs at once outside a transaction; after commit inside one, never on rollback.
        transaction.on_commit(deliver, using=using)

    def subscribe(
        self, channels: Iterable[str], loop: asyncio.AbstractEventLoop | None = None
    ) -> Subscription:
        subscription = Subscription(channels, loop)
        self.hub.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.hub.remove(subscription)

    def close(self) -> None:
        pass


class PostgresBus(LocalBus):
    """Events across processes through LISTEN/NOTIFY on one channel, `trygg_events`."""

    name = "postgresql"

    def __init__(self) -> None:
        super().__init__()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()

    def publish_many(self, batch: list[Event], *, using: str = "default") -> None:
        payloads = [_check_payload(event) for event in batch]
        if not payloads:
            return
        from django.db import connections

        # One statement for the batch; the server sends them in this order on commit.
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) WITH ORDINALITY"
                " AS t(payload, n) ORDER BY n",
                [PG_CHANNEL, payloads],
            )

    def subscribe(
        self, channels: Iterable[str], loop: asyncio.AbstractEventLoop | None = None
    ) -> Subscription:
        subscription = super().subscribe(channels, loop)
        self._ensure_listening()
        return subscription

    def _ensure_listening(self, wait: float = 5.0) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._listening.clear()
                self._thread = threading.Thread(
                    target=self._listen, name="trygg-events", daemon=True
                )
                self._thread.start()
        # An event published right after subscribing must not be missed: wait for LISTEN.
        if not self._listening.wait(wait):
            logger.warning("Event bus: not listening yet after %.0f s", wait)

    def _listen(self) -> None:
        import psycopg

        backoff = 0.2
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(**_conninfo(), autocommit=True) as listener:
                    listener.execute(f"LISTEN {PG_CHANNEL}")
                    self._listening.set()
                    backoff = 0.2
                    if lost:
                        # Whatever was published while we were away is gone: reload.
                        self.hub.fan_out(Event(RESYNC, {"reason": "reconnected"}))
                        lost = False
                    while not self._stop.is_set():
                        for notify in listener.notifies(timeout=1.0):
                            self._dispatch(notify.payload)
            except Exception as exc:  # psycopg.Error and the OSErrors beneath it
                if self._stop.is_set():
                    break
                lost = True
                self._listening.clear()
                logger.warning("Event bus: listening connection lost (%s); retrying", exc)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _dispatch(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            event = Event(str(message["c"]), dict(message["d"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("Event bus: ignored a malformed notification")
            return
        self.hub.fan_out(event)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _check_payload(event: Event) -> str:
    payload = json.dumps({"c": event.channel, "d": event.data}, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"Event on {event.channel} is too large for the bus: send ids only.")
    return payload


def _conninfo() -> dict[str, Any]:
    """The default database's connection settings, for the listener's own connection. The
    settings dict is read now, so that a test database's name is the one used."""
    params = connection.settings_dict
    info: dict[str, Any] = {
        "dbname": params["NAME"],
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "application_name": "trygg-events",
    }
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
        if key in params.get("OPTIONS", {}):
            info[key] = params["OPTIONS"][key]
    return {k: v for k, v in info.items() if v is not None}


_bus: LocalBus | None = None
_bus_lock = threading.Lock()


def bus() -> LocalBus:
    """The process's bus, chosen by settings.EVENT_BUS ("local", "postgresql", or "auto":
    PostgreSQL when the database is PostgreSQL)."""
    global _bus
    if _bus is None:
        with _bus_lock:
            if _bus is None:
                choice = getattr(settings, "EVENT_BUS", "auto")
                if choice == "auto":
                    choice = "postgresql" if connection.vendor == "postgresql" else "local"
                if choice not in ("local", "postgresql"):
                    raise ValueError(f"EVENT_BUS must be auto, local or postgresql: {choice!r}")
                _bus = PostgresBus() if choice == "postgresql" else LocalBus()
    return _bus


def reset_bus() -> None:
    """Close the bus; the next use opens a new one (tests, and after settings change)."""
    global _bus
    with _bus_lock:
        if _bus is not None:
            _bus.close()
        _bus = None


def publish(channel: str, data: dict[str, Any], *, using: str = "default") -> None:
    """Announce `data` on `channel` once the current transaction commits."""
    bus().publish(channel, data, using=using)


def publish_many(batch: list[Event], *, using: str = "default") -> None:
    """Several events in one go (one statement on PostgreSQL), in order, on commit."""
    bus().publish_many(batch, using=using)


def subscribe(
    channels: Iterable[str], loop: asyncio.AbstractEventLoop | None = None
) -> Subscription:
    return bus().subscribe(channels, loop)


def unsubscribe(subscription: Subscription) -> None:
    bus().unsubscribe(subscription)
