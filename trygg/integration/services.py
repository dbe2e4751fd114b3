"""Importing a provider's clients and granted services from the case system.

The case system sends each provider its full list. The whole batch is validated first;
if anything is wrong nothing is written and every problem is reported, by row or path and
field. Otherwise the batch is upserted by the case system's ids in one transaction, and
only rows whose values changed are written, so importing the same file twice writes
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.constants import Period
from trygg.core.models import (
    ApiToken,
    Client,
    GrantedService,
    Municipality,
    Provider,
    ServiceType,
    Team,
    User,
)
from trygg.lib import national_ids

from . import access
from .constants import ISO_639_1, MAX_MINUTES_PER_PERIOD, ImportSource, ImportStatus
from .formats import (
    ClientRecord,
    Issue,
    Location,
    ParsedFile,
    ServiceRecord,
    parse_csv,
    parse_json_bytes,
)
from .models import ImportRun

# Who started an import: a staff member, an integration's token, or a label such as the
# command line's "command line (alice)".
Actor = User | ApiToken | str | None
# Which provider an import is for, from the file as parsed (a JSON document names it).
ProviderFor = Callable[[ParsedFile], Provider]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE_SPLIT = re.compile(r"[,;\s]+")
_CHUNK = 500  # ids per IN (...) query, well inside SQLite's parameter limit

M = TypeVar("M", bound=models.Model)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ended: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ended": self.ended,
        }


@dataclass
class ImportResult:
    """What an import did, or why it was rejected."""

    ok: bool
    errors: list[Issue] = field(default_factory=list)
    clients: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    run: ImportRun | None = None
    provider: Provider | None = None

    @property
    def header_wrong(self) -> bool:
        """The file's header row is wrong: the page then explains the columns first."""
        return any(issue.row == 1 for issue in self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "run_id": self.run.pk if self.run else None,
            "clients": self.clients.as_dict(),
            "services": self.services.as_dict(),
            "errors": [issue.as_dict() for issue in self.errors],
        }


# Validation -----------------------------------------------------------------------------


@dataclass
class _CleanService:
    location: Location
    case_system_id: str
    values: dict[str, Any]


@dataclass
class _CleanClient:
    location: Location
    case_system_id: str
    values: dict[str, Any]
    services: list[_CleanService]


class _Validator:
    """Checks every field of every record against the provider's teams and the catalogue,
    turning text into model values and collecting every problem on the way."""

    def __init__(self, provider: Provider, today: dt.date) -> None:
        self.country = provider.municipality.country
        self.today = today
        self.teams = {team.code: team for team in Team.objects.filter(provider=provider)}
        self.service_types = dict(
            ServiceType.objects.filter(municipality_id=provider.municipality_id).values_list(
                "code", "pk"
            )
        )
        self.errors: list[Issue] = []

    def error(self, location: Location, field_name: str, message: str) -> None:
        self.errors.append(location.issue(field_name, message))

    def text(
        self,
        location: Location,
        name: str,
        value: str,
        *,
        max_length: int,
        required: bool = True,
    ) -> str:
        if required and not value:
            self.error(location, name, _("Required."))
        elif len(value) > max_length:
            self.error(
                location,
                name,
                _("Too long: at most %(max)d characters.") % {"max": max_length},
            )
        return value

    def date(self, location: Location, name: str, value: str, *, required: bool) -> dt.date | None:
        if not value:
            if required:
                self.error(location, name, _("Required."))
            return None
        try:
            if not _DATE.match(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self.error(location, name, _("Not a date: write it as YYYY-MM-DD."))
            return None

    def date_range(
        self, location: Location, end_name: str, start: dt.date | None, end: dt.date | None
    ) -> None:
        if start and end and end < start:
            self.error(location, end_name, _("Ends before it starts."))

    def national_id(self, location: Location, value: str) -> str:
        if not value:
            self.error(location, "national_id", _("Required."))
            return ""
        try:
            return national_ids.parse_national_id(value, self.country, self.today).canonical
        except national_ids.InvalidNationalId as exc:
            # The library's reasons never repeat the number itself.
            self.error(location, "national_id", _("Not a valid national id: %s") % exc)
            return ""

    def languages(self, location: Location, value: str) -> str:
        codes: list[str] = []
        for code in (c.lower() for c in _LANGUAGE_SPLIT.split(value) if c):
            if code not in ISO_639_1:
                self.error(
                    location,
                    "languages",
                    _("%(code)s is not an ISO 639-1 language code (such as sv, en, ar).")
                    % {"code": repr(code[:10])},
                )
            elif code not in codes:
                codes.append(code)
        joined = ",".join(codes)
        if len(joined) > 64:
            self.error(location, "languages", _("Too many languages."))
        return joined

    def team(self, location: Location, code: str) -> int | None:
        if not code:
            return None
        team = self.teams.get(code)
        if team is None:
            known = ", ".join(sorted(self.teams)[:20]) or _("none")
            self.error(
                location,
                "team",
                _("Unknown team code %(code)s for this provider. Known codes: %(known)s.")
                % {"code": repr(code[:32]), "known": known},
            )
            return None
        if not team.is_active:
            self.error(
                location, "team", _("The team %(code)s is no longer active.") % {"code": code}
            )
        return team.pk

    def service_type(self, location: Location, code: str) -> int | None:
        if not code:
            self.error(location, "service_type", _("Required."))
            return None
        pk = self.service_types.get(code)
        if pk is None:
            self.error(
                location,
                "service_type",
                _("Unknown service type %(code)s: not in the municipality's catalogue.")
                % {"code": repr(code[:32])},
            )
        return pk

    def period(self, location: Location, value: str) -> str:
        period = value.lower()
        if period not in Period.values:
            self.error(location, "period", _("The period must be day, week or month."))
            return ""
        return period

    def minutes(self, location: Location, value: str, period: str) -> int | None:
        if not value:
            self.error(location, "granted_minutes", _("Required."))
            return None
        if not value.isdigit() or int(value) <= 0:
            self.error(location, "granted_minutes", _("Must be a whole number above zero."))
            return None
        minutes = int(value)
        limit = MAX_MINUTES_PER_PERIOD.get(period)
        if limit is not None and minutes > limit:
            self.error(
                location,
                "granted_minutes",
                _("More minutes than the period has (%(limit)d).") % {"limit": limit},
            )
            return None
        return minutes

    def client(self, record: ClientRecord) -> _CleanClient:
        # Fields in column order, so a row's errors read left to right.
        where = record.location
        client_id = self.text(where, "client_id", record.client_id, max_length=64)
        values: dict[str, Any] = {
            "national_id": self.national_id(where, record.national_id),
            "first_name": self.text(where, "first_name", record.first_name, max_length=100),
            "last_name": self.text(where, "last_name", record.last_name, max_length=100),
            "street": self.text(where, "street", record.street, max_length=200),
            "postal_code": self.text(where, "postal_code", record.postal_code, max_length=10),
            "city": self.text(where, "city", record.city, max_length=100),
            "phone": self.text(where, "phone", record.phone, max_length=32, required=False),
            "door_code": self.text(
                where, "door_code", record.door_code, max_length=32, required=False
            ),
            "languages": self.languages(where, record.languages),
            "team_id": self.team(where, record.team),
            "start_date": self.date(where, "start_date", record.start_date, required=True),
            "end_date": self.date(where, "end_date", record.end_date, required=False),
        }
        self.date_range(where, "end_date", values["start_date"], values["end_date"])
        return _CleanClient(
            location=where,
            case_system_id=client_id,
            values=values,
            services=[self.service(service) for service in record.services],
        )

    def service(self, record: ServiceRecord) -> _CleanService:
        where = record.location
        service_id = self.text(where, "service_id", record.service_id, max_length=64)
        service_type_id = self.service_type(where, record.service_type)
        # An unknown period is reported on its own; the minutes are then checked unbounded.
        minutes = self.minutes(where, record.granted_minutes, record.period.lower())
        period = self.period(where, record.period)
        valid_from = self.date(where, "service_from", record.service_from, required=True)
        valid_to = self.date(where, "service_to", record.service_to, required=False)
        self.date_range(where, "service_to", valid_from, valid_to)
        return _CleanService(
            location=where,
            case_system_id=service_id,
            values={
                "service_type_id": service_type_id,
                "granted_minutes": minutes,
                "period": period,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
        )

    def duplicates(self, clients: Sequence[_CleanClient]) -> None:
        """The same client, person or service twice in one file."""
        by_id: dict[str, Location] = {}
        by_person: dict[str, tuple[str, Location]] = {}
        for client in clients:
            where = client.location
            if client.case_system_id:
                first = by_id.setdefault(client.case_system_id, where)
                if first is not where:
                    self.error(
                        where,
                        "client_id",
                        _("The client_id %(id)s appears more than once (first at %(first)s).")
                        % {"id": client.case_system_id, "first": _describe(first)},
                    )
            person = client.values["national_id"]
            if person:
                other_id, other_where = by_person.setdefault(person, (client.case_system_id, where))
                if other_where is not where and other_id != client.case_system_id:
                    self.error(
                        where,
                        "national_id",
                        _("The same national id as the client at %(first)s.")
                        % {"first": _describe(other_where)},
                    )
            services: dict[str, Location] = {}
            for service in client.services:
                if not service.case_system_id:
                    continue
                first = services.setdefault(service.case_system_id, service.location)
                if first is not service.location:
                    self.error(
                        service.location,
                        "service_id",
                        _(
                            "The service_id %(id)s appears more than once for this client "
                            "(first at %(first)s)."
                        )
                        % {"id": service.case_system_id, "first": _describe(first)},
                    )


def _describe(location: Location) -> str:
    if location.row is not None:
        return _("row %(row)d") % {"row": location.row}
    return location.path or ""


# Import ---------------------------------------------------------------------------------


def import_records(
    provider: Provider,
    records: Sequence[ClientRecord],
    *,
    end_missing: bool,
    today: dt.date,
    actor: Actor,
    source: ImportSource = ImportSource.API,
    file_name: str = "",
    parse_errors: Sequence[Issue] = (),
) -> ImportResult:
    """Validate the provider's whole list, then upsert it in one transaction.

    `parse_errors` are problems already found in the file's shape; they reject the batch
    too, and are reported together with the rest. With `end_missing`, the provider's
    active clients and services that are not in the list are ended today (never deleted).
    """
    started_at = timezone.now()
    records, refused = _refuse_other_providers_clients(provider, records, actor)
    validator = _Validator(provider, today)
    clean = [validator.client(record) for record in records]
    validator.duplicates(clean)
    # In file order: by CSV row (stable, so one row's fields keep their column order);
    # JSON paths and file-level problems have no row and keep the order they were found.
    errors = sorted([*parse_errors, *validator.errors], key=lambda issue: issue.row or 0)
    if errors:
        # Refused rows are reported too, so one correction round fixes the whole file.
        everything = sorted([*errors, *refused], key=lambda issue: issue.row or 0)
        result = ImportResult(ok=False, errors=everything, provider=provider)
        result.run = _record_run(
            provider, result, actor, source, file_name, end_missing, started_at
        )
        return result

    # Refused rows are skipped, not errors in the file: the rest of the list is applied.
    result = ImportResult(ok=True, errors=refused, provider=provider)
    with transaction.atomic():
        # Two imports for one provider at once would each end what the other creates.
        list(Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk"))
        now = timezone.now()
        client_ids = _upsert_clients(provider, clean, result.clients, now)
        service_ids = _upsert_services(provider, clean, client_ids, result.services)
        if end_missing:
            _end_missing(provider, set(client_ids.values()), service_ids, today, now, result)
        result.run = _record_run(
            provider, result, actor, source, file_name, end_missing, started_at
        )
    return result


def _refuse_other_providers_clients(
    provider: Provider, records: Sequence[ClientRecord], actor: Actor
) -> tuple[list[ClientRecord], list[Issue]]:
    """The records this import may apply, and a refusal for each naming a client of
    another provider when the actor may not move clients between providers.

    The refusal names only the row and the case-system id the file itself sent: nothing
    of the other provider's client (name, national id, provider) is shown, and that
    client is neither changed nor ended."""
    if access.may_move_clients(actor, provider):
        return list(records), []
    foreign = set(
        obj.case_system_id
        for obj in _in_chunks(
            Client.objects.filter(municipality_id=provider.municipality_id)
            .exclude(provider_id=provider.pk)
            .only("case_system_id"),
            "case_system_id",
            {record.client_id for record in records if record.client_id},
        )
    )
    if not foreign:
        return list(records), []
    kept: list[ClientRecord] = []
    refused: list[Issue] = []
    for record in records:
        if record.client_id not in foreign:
            kept.append(record)
            continue
        refused.append(
            record.location.issue(
                "client_id",
                _(
                    "Refused: this client_id belongs to a client of another provider. Only "
                    "the municipality's own import can move a client between providers; "
                    "nothing of that client was changed."
                ),
            )
        )
    return kept, refused


def _in_chunks(queryset: models.QuerySet[M], field_name: str, values: Iterable[Any]) -> Iterator[M]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield from queryset.filter(**{f"{field_name}__in": values[start : start + _CHUNK]})


def _changed_fields(obj: models.Model, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _upsert_clients(
    provider: Provider, clean: Sequence[_CleanClient], counts: Counts, now: dt.datetime
) -> dict[str, int]:
    """Create and update the clients; returns their primary keys by case-system id."""
    existing = {
        client.case_system_id: client
        for client in _in_chunks(
            Client.objects.filter(municipality_id=provider.municipality_id),
            "case_system_id",
            (c.case_system_id for c in clean),
        )
    }
    to_create: list[Client] = []
    to_update: list[Client] = []
    changed_fields: set[str] = set()
    for record in clean:
        # Moving a client between providers is a plain update: the case system decides.
        values = {**record.values, "provider_id": provider.pk}
        client = existing.get(record.case_system_id)
        if client is None:
            to_create.append(
                Client(
                    municipality_id=provider.municipality_id,
                    case_system_id=record.case_system_id,
                    **values,
                )
            )
            continue
        changed = _changed_fields(client, values)
        if not changed:
            counts.unchanged += 1
            continue
        for name in changed:
            setattr(client, name, values[name])
        client.updated_at = now
        changed_fields.update(changed)
        to_update.append(client)
    Client.objects.bulk_create(to_create, batch_size=_CHUNK)
    if to_update:
        Client.objects.bulk_update(
            to_update, sorted(changed_fields | {"updated_at"}), batch_size=_CHUNK
        )
    counts.created += len(to_create)
    counts.updated += len(to_update)
    ids = {c.case_system_id: c.pk for c in existing.values()}
    ids.update({c.case_system_id: c.pk for c in to_create})
    if any(pk is None for pk in ids.values()):
        # A backend that cannot return keys from a bulk insert: read them back.
        ids.update(
            (client.case_system_id, client.pk)
            for client in _in_chunks(
                Client.objects.filter(municipality_id=provider.municipality_id).only(
                    "pk", "case_system_id"
                ),
                "case_system_id",
                [c.case_system_id for c in to_create],
            )
        )
    return ids


def _upsert_services(
    provider: Provider,
    clean: Sequence[_CleanClient],
    client_ids: dict[str, int],
    counts: Counts,
) -> set[int]:
    """Create and update the granted services; returns the ids of those in the file."""
    existing = {
        (service.client_id, service.case_system_id): service
        for service in _in_chunks(GrantedService.objects.all(), "client_id", client_ids.values())
    }
    to_create: list[GrantedService] = []
    to_update: list[GrantedService] = []
    changed_fields: set[str] = set()
    seen: set[int] = set()
    for record in clean:
        client_pk = client_ids[record.case_system_id]
        for item in record.services:
            values = {**item.values, "provider_id": provider.pk}
            service = existing.get((client_pk, item.case_system_id))
            if service is None:
                to_create.append(
                    GrantedService(
                        client_id=client_pk, case_system_id=item.case_system_id, **values
                    )
                )
                continue
            seen.add(service.pk)
            changed = _changed_fields(service, values)
            if not changed:
                counts.unchanged += 1
                continue
            for name in changed:
                setattr(service, name, values[name])
            changed_fields.update(changed)
            to_update.append(service)
    GrantedService.objects.bulk_create(to_create, batch_size=_CHUNK)
    if any(service.pk is None for service in to_create):
        # A backend that cannot return keys from a bulk insert: read them back.
        new_keys = {(s.client_id, s.case_system_id) for s in to_create}
        seen.update(
            service.pk
            for service in _in_chunks(
                GrantedService.objects.only("pk", "client_id", "case_system_id"),
                "client_id",
                {key[0] for key in new_keys},
            )
            if (service.client_id, service.case_system_id) in new_keys
        )
    else:
        seen.update(service.pk for service in to_create)
    if to_update:
        GrantedService.objects.bulk_update(to_update, sorted(changed_fields), batch_size=_CHUNK)
    counts.created += len(to_create)
    counts.updated += len(to_update)
    return seen


def _end_date(today: dt.date, start: dt.date) -> dt.date:
    # A client or service that has not started yet cannot end before it starts (granted
    # services have a constraint on it): it ends on its first day instead.
    return max(today, start)


def _end_missing(
    provider: Provider,
    client_pks: set[int],
    service_pks: set[int],
    today: dt.date,
    now: dt.datetime,
    result: ImportResult,
) -> None:
    """End the provider's active clients and services that the file no longer lists."""
    still_active = Q(end_date__isnull=True) | Q(end_date__gt=today)
    ended_clients: list[Client] = []
    for client in Client.objects.filter(still_active, provider=provider).only(
        "pk", "start_date", "end_date"
    ):
        end = _end_date(today, client.start_date)
        if client.pk in client_pks or client.end_date == end:
            continue
        client.end_date = end
        client.updated_at = now
        ended_clients.append(client)
    Client.objects.bulk_update(ended_clients, ["end_date", "updated_at"], batch_size=_CHUNK)
    result.clients.ended = len(ended_clients)

    service_active = Q(valid_to__isnull=True) | Q(valid_to__gt=today)
    ended_services: list[GrantedService] = []
    for service in GrantedService.objects.filter(service_active, provider=provider).only(
        "pk", "valid_from", "valid_to"
    ):
        end = _end_date(today, service.valid_from)
        if service.pk in service_pks or service.valid_to == end:
            continue
        service.valid_to = end
        ended_services.append(service)
    GrantedService.objects.bulk_update(ended_services, ["valid_to"], batch_size=_CHUNK)
    result.services.ended = len(ended_services)


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, User):
        return {"user": actor, "actor_label": actor.get_full_name() or actor.username}
    if isinstance(actor, ApiToken):
        return {"token": actor, "actor_label": str(actor)}
    return {"actor_label": actor or ""}


def _record_run(
    provider: Provider,
    result: ImportResult,
    actor: Actor,
    source: ImportSource,
    file_name: str,
    end_missing: bool,
    started_at: dt.datetime,
) -> ImportRun:
    return ImportRun.objects.create(
        provider=provider,
        source=source,
        file_name=file_name[:255],
        end_missing=end_missing,
        started_at=started_at,
        finished_at=timezone.now(),
        status=ImportStatus.OK if result.ok else ImportStatus.REJECTED,
        error_count=len(result.errors),
        **{f"clients_{name}": value for name, value in result.clients.as_dict().items()},
        **{f"services_{name}": value for name, value in result.services.as_dict().items()},
        **_actor_fields(actor),
    )


# Who may import for which provider -------------------------------------------------------


def find_provider(municipality: Municipality, org_number: str) -> Provider | None:
    """The municipality's provider with this organisation number, in any written form."""
    try:
        canonical = national_ids.parse_org_number(org_number, municipality.country)
    except national_ids.InvalidNationalId:
        return None
    return (
        Provider.objects.select_related("municipality")
        .filter(municipality=municipality, org_number=canonical)
        .first()
    )


def find_providers_anywhere(org_number: str, municipality_code: str = "") -> list[Provider]:
    """Providers with this organisation number in any municipality (for the command line)."""
    forms: set[str] = set()
    for country in ("SE", "NO"):
        try:
            forms.add(national_ids.parse_org_number(org_number, country))
        except national_ids.InvalidNationalId:
            continue
    queryset = Provider.objects.select_related("municipality").filter(org_number__in=forms)
    if municipality_code:
        queryset = queryset.filter(municipality__code=municipality_code)
    return list(queryset)


# The import, whoever starts it ------------------------------------------------------------


class ImportRefused(Exception):
    """The import was not run, and nothing was written: the actor may not import
    (`forbidden`), or the file does not say which provider it is for; `errors` says where."""

    def __init__(
        self, detail: str, *, forbidden: bool = False, errors: Sequence[Issue] = ()
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.forbidden = forbidden
        self.errors = list(errors)


def import_file(
    data: bytes,
    *,
    file_format: str,
    provider: Provider | ProviderFor,
    actor: Actor,
    source: ImportSource,
    end_missing: bool = False,
    file_name: str = "",
) -> ImportResult:
    """Import the case system's file (`csv` or `json`) for a provider: parse it, check it
    whole, and apply it; the page, the API and the command line all come here.

    `provider` is the provider, or a function finding it from the parsed file (a JSON
    document names its provider). Whether the actor may import is `access.import_refusal`;
    a refusal, or a file that names no provider, raises `ImportRefused`. The returned
    result says what was done, or every problem found (with `ok` false, nothing written).
    A JSON document's own `end_missing` counts as well as the argument."""
    refusal = access.import_refusal(actor)
    if refusal is not None:
        raise ImportRefused(refusal, forbidden=True)
    parsed = parse_csv(data) if file_format == "csv" else parse_json_bytes(data)
    if not isinstance(provider, Provider):
        provider = provider(parsed)
    refusal = access.import_refusal(actor, provider)
    if refusal is not None:
        raise ImportRefused(refusal, forbidden=True)
    return import_records(
        provider,
        parsed.records,
        end_missing=end_missing or bool(parsed.end_missing),
        today=provider.municipality.today(),
        actor=actor,
        source=source,
        file_name=file_name,
        parse_errors=parsed.errors,
    )


def provider_named_for(token: ApiToken) -> ProviderFor:
    """The provider a JSON document names, looked up in the token's municipality."""

    def find(parsed: ParsedFile) -> Provider:
        if parsed.provider is None:
            raise ImportRefused(_("The document is not valid."), errors=parsed.errors)
        provider = find_provider(token.municipality, parsed.provider)
        if provider is not None:
            return provider
        if token.provider_id is not None:
            # Whatever the number, it is not the token's own provider: no hint what exists.
            raise ImportRefused(
                _("This token may import only for its own provider."), forbidden=True
            )
        raise ImportRefused(
            _("Unknown provider."),
            errors=[
                Issue(
                    path="$",
                    field="provider",
                    message=_(
                        "No provider with this organisation number in the token's municipality."
                    ),
                )
            ],
        )

    return find
