"""Bounded numbers and dates for what users and integrations type into filters.

A number past what the database holds (`offset=99999999999999999999`) or a date whose
next day or whose midnight in UTC does not exist (`9999-12-31`, `0001-01-01`) made
the database or the calendar overflow: a 500. These types refuse such input where it is
parsed, with a message, so every API filter and page filter stops it the same way: the
ninja schemas use `BoundedInt`, `BoundedDate` and `BoundedDateTime`, the Django forms
`BoundedIntegerField`, `BoundedDateField` and `BoundedDateTimeField`.

In the API the dates are ISO 8601 text, as the OpenAPI document says, and the document
states the years they may fall in, so a client (and the property-based check of the API)
knows what is accepted before sending it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django import forms
from django.utils.translation import gettext
from pydantic import AfterValidator, BeforeValidator, Field

# The largest integer a JSON client holds exactly (2**53 - 1): far above any id, offset or
# count, and inside a 64-bit column even with a page size added to it.
MAX_INT = 2**53 - 1
# Dates a municipality's records can carry: births, decisions, plans. A day and a time
# zone either side of them still exist, so +1 day and conversions to UTC never overflow.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)


def _out_of_range() -> str:
    return gettext("Give a date between %(first)s and %(last)s.") % {
        "first": MIN_DATE.isoformat(),
        "last": MAX_DATE.isoformat(),
    }


def check_date(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(_out_of_range())
    return value


def check_moment(value: dt.datetime) -> dt.datetime:
    check_date(value.date())
    # Python takes UTC offsets up to 23:59, PostgreSQL stores them up to 15:59
    # (`...-21:28` failed there): an aware moment goes on in UTC, the same instant.
    return value.astimezone(dt.UTC) if value.tzinfo is not None else value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# MIN_DATE's and MAX_DATE's years, for the OpenAPI document: 1900 to 2999.
_YEARS_PATTERN = r"^(19\d\d|2\d\d\d)-"


def _iso_text(value: Any) -> bool:
    # Pydantic alone also reads a number as seconds since 1970 (`active_on=0` was
    # 1 January 1970), which nobody typing a date means.
    return isinstance(value, dt.date) or (isinstance(value, str) and bool(_ISO_DATE.match(value)))


def iso_date(value: Any) -> Any:
    if not _iso_text(value):
        raise ValueError(gettext("Give the date as YYYY-MM-DD."))
    return value


def iso_moment(value: Any) -> Any:
    if not _iso_text(value):
        raise ValueError(gettext("Give the time as ISO 8601 text, e.g. 2026-01-15T10:00:00+01:00."))
    return value


_IN_RANGE = Field(json_schema_extra={"pattern": _YEARS_PATTERN})
BoundedInt = Annotated[int, Field(ge=0, le=MAX_INT)]
BoundedDate = Annotated[dt.date, BeforeValidator(iso_date), AfterValidator(check_date), _IN_RANGE]
BoundedDateTime = Annotated[
    dt.datetime, BeforeValidator(iso_moment), AfterValidator(check_moment), _IN_RANGE
]


class BoundedIntegerField(forms.IntegerField):
    """An id or count in a page's filter: 0 to MAX_INT unless told narrower."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_INT)
        super().__init__(**kwargs)


def _check_form_date(value: Any) -> None:
    if isinstance(value, dt.date):
        try:
            check_date(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="date_range") from exc


class BoundedDateField(forms.DateField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        _check_form_date(value)


class BoundedDateTimeField(forms.DateTimeField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        _check_form_date(value)
