"""`trygg import FILE --provider ORGNR`: the case system's file from the command line."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trygg.core.models import Provider
from trygg.integration.constants import ImportSource
from trygg.integration.formats import ParsedFile, parse_csv, parse_json_bytes
from trygg.integration.services import find_providers_anywhere, import_records


class Command(BaseCommand):
    help = (
        "Import a provider's clients and granted services from the case system's file "
        "(CSV or JSON, see docs/import.md). The whole file is checked first: with any "
        "error nothing is imported, every error is printed and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV or JSON file.")
        parser.add_argument(
            "--provider",
            default="",
            help="The provider's organisation number (for JSON, defaults to the file's).",
        )
        parser.add_argument(
            "--municipality",
            default="",
            help="Municipality code, when the organisation number is in several.",
        )
        parser.add_argument(
            "--end-missing",
            action="store_true",
            help="End the provider's clients and services that are not in the file.",
        )
        parser.add_argument(
            "--format",
            choices=["csv", "json"],
            help="The file's format; by default taken from its extension.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        file_format = options["format"] or path.suffix.lower().lstrip(".")
        if file_format not in {"csv", "json"}:
            raise CommandError("Cannot tell the format from the file name: give --format.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        parsed = parse_csv(data) if file_format == "csv" else parse_json_bytes(data)
        provider = self._provider(options["provider"], options["municipality"], parsed)
        end_missing = options["end_missing"] or bool(parsed.end_missing)
        result = import_records(
            provider,
            parsed.records,
            end_missing=end_missing,
            today=provider.municipality.today(),
            actor=f"command line ({getpass.getuser()})",
            source=ImportSource.COMMAND,
            file_name=path.name,
            parse_errors=parsed.errors,
        )
        if not result.ok:
            for issue in result.errors:
                where = f"row {issue.row}" if issue.row is not None else issue.path or "file"
                self.stderr.write(f"{where}: {issue.field}: {issue.message}")
            raise CommandError(
                f"{path.name} was rejected with {len(result.errors)} error(s); "
                "nothing was imported."
            )
        c, s = result.clients, result.services
        self.stdout.write(
            f"Imported {path.name} for {provider.name}.\n"
            f"Clients: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.ended} ended.\n"
            f"Granted services: {s.created} created, {s.updated} updated, "
            f"{s.unchanged} unchanged, {s.ended} ended."
        )

    def _provider(self, org_number: str, municipality: str, parsed: ParsedFile) -> Provider:
        if parsed.provider and org_number:
            file_matches = {p.pk for p in find_providers_anywhere(parsed.provider, municipality)}
            given = {p.pk for p in find_providers_anywhere(org_number, municipality)}
            if not file_matches & given:
                raise CommandError("--provider does not match the provider named in the file.")
        org_number = org_number or parsed.provider or ""
        if not org_number:
            raise CommandError("Give the provider's organisation number with --provider.")
        found = find_providers_anywhere(org_number, municipality)
        if not found:
            raise CommandError(f"No provider with organisation number {org_number}.")
        if len(found) > 1:
            codes = ", ".join(sorted(p.municipality.code for p in found))
            raise CommandError(
                f"Several municipalities have a provider {org_number} ({codes}): "
                "give --municipality."
            )
        return found[0]
