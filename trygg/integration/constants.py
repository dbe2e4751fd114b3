"""Choices and fixed lists for the case-system import."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ImportSource(models.TextChoices):
    UPLOAD = "upload", _("Upload in the back office")
    API = "api", _("API call")
    COMMAND = "command", _("Command line")


class ImportStatus(models.TextChoices):
    OK = "ok", _("Imported")
    REJECTED = "rejected", _("Rejected")


CLIENT_COLUMNS: tuple[str, ...] = (
    "client_id",
    "national_id",
    "first_name",
    "last_name",
    "street",
    "postal_code",
    "city",
    "phone",
    "door_code",
    "languages",
    "team",
    "start_date",
    "end_date",
)
SERVICE_COLUMNS: tuple[str, ...] = (
    "service_id",
    "service_type",
    "granted_minutes",
    "period",
    "service_from",
    "service_to",
)
CSV_COLUMNS: tuple[str, ...] = CLIENT_COLUMNS + SERVICE_COLUMNS


@dataclass(frozen=True)
class Column:
    """One column of the case system's file, as the import page explains it."""

    name: str  # as written in the header row: the case system's, never translated
    label: Promise
    meaning: Promise
    required: bool  # a value is needed (on a row with a service, for the service columns)


# What the file must contain, in column order: shown once above a rejected file's problems
# and on the import page, rather than repeated in every problem.
COLUMN_GUIDE: tuple[Column, ...] = (
    Column(
        "client_id",
        _("Client id"),
        _("The client's id in the case system, the same on each of the client's rows."),
        True,
    ),
    Column(
        "national_id",
        _("National id"),
        _("Personnummer or samordningsnummer (Sweden), fødselsnummer or D-nummer (Norway)."),
        True,
    ),
    Column("first_name", _("First name"), _("At most 100 characters."), True),
    Column("last_name", _("Last name"), _("At most 100 characters."), True),
    Column("street", _("Street address"), _("At most 200 characters."), True),
    Column("postal_code", _("Postal code"), _("At most 10 characters."), True),
    Column("city", _("City"), _("At most 100 characters."), True),
    Column("phone", _("Phone"), _("The client's phone number; may be empty."), False),
    Column(
        "door_code",
        _("Door code"),
        _("May be empty. Kept secret: never shown in an import's result."),
        False,
    ),
    Column(
        "languages",
        _("Languages"),
        _("Language codes (ISO 639-1), most preferred first, separated by commas: sv,fi."),
        False,
    ),
    Column(
        "team",
        _("Team"),
        _("The code of one of the provider's teams, such as NORR; may be empty."),
        False,
    ),
    Column("start_date", _("Start date"), _("The day the client starts: YYYY-MM-DD."), True),
    Column(
        "end_date",
        _("End date"),
        _("YYYY-MM-DD, not before the start date; empty while the client continues."),
        False,
    ),
    Column(
        "service_id",
        _("Service id"),
        _(
            "The granted service's id in the case system. A client without granted services "
            "has one row with all the service columns empty."
        ),
        True,
    ),
    Column(
        "service_type",
        _("Service type"),
        _("The service's code in the municipality's service catalogue, such as PERS."),
        True,
    ),
    Column(
        "granted_minutes",
        _("Granted minutes"),
        _("Whole minutes per period, above zero."),
        True,
    ),
    Column(
        "period",
        _("Period"),
        _("day, week or month (written in English, as the case system sends it)."),
        True,
    ),
    Column("service_from", _("Service from"), _("The day the service starts: YYYY-MM-DD."), True),
    Column(
        "service_to",
        _("Service to"),
        _("YYYY-MM-DD, not before the service's start; empty while it continues."),
        False,
    ),
)
COLUMN_LABELS: dict[str, Promise] = {column.name: column.label for column in COLUMN_GUIDE}
assert tuple(COLUMN_LABELS) == CSV_COLUMNS
# What a problem is about, in words: a column, the file as a whole, or a JSON document's key.
FIELD_LABELS: dict[str, Promise] = {
    **COLUMN_LABELS,
    "file": _("The file"),
    "provider": _("Provider"),
    "end_missing": _("End clients not in the file"),
    "clients": _("Clients"),
    "services": _("Granted services"),
}

# Granted time cannot exceed the period it is granted for.
MAX_MINUTES_PER_PERIOD = {"day": 24 * 60, "week": 7 * 24 * 60, "month": 31 * 24 * 60}

# ISO 639-1 two-letter language codes (the 2023 list, without the withdrawn 'sh').
_ISO_639_1_TEXT = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
    kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
    sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_TEXT.split())
