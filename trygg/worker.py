"""The worker loop: periodic jobs that move state along, with the database as the queue.

Apps register their jobs when they load (`AppConfig.ready`)::

    worker.register("notifications.email", every=60)(send_pending_emails)

A job takes no arguments and returns how many things it did. It claims its rows itself
(a conditional UPDATE, or SKIP LOCKED), so any number of `trygg worker` processes can run
side by side against one PostgreSQL; `trygg serve` runs one loop in a thread of its own.
One job failing is logged and does not stop the others.

Work that must react within a fraction of a second (delivering new alarms) cannot wait
for its turn in that loop: it registers a loop of its own (`register_loop`), which gets a
thread and runs until the stop event is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)

JobFunction = Callable[[], int]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    every: float  # seconds between runs


_jobs: dict[str, Job] = {}
LoopFunction = Callable[[threading.Event], None]
_loops: dict[str, LoopFunction] = {}


def register(name: str, *, every: float) -> Callable[[JobFunction], JobFunction]:
    """Run the decorated function every `every` seconds in the worker loop."""
    if every <= 0:
        raise ValueError("A job's interval must be positive.")

    def decorate(function: JobFunction) -> JobFunction:
        _jobs[name] = Job(name, function, every)
        return function

    return decorate


def register_loop(name: str) -> Callable[[LoopFunction], LoopFunction]:
    """Run the decorated function, which loops until its stop event is set, in a thread
    of its own beside the job loop."""

    def decorate(function: LoopFunction) -> LoopFunction:
        _loops[name] = function
        return function

    return decorate


def loops() -> list[tuple[str, LoopFunction]]:
    return sorted(_loops.items())


def _guarded(name: str, function: LoopFunction, stop: threading.Event) -> None:
    # A loop that crashes is restarted after a pause: alarms must keep flowing.
    while not stop.is_set():
        try:
            function(stop)
        except Exception:
            logger.exception("Worker loop %s failed; restarting", name)
        stop.wait(1.0)


def start_loops(stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for name, function in loops():
        thread = threading.Thread(
            target=_guarded, args=(name, function, stop), name=f"trygg-{name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def run_job(job: Job) -> int | None:
    """Run one job; its failure is logged, not raised. Returns what it did, None on failure."""
    close_old_connections()  # a connection the database dropped while we slept
    try:
        return job.run()
    except Exception:
        logger.exception("Worker job %s failed", job.name)
        return None
    finally:
        close_old_connections()


def run_once() -> dict[str, int | None]:
    """Every job once, now: for `trygg worker --once`, cron and tests."""
    return {job.name: run_job(job) for job in jobs()}


def run_forever(stop: threading.Event, *, tick: float = 1.0) -> None:
    """Run each job when its interval has passed, until `stop` is set."""
    last: dict[str, float] = {}
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs():
            if now - last.get(job.name, float("-inf")) >= job.every:
                last[job.name] = now
                run_job(job)
        stop.wait(tick)


def start_in_thread() -> tuple[threading.Thread, threading.Event]:
    """The job loop and every registered loop in daemon threads beside the web app
    (`trygg serve`)."""
    stop = threading.Event()
    start_loops(stop)
    thread = threading.Thread(target=run_forever, args=(stop,), name="trygg-worker", daemon=True)
    thread.start()
    return thread, stop
