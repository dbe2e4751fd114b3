"""`trygg worker`: the periodic jobs and the continuous loops (alarm delivery and escalation)."""

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
            for name, _function in worker.loops():
                self.stdout.write(f"{name}  continuous")
            return
        if options["once"]:
            for name, done in worker.run_once().items():
                self.stdout.write(f"{name}: {'failed' if done is None else done}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        names = [job.name for job in worker.jobs()] + [name for name, _f in worker.loops()]
        self.stdout.write(f"Trygg worker running: {', '.join(names) or 'none'}.")
        threads = worker.start_loops(stop)
        worker.run_forever(stop)
        for thread in threads:
            thread.join(timeout=10)
        self.stdout.write("Trygg worker stopped.")
