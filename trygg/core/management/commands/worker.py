"""`trygg worker`: the periodic jobs (e-mail retries now; supervision and escalation later)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trygg import worker


class Command(BaseCommand):
    help = "Run the worker loop: every registered job at its interval, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--list", action="store_true", help="List the jobs and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in worker.jobs():
                self.stdout.write(f"{job.name}  every {job.every:g} s")
            return
        if options["once"]:
            for name, done in worker.run_once().items():
                self.stdout.write(f"{name}: {'failed' if done is None else done}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        names = ", ".join(job.name for job in worker.jobs()) or "none"
        self.stdout.write(f"Trygg worker running: {names}.")
        worker.run_forever(stop)
        self.stdout.write("Trygg worker stopped.")
