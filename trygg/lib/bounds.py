"""Bounded numbers and dates for what users and integrations type into filters.

A number past what the database holds (`offset=99999999999999999999`) or a date whose
next day or whose midnight in UTC does not exist (`9999-12-31`, `0001-01-01`) made
the database or the calendar overflow: a 500. These types refuse such input where it is
parsed, with a message, so every API filter and page filter stops it the same way: the
ninja schemas use `BoundedInt`, `BoundedDate` and `BoundedDateTime`, the Django forms
`BoundedIntegerField`, `BoundedDateField` and `BoundedDateTimeField`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django import forms
from django.utils.translation import gettext
from pydantic import AfterValidator, Field

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
    return value


BoundedInt = Annotated[int, Field(ge=0, le=MAX_INT)]
BoundedDate = Annotated[dt.date, AfterValidator(check_date)]
BoundedDateTime = Annotated[dt.datetime, AfterValidator(check_moment)]


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
