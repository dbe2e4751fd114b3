"""`trygg serve`: the whole system in one process, under uvicorn."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from trygg import worker

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve Trygg: the web app and API, and the worker loop (later the alarm receivers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations first."
        )
        parser.add_argument("--reload", action="store_true", help="Restart on code changes.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the worker loop here (run `trygg worker` processes instead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"Trygg on http://{options['host']}:{options['port']}/ "
            f"(database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        if not options["no_worker"] and not options["reload"]:
            worker.start_in_thread()
        uvicorn.run(
            "trygg.asgi:application",
            host=options["host"],
            port=options["port"],
            reload=options["reload"],
            log_level="info",
            lifespan="off",
            proxy_headers=getattr(settings, "USE_X_FORWARDED_FOR", False),
        )
