"""`trygg token create|list|revoke`: bearer tokens for integrations and devices. A device
token (`create --unit SERIAL`) goes through the device services, which link it to its unit."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trygg.core import tokens
from trygg.core.models import ApiToken, Municipality, Provider
from trygg.devices.models import AlarmUnit
from trygg.devices.services import DEVICE_SCOPE, DeviceTokenError, issue_device_token
from trygg.lib import national_ids

_SCOPE = re.compile(r"^[a-z][a-z0-9_:.-]*$")


def parse_scopes(text: str) -> str:
    """Scopes as stored: space-separated, each once; commas or spaces accepted on input."""
    scopes = list(dict.fromkeys(s for s in re.split(r"[\s,]+", text.strip().lower()) if s))
    if not scopes:
        raise CommandError("Give at least one scope, e.g. --scopes import.")
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad:
        raise CommandError(f"Not a scope name: {', '.join(bad)}.")
    return " ".join(scopes)


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. A new token is printed once and never again."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--name", help="What the token is for (not with --unit).")
        create.add_argument("--municipality", required=True, help="Municipality code, e.g. 9999.")
        create.add_argument("--provider", help="Limit to this provider (organisation number).")
        create.add_argument("--scopes", help='Space-separated, e.g. "import" (the default).')
        create.add_argument(
            "--unit",
            metavar="SERIAL",
            help="A device token for the alarm unit with this serial number (HTTPS API).",
        )
        create.add_argument(
            "--rotate",
            action="store_true",
            help="With --unit: revoke the unit's current token and create a new one.",
        )
        listing = actions.add_parser("list", help="List tokens (never the tokens themselves).")
        listing.add_argument("--municipality", help="Only this municipality's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix", help="The eight characters after trg_.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options.get("municipality"))
        else:
            self._revoke(options["prefix"])

    def _municipality(self, code: str) -> Municipality:
        try:
            return Municipality.objects.get(code=code.strip())
        except Municipality.DoesNotExist as exc:
            raise CommandError(f"No municipality with code {code!r}.") from exc

    def _create(self, options: dict[str, Any]) -> None:
        if options.get("unit"):
            self._create_for_unit(options)
            return
        if options.get("rotate"):
            raise CommandError("--rotate goes with --unit.")
        name = (options.get("name") or "").strip()
        if not name:
            raise CommandError("Give the token a name saying what it is for.")
        municipality = self._municipality(options["municipality"])
        provider = None
        if options.get("provider"):
            try:
                org = national_ids.parse_org_number(options["provider"], municipality.country)
            except national_ids.InvalidNationalId as exc:
                raise CommandError(f"--provider: {exc}") from exc
            provider = Provider.objects.filter(municipality=municipality, org_number=org).first()
            if provider is None:
                raise CommandError(f"No provider with organisation number {org} in {municipality}.")
        scopes = parse_scopes(options.get("scopes") or "import")
        if DEVICE_SCOPE in scopes.split():
            # A device token is linked to its unit, or it would authenticate as no one.
            raise CommandError("Create a device token with --unit SERIAL.")
        token, plain = tokens.create_token(
            name[:100], municipality, provider=provider, scopes=scopes
        )
        where = f"{municipality}" + (f", {provider}" if provider else "")
        self._print(f"Created token {token.prefix}… for {where} (scopes: {token.scopes}).", plain)

    def _create_for_unit(self, options: dict[str, Any]) -> None:
        for other in ("name", "provider", "scopes"):
            if options.get(other):
                raise CommandError(f"--{other} does not go with --unit: the token is the unit's.")
        municipality = self._municipality(options["municipality"])
        serial = options["unit"].strip()
        unit = AlarmUnit.objects.filter(municipality=municipality, serial_number=serial).first()
        if unit is None:
            raise CommandError(f"No alarm unit with serial number {serial!r} in {municipality}.")
        try:
            token, plain = issue_device_token(None, unit, rotate=options["rotate"])
        except DeviceTokenError as exc:
            hint = "" if options["rotate"] else " (add --rotate to replace it)"
            raise CommandError(f"{exc}{hint}") from exc
        self._print(f"Created device token {token.prefix}… for alarm unit {serial}.", plain)

    def _print(self, created: str, plain: str) -> None:
        self.stdout.write(created)
        self.stdout.write("Copy it now; it is stored only as a digest and cannot be shown again:")
        self.stdout.write(plain)

    def _list(self, code: str | None) -> None:
        queryset = ApiToken.objects.select_related("municipality", "provider").order_by(
            "municipality__code", "created_at"
        )
        if code:
            queryset = queryset.filter(municipality=self._municipality(code))
        for token in queryset:
            state = "revoked" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            where = token.provider or token.municipality
            self.stdout.write(
                f"{token.prefix}  {state:<7}  {token.scopes:<12}  used {used:<16}  "
                f"{where}: {token.name}"
            )

    def _revoke(self, prefix: str) -> None:
        prefix = prefix.removeprefix(tokens.TOKEN_PREFIX)[:8]
        matches = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError(
                f"{len(matches)} active tokens start with {prefix!r}; need exactly one."
            )
        ApiToken.objects.filter(pk=matches[0].pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.stdout.write(f"Revoked {matches[0]}.")
