"""`trygg serve`: the whole system in one process, under uvicorn."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trygg import worker
from trygg.core import demo
from trygg.receivers.runner import ReceiverOptions, ReceiverThread

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve Trygg: the web app and API, the alarm receivers and the worker loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations first."
        )
        parser.add_argument("--reload", action="store_true", help="Restart on code changes.")
        parser.add_argument(
            "--demo-logins",
            action="store_true",
            help="Once the server answers, print the demo's logins (`make demo` does).",
        )
        parser.add_argument(
            "--no-receivers",
            action="store_true",
            help="Do not run the alarm receivers here (run `trygg receive` processes instead).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the worker loop here (run `trygg worker` processes instead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"Trygg on http://{options['host']}:{options['port']}/ "
            f"(database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        receivers = None
        if not options["no_receivers"] and not options["reload"]:
            receivers = ReceiverThread(ReceiverOptions.from_settings())
            try:
                receivers.start()
            except OSError as exc:
                raise CommandError(
                    f"The alarm receivers cannot listen ({exc}). Another Trygg running? "
                    "Use --no-receivers, or set DC09_PORT and SCAIP_PORT."
                ) from exc
            for line in receivers.listening:
                self.stdout.write(f"Alarm receiver: {line}")
        if not options["no_worker"] and not options["reload"]:
            worker.start_in_thread()
        if options["demo_logins"]:
            self._announce_when_up(options["host"], options["port"])
        try:
            self._serve(options)
        finally:
            if receivers is not None:
                receivers.stop()

    def _announce_when_up(self, host: str, port: int) -> None:
        """The logins again, after the server's start-up lines: the ones `trygg seed` printed
        have scrolled away by the time someone opens the browser."""
        lines = demo.login_table(demo.demo_logins())
        if not lines:
            return

        def announce() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    socket.create_connection((host, port), timeout=1).close()
                except OSError:
                    time.sleep(0.2)
                    continue
                time.sleep(0.3)  # after uvicorn's own "running on" line
                self.stdout.write(f"\nTrygg is up: http://{host}:{port}/")
                for line in lines:
                    self.stdout.write(line)
                self.stdout.flush()
                return

        threading.Thread(target=announce, name="demo-logins", daemon=True).start()

    def _serve(self, options: dict[str, Any]) -> None:
        import uvicorn

        uvicorn.run(
            "trygg.asgi:application",
            host=options["host"],
            port=options["port"],
            reload=options["reload"],
            log_level="info",
            lifespan="off",
            proxy_headers=getattr(settings, "USE_X_FORWARDED_FOR", False),
        )
