"""`trygg seed --demo` (the demo municipality) and `trygg seed --scale city` (benchmarks)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings

from trygg.core import demo, scale
from trygg.core.models import Municipality

# What an app's seed_demo counts when it returns a bare number.
_UNITS = {"devices": "phones", "outages": "outages", "servicedesk": "orders"}


def _describe(app: str, made: object) -> str:
    if isinstance(made, dict):
        return ", ".join(f"{n} {what}" for what, n in made.items())
    return f"{made} {_UNITS.get(app, 'made')}"


class Command(BaseCommand):
    help = (
        "Create synthetic data: --demo for the demo municipality and its logins (idempotent), "
        "--scale city for 20,000 clients and 2,000 staff to benchmark against."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--demo", action="store_true", help="The demo municipality.")
        what.add_argument(
            "--scale",
            choices=sorted(scale.SCALES),
            help="A large municipality of its own (city: 20,000 clients, 2,000 staff).",
        )
        parser.add_argument("--clients", type=int, help="With --scale: number of clients.")
        parser.add_argument("--staff", type=int, help="With --scale: number of staff.")
        parser.add_argument("--log-rows", type=int, help="With --scale: number of access-log rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity_level = int(options["verbosity"])
        if options["demo"]:
            self._demo()
            return
        size = scale.SCALES[options["scale"]]
        overrides = {
            k: options[k] for k in ("clients", "staff", "log_rows") if options[k] is not None
        }
        if any(v < 0 for v in overrides.values()):
            raise CommandError("Sizes cannot be negative.")
        size = size.with_(**overrides)
        started = self.started = time.monotonic()
        result = scale.seed_scale(size, progress=self._progress)
        if not result.created:
            self.stdout.write(f"{size.name} ({size.code}) is already there; nothing added.")
        else:
            counts = ", ".join(f"{n:,} {what}" for what, n in result.counts.items())
            self.stdout.write(f"Created {size.name} ({size.code}): {counts}.")
            self.stdout.write(f"Took {time.monotonic() - started:.1f} s.")
        self._print_logins(result.logins)

    verbosity_level = 1
    started = 0.0

    def _progress(self, message: str) -> None:
        if self.verbosity_level >= 2:
            self.stdout.write(f"  {time.monotonic() - self.started:6.1f} s  {message}")

    def _demo(self) -> None:
        started = time.monotonic()
        result = demo.seed_demo()
        if result.created:
            counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
            self.stdout.write(
                f"Created {demo.DEMO_NAME} in {time.monotonic() - started:.1f} s: {counts}."
            )
        else:
            self.stdout.write(f"{demo.DEMO_NAME} is already there.")
        municipality = Municipality.objects.get(code=demo.DEMO_CODE)
        # The demo's people have made-up addresses: its notices are kept in Trygg (the
        # in-app messages) but no e-mail leaves, whatever mail backend is configured.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            made_by_app = demo.seed_app_demos(municipality)
        for app, made in made_by_app.items():
            if made:
                self.stdout.write(f"  {app}: {_describe(app, made)}")
        self._print_logins(result.logins)
        if result.token:
            self.stdout.write(
                f"API token for the case-system import (scope: import), shown only now:\n"
                f"  {result.token}"
            )

    def _print_logins(self, logins: list[demo.DemoLogin]) -> None:
        for line in demo.login_table(logins):
            self.stdout.write(line)
