"""The case system's files, CSV and JSON, read into one neutral structure.

Parsing only checks the shape: columns, keys, rows that belong together. Values stay text
here and are validated, all of them at once, by `services.import_records`. Error messages
never repeat a value from the file: the file holds personal data and door codes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .constants import CLIENT_COLUMNS, CSV_COLUMNS, FIELD_LABELS, SERVICE_COLUMNS


@dataclass(frozen=True)
class Issue:
    """One thing wrong with the input: where (CSV row or JSON path), which field, what."""

    field: str
    message: str
    row: int | None = None
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        where: dict[str, Any] = {"row": self.row} if self.row is not None else {}
        if self.path is not None:
            where = {"path": self.path}
        return {**where, "field": self.field, "message": self.message}

    @property
    def field_label(self) -> str:
        """What the problem is about, in the reader's language ("Personnummer")."""
        label = FIELD_LABELS.get(self.field)
        return str(label) if label is not None else self.field

    @property
    def column(self) -> str:
        """The column's name as the file writes it, when the problem is about a column."""
        return self.field if self.field in CSV_COLUMNS else ""

    @property
    def where(self) -> str:
        if self.row is not None:
            return str(self.row)
        return self.path or ""


@dataclass(frozen=True)
class Location:
    """Where a record came from: a CSV row number (the header is row 1) or a JSON path."""

    row: int | None = None
    path: str | None = None

    def issue(self, field_name: str, message: str) -> Issue:
        return Issue(field=field_name, message=message, row=self.row, path=self.path)


@dataclass
class ServiceRecord:
    """A granted service as the case system sent it, values still text."""

    location: Location
    service_id: str = ""
    service_type: str = ""
    granted_minutes: str = ""
    period: str = ""
    service_from: str = ""
    service_to: str = ""


@dataclass
class ClientRecord:
    """A client as the case system sent it, values still text, with their services."""

    location: Location
    client_id: str = ""
    national_id: str = ""
    first_name: str = ""
    last_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    door_code: str = ""
    languages: str = ""
    team: str = ""
    start_date: str = ""
    end_date: str = ""
    services: list[ServiceRecord] = field(default_factory=list)
    # Every CSV row the client appears on, for messages that name them.
    rows: tuple[int, ...] = ()


@dataclass
class ParsedFile:
    """What a file held: the records, and anything wrong with its shape."""

    records: list[ClientRecord] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    # Only JSON carries these; for CSV they come from the form or the command line.
    provider: str | None = None
    end_missing: bool | None = None


def _client_record(location: Location, values: dict[str, str]) -> ClientRecord:
    record = ClientRecord(location=location)
    for name in CLIENT_COLUMNS:
        setattr(record, name, values[name])
    return record


# CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    try:
        # utf-8-sig drops the byte-order mark Excel writes in "CSV UTF-8".
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _holds_nul(value: Any) -> bool:
    """Text with the NUL character, which PostgreSQL can neither store nor compare: the
    file is refused before any field is looked up."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _nul_refused() -> Issue:
    return Issue(
        field="file", message=_("The file contains the NUL character, which no field may hold.")
    )


def _delimiter(header_line: str) -> str:
    # Swedish and Norwegian Excel write ';' because ',' is their decimal separator.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_csv(data: bytes) -> ParsedFile:
    """Read the CSV file: one row per granted service, client columns repeated."""
    parsed = ParsedFile()
    text = _decode(data)
    if text is None:
        parsed.errors.append(
            Issue(
                field="file",
                message=_(
                    "The file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (comma "
                    "delimited)'."
                ),
            )
        )
        return parsed
    if _holds_nul(text):
        parsed.errors.append(_nul_refused())
        return parsed
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        parsed.errors.append(
            Issue(field="file", message=_("The file is empty or has no header row."))
        )
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header = [name.strip().lower() for name in next(reader)]
    header_errors = _check_header(header)
    if header_errors:
        parsed.errors.extend(header_errors)
        return parsed

    by_client: dict[str, ClientRecord] = {}
    first_values: dict[str, dict[str, str]] = {}
    disagreements: list[tuple[int, str, str]] = []  # (row, column, client key)
    for row_number, cells in _numbered_rows(reader):
        if len(cells) != len(header):
            parsed.errors.append(
                Issue(
                    field="file",
                    row=row_number,
                    message=_("The row has %(found)d columns; the header has %(expected)d.")
                    % {"found": len(cells), "expected": len(header)},
                )
            )
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        client_values = {name: values[name] for name in CLIENT_COLUMNS}
        # A row without a client id cannot be grouped; it becomes its own record so that
        # validation reports it along with everything else.
        key = client_values["client_id"] or f"\0row{row_number}"
        record = by_client.get(key)
        if record is None:
            record = _client_record(Location(row=row_number), client_values)
            record.rows = (row_number,)
            by_client[key] = record
            first_values[key] = client_values
        else:
            record.rows = (*record.rows, row_number)
            disagreements.extend(
                (row_number, name, key)
                for name in CLIENT_COLUMNS
                if client_values[name] != first_values[key][name]
            )
        service_values = {name: values[name] for name in SERVICE_COLUMNS}
        if any(service_values.values()):
            record.services.append(
                ServiceRecord(location=Location(row=row_number), **service_values)
            )
    for row_number, name, key in disagreements:
        rows = by_client[key].rows
        parsed.errors.append(
            Issue(
                field=name,
                row=row_number,
                message=_(
                    "Differs from row %(first)d of the same client_id: a client's columns "
                    "must be the same on all its rows (rows %(rows)s)."
                )
                % {"first": rows[0], "rows": ", ".join(str(r) for r in rows)},
            )
        )
    parsed.errors.sort(key=lambda issue: issue.row or 0)
    parsed.records = list(by_client.values())
    if not parsed.records and not parsed.errors:
        parsed.errors.append(
            Issue(field="file", message=_("The file has a header row but no clients."))
        )
    return parsed


def _numbered_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Rows with the number a spreadsheet shows (the header is row 1); blank rows skipped."""
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            yield number, cells


def _check_header(header: list[str]) -> list[Issue]:
    """The header row's problems, a few lines at most: the unknown columns together, the
    missing ones together. What the columns are is explained once, above the problems
    (`constants.COLUMN_GUIDE`), not repeated in each."""
    errors: list[Issue] = []
    known = set(CSV_COLUMNS)
    seen: set[str] = set()
    unknown: list[str] = []
    for name in header:
        if name in seen:
            errors.append(
                Issue(
                    field=name,
                    row=1,
                    message=_("The column %(name)s appears twice.") % {"name": name},
                )
            )
        seen.add(name)
        if name not in known and name not in unknown:
            unknown.append(name)
    if not seen & known:
        # Not a header at all (a file starting with a client's row, say): its cells may be
        # personal data, so none is repeated.
        return [
            Issue(
                field="file",
                row=1,
                message=_(
                    "The first row must be the header row, naming the columns; none of its "
                    "cells is a column's name."
                ),
            )
        ]
    if unknown:
        names = ", ".join(
            f"“{name[:40]}”" if name else _("(a column without a name)") for name in unknown
        )
        errors.append(
            Issue(
                field=(unknown[0] or "?") if len(unknown) == 1 else "file",
                row=1,
                message=ngettext(
                    "Unknown column: %(names)s.", "Unknown columns: %(names)s.", len(unknown)
                )
                % {"names": names},
            )
        )
    missing = [name for name in CSV_COLUMNS if name not in seen]
    if missing:
        errors.append(
            Issue(
                field=missing[0] if len(missing) == 1 else "file",
                row=1,
                message=ngettext(
                    "Missing column: %(names)s.", "Missing columns: %(names)s.", len(missing)
                )
                % {"names": ", ".join(missing)},
            )
        )
    return errors


# JSON -----------------------------------------------------------------------------------

_CLIENT_FIELDS = frozenset(CLIENT_COLUMNS)
_SERVICE_FIELDS = frozenset(SERVICE_COLUMNS)


def parse_json_bytes(data: bytes) -> ParsedFile:
    """Read a JSON document from bytes (an API body or a file)."""
    text = _decode(data)
    if text is None:
        return ParsedFile(errors=[Issue(field="file", message=_("The body is not UTF-8 text."))])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedFile(
            errors=[
                Issue(
                    field="file",
                    message=_("Not valid JSON (line %(line)d, column %(column)d).")
                    % {"line": exc.lineno, "column": exc.colno},
                )
            ]
        )
    if _holds_nul(document):
        return ParsedFile(errors=[_nul_refused()])
    return parse_json(document)


def parse_json(document: Any) -> ParsedFile:
    """Read the JSON form: {"provider", "end_missing", "clients": [{..., "services": []}]}."""
    parsed = ParsedFile()
    if not isinstance(document, dict):
        parsed.errors.append(Issue(field="", path="$", message=_("Expected a JSON object.")))
        return parsed
    for key in sorted(set(document) - {"provider", "end_missing", "clients"}):
        parsed.errors.append(Issue(field=key, path="$", message=_("Unknown field.")))
    provider = document.get("provider")
    if not isinstance(provider, str) or not provider.strip():
        parsed.errors.append(
            Issue(
                field="provider",
                path="$",
                message=_("The provider's organisation number is required."),
            )
        )
    else:
        parsed.provider = provider.strip()
    end_missing = document.get("end_missing", False)
    if not isinstance(end_missing, bool):
        parsed.errors.append(
            Issue(field="end_missing", path="$", message=_("Must be true or false."))
        )
    else:
        parsed.end_missing = end_missing
    clients = document.get("clients")
    if not isinstance(clients, list):
        parsed.errors.append(
            Issue(field="clients", path="$", message=_("Expected a list of clients."))
        )
        return parsed
    for index, item in enumerate(clients):
        record = _client_from_json(item, f"clients[{index}]", parsed.errors)
        if record is not None:
            parsed.records.append(record)
    return parsed


def _text(value: Any, location: Location, name: str, errors: list[Issue]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    errors.append(location.issue(name, _("Expected text or a whole number.")))
    return ""


def _client_from_json(item: Any, path: str, errors: list[Issue]) -> ClientRecord | None:
    location = Location(path=path)
    if not isinstance(item, dict):
        errors.append(location.issue("", _("Expected an object for the client.")))
        return None
    for key in sorted(set(item) - _CLIENT_FIELDS - {"services"}):
        errors.append(location.issue(key, _("Unknown field.")))
    values = {name: _text(item.get(name), location, name, errors) for name in CLIENT_COLUMNS}
    record = _client_record(location, values)
    services = item.get("services", [])
    if services is None:
        services = []
    if not isinstance(services, list):
        errors.append(location.issue("services", _("Expected a list of services.")))
        return record
    for index, service in enumerate(services):
        service_location = Location(path=f"{path}.services[{index}]")
        if not isinstance(service, dict):
            errors.append(service_location.issue("", _("Expected an object for the service.")))
            continue
        for key in sorted(set(service) - _SERVICE_FIELDS):
            errors.append(service_location.issue(key, _("Unknown field.")))
        service_values = {
            name: _text(service.get(name), service_location, name, errors)
            for name in SERVICE_COLUMNS
        }
        record.services.append(ServiceRecord(location=service_location, **service_values))
    return record
