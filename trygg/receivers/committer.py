"""Group commit between the asyncio receivers and the synchronous ingest.

Every connection of every receiver in the process hands its decoded messages to one
`GroupCommitter`. It stores them on a single database thread: whatever arrived while the
previous batch was being committed goes into the next batch together, so under load one
transaction (and one fsync) serves many frames, and when traffic is light a frame is
committed as soon as it arrives. Each caller awaits its own outcome and answers the unit
only then: an acknowledged message is always committed (DESIGN §2, durability rule).

When the database fails, the ingest reports FAILED for the whole batch; the committer drops
the thread's connection (the next batch opens a new one) and waits a little before the
next attempt, doubling the wait up to `max_backoff`, so a receiver whose database is down
keeps refusing to acknowledge without spinning, and recovers by itself when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections, connection

from . import registry
from .incoming import IncomingSignal, IngestOutcome
from .registry import IngestFunction

logger = logging.getLogger(__name__)

T = TypeVar("T")
_Item = tuple[IncomingSignal, "asyncio.Future[IngestOutcome]"]


def _close_connection() -> None:
    connection.close()


class GroupCommitter:
    """Collects messages from any number of connections and stores them in batches."""

    def __init__(
        self,
        ingest: IngestFunction | None = None,
        *,
        max_batch: int = 500,
        max_backoff: float = 2.0,
    ) -> None:
        # The registered ingest unless one is given (tests); looked up once, not per batch.
        self._ingest = ingest if ingest is not None else registry.get_ingest()
        self.max_batch = max_batch
        self.max_backoff = max_backoff
        # None is the sentinel `close` puts in to end the loop after the current batch.
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trygg-ingest")
        self._task: asyncio.Task[None] | None = None
        self._backoff = 0.0
        # Figures for the benchmark and the log: batches committed and messages in them.
        self.batches = 0
        self.messages = 0
        self.failures = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def close(self, timeout: float = 10.0) -> None:
        """Stop taking messages: the batch being stored is finished (its callers get their
        answers), and whatever is still queued gets FAILED (no acknowledgement)."""
        if self._task is not None:
            self._queue.put_nowait(None)
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout)
            self._task = None
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None and not item[1].done():
                item[1].set_result(IngestOutcome.FAILED)
        loop = asyncio.get_running_loop()
        # Looked up on the thread: `connection` is per thread, and this one is the thread's.
        await loop.run_in_executor(self._executor, _close_connection)
        self._executor.shutdown(wait=True)

    async def submit(self, signal: IncomingSignal) -> IngestOutcome:
        """Store one message; returns once it is committed (or known not to be)."""
        return (await self.submit_many([signal]))[0]

    async def submit_many(self, signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
        """Several messages from one read, each with its outcome, in order."""
        if not self.running:  # closed, or never started: nothing would ever answer
            return [IngestOutcome.FAILED] * len(signals)
        loop = asyncio.get_running_loop()
        futures = []
        for signal in signals:
            future: asyncio.Future[IngestOutcome] = loop.create_future()
            self._queue.put_nowait((signal, future))
            futures.append(future)
        if len(futures) == 1:  # the common case, without gather's future around it
            return [await futures[0]]
        return list(await asyncio.gather(*futures))

    async def run_on_db_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run a query (a receiver's look-up) on the database thread, between batches."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self._call, function, *args)
        )

    @staticmethod
    def _call(function: Callable[..., T], *args: Any) -> T:
        close_old_connections()
        try:
            return function(*args)
        except Exception:
            connection.close()
            raise

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    closing = True
                    break
                batch.append(item)
            signals = [signal for signal, _ in batch]
            outcomes = await loop.run_in_executor(self._executor, self._store, signals)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the caller's connection may have gone meanwhile
                    future.set_result(outcome)
            if self._backoff and not closing:
                await asyncio.sleep(self._backoff)

    def _store(self, signals: list[IncomingSignal]) -> list[IngestOutcome]:
        """On the database thread: one batch, one transaction."""
        close_old_connections()
        try:
            outcomes = self._ingest(signals)
        except Exception:  # never let one batch stop the receiver
            logger.exception("Alarm ingest raised for a batch of %d", len(signals))
            outcomes = [IngestOutcome.FAILED] * len(signals)
        if len(outcomes) != len(signals):  # a broken ingest must not leave callers waiting
            logger.error("Alarm ingest answered %d of %d messages", len(outcomes), len(signals))
            outcomes = [IngestOutcome.FAILED] * len(signals)
        if signals and all(outcome is IngestOutcome.FAILED for outcome in outcomes):
            self.failures += 1
            self._backoff = min(self.max_backoff, max(0.05, self._backoff * 2))
            if self._backoff == self.max_backoff or self.failures == 1:
                logger.error(
                    "Alarm ingest failed: not acknowledging; next try in %.2f s", self._backoff
                )
            connection.close()  # a broken connection is replaced on the next batch
        else:
            if self._backoff:
                logger.warning("Alarm ingest works again after %d failed batches", self.failures)
            self._backoff = 0.0
            self.batches += 1
            self.messages += len(signals)
        return outcomes
