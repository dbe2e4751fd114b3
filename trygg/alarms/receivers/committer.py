"""Group commit between the asyncio receivers and the synchronous ingest.

Every connection of every receiver in the process hands its decoded messages to one
`GroupCommitter`. It stores them on a single database thread: whatever arrived while the
previous batch was being committed goes into the next batch together, so under load one
transaction (and one fsync) serves many frames, and when traffic is light a frame is
committed as soon as it arrives. Each caller awaits its own outcome and answers the unit
only then: an acknowledged message is always committed (DESIGN §2, durability rule).

When the database fails, `ingest` reports FAILED for the whole batch; the committer drops
the thread's connection (the next batch opens a new one) and waits a little before the
next attempt, doubling the wait up to `max_backoff`, so a receiver whose database is down
keeps refusing to acknowledge without spinning, and recovers by itself when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection

from trygg.alarms.incoming import IncomingSignal, IngestOutcome

logger = logging.getLogger(__name__)

IngestFunction = Callable[[Sequence[IncomingSignal]], list[IngestOutcome]]


def _default_ingest(signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
    from trygg.alarms.services import ingest

    return ingest(signals)


class GroupCommitter:
    """Collects messages from any number of connections and stores them in batches."""

    def __init__(
        self,
        ingest: IngestFunction = _default_ingest,
        *,
        max_batch: int = 500,
        max_backoff: float = 2.0,
    ) -> None:
        self._ingest = ingest
        self.max_batch = max_batch
        self.max_backoff = max_backoff
        self._queue: asyncio.Queue[tuple[IncomingSignal, asyncio.Future[IngestOutcome]]] = (
            asyncio.Queue()
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trygg-ingest")
        self._task: asyncio.Task[None] | None = None
        self._backoff = 0.0
        # Figures for the benchmark and the log: batches committed and messages in them.
        self.batches = 0
        self.messages = 0
        self.failures = 0

    @property
    def healthy(self) -> bool:
        """False after a failed batch, until a batch is stored again."""
        return self._backoff == 0.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def close(self) -> None:
        """Stop taking messages; what is queued gets FAILED (no acknowledgement)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            _signal, future = self._queue.get_nowait()
            if not future.done():
                future.set_result(IngestOutcome.FAILED)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, connection.close)
        self._executor.shutdown(wait=True)

    async def submit(self, signal: IncomingSignal) -> IngestOutcome:
        """Store one message; returns once it is committed (or known not to be)."""
        future: asyncio.Future[IngestOutcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((signal, future))
        return await future

    async def submit_many(self, signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
        """Several messages from one read, each with its outcome, in order."""
        loop = asyncio.get_running_loop()
        futures = []
        for signal in signals:
            future: asyncio.Future[IngestOutcome] = loop.create_future()
            self._queue.put_nowait((signal, future))
            futures.append(future)
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            signals = [signal for signal, _ in batch]
            try:
                outcomes = await loop.run_in_executor(self._executor, self._store, signals)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_result(IngestOutcome.FAILED)
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the caller's connection may have gone meanwhile
                    future.set_result(outcome)
            if self._backoff:
                await asyncio.sleep(self._backoff)

    def _store(self, signals: list[IncomingSignal]) -> list[IngestOutcome]:
        """On the database thread: one batch, one transaction."""
        close_old_connections()
        try:
            outcomes = self._ingest(signals)
        except Exception:  # never let one batch stop the receiver
            logger.exception("Alarm ingest raised for a batch of %d", len(signals))
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
