"""The group committer: batches what arrives together, answers every caller, and never
leaves a caller waiting for an answer that will not come."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from trygg.receivers.committer import GroupCommitter
from trygg.receivers.incoming import IncomingSignal, IngestOutcome

STORED, FAILED = IngestOutcome.STORED, IngestOutcome.FAILED


def signal(n: int) -> IncomingSignal:
    return IncomingSignal(
        protocol="dc09",
        municipality_id=None,
        unit_ref="1001",
        dedupe_key=f"k{n}",
        received_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        events=(),
        raw=b"",
    )


class Recorder:
    """An ingest that stores nothing and records the batches it was given."""

    def __init__(self, answer: int | None = None) -> None:
        self.batches: list[int] = []
        self.answer = answer  # how many outcomes to give back; None: one per message

    def __call__(self, signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
        self.batches.append(len(signals))
        return [STORED] * (len(signals) if self.answer is None else self.answer)


def test_messages_that_arrive_together_share_a_batch() -> None:
    recorder = Recorder()

    async def main() -> list[IngestOutcome]:
        committer = GroupCommitter(recorder)
        committer.start()
        outcomes = await asyncio.gather(*(committer.submit(signal(n)) for n in range(50)))
        await committer.close()
        return list(outcomes)

    assert asyncio.run(main()) == [STORED] * 50
    assert sum(recorder.batches) == 50
    assert len(recorder.batches) < 50  # grouped, not one transaction each


def test_a_broken_ingest_fails_its_batch_and_the_next_batch_is_still_taken() -> None:
    recorder = Recorder(answer=0)

    async def main() -> tuple[IngestOutcome, IngestOutcome]:
        committer = GroupCommitter(recorder, max_backoff=0.01)
        committer.start()
        first = await asyncio.wait_for(committer.submit(signal(1)), 5)
        recorder.answer = None
        second = await asyncio.wait_for(committer.submit(signal(2)), 5)
        await committer.close()
        return first, second

    assert asyncio.run(main()) == (FAILED, STORED)


def test_after_close_nothing_is_acknowledged_and_nobody_waits() -> None:
    async def main() -> IngestOutcome:
        committer = GroupCommitter(Recorder())
        committer.start()
        await committer.close()
        return await asyncio.wait_for(committer.submit(signal(1)), 5)

    assert asyncio.run(main()) is FAILED
