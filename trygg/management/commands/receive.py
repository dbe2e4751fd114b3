"""`trygg receive`: the alarm receivers alone, one process of any number against one
PostgreSQL (`trygg serve` runs them beside the web app instead)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trygg.core.models import Municipality
from trygg.receivers.runner import ReceiverOptions, run


class Command(BaseCommand):
    help = "Receive alarms: SIA DC-09 (TCP and UDP) and SCAIP (SIP over UDP and TCP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "protocol",
            nargs="?",
            choices=["dc09", "scaip", "all"],
            default="all",
            help="Which receiver to run (default: both).",
        )
        parser.add_argument("--host", help="Address to listen on (default RECEIVER_HOST).")
        parser.add_argument(
            "--port",
            type=int,
            help="Port for the one receiver named (defaults: DC-09 7100, SCAIP 5060).",
        )
        parser.add_argument(
            "--municipality",
            metavar="CODE",
            help="Take only this municipality's units (its code, e.g. 0180).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        protocol = options["protocol"]
        if options["port"] is not None and protocol == "all":
            raise CommandError("--port needs a protocol: trygg receive dc09 --port 7100")
        if options["port"] is not None and not 0 <= options["port"] <= 65535:
            raise CommandError("A port is a number from 0 to 65535.")
        municipality_id = None
        if options["municipality"]:
            found = Municipality.objects.filter(code=options["municipality"]).first()
            if found is None:
                raise CommandError(f"No municipality with code {options['municipality']!r}.")
            municipality_id = found.pk
        receiver_options = ReceiverOptions.from_settings(
            host=options["host"], municipality_id=municipality_id
        )
        port = options["port"]
        if protocol == "dc09":
            receiver_options = replace(
                receiver_options,
                scaip_port=None,
                dc09_port=receiver_options.dc09_port if port is None else port,
            )
        elif protocol == "scaip":
            receiver_options = replace(
                receiver_options,
                dc09_port=None,
                scaip_port=receiver_options.scaip_port if port is None else port,
            )
        self.stdout.write(f"Trygg alarm receivers starting ({protocol}); stop with Ctrl-C.")
        try:
            run(receiver_options)
        except OSError as exc:
            raise CommandError(f"Cannot listen: {exc}") from exc
        self.stdout.write("Trygg alarm receivers stopped.")
