"""Filters that write values the way people say them, in the reader's language.

{% load wording %}
{{ client.language_list|language_names }}   svenska, finska
{{ service.call_out_fee|money:service.currency }}   9 800 kr
{{ alarm.created_at|moment }}   7 dec 14:05 (the year too when it is not this year)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from trygg.lib.money import format_money

from .. import languages
from ..moments import day_text, moment_text, month_text

register = template.Library()


@register.filter
def language_names(codes: Iterable[str] | str | None) -> str:
    """ISO 639-1 codes (a list, or text separated by commas) as language names."""
    if not codes:
        return ""
    if isinstance(codes, str):
        codes = [code for code in codes.split(",") if code.strip()]
    return languages.language_names(codes)


@register.filter
def money(amount: Decimal | int | str | None, currency: str) -> str:
    """An amount with its currency, as the reader writes money ("9 800 kr")."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency, get_language() or "sv")


@register.filter
def moment(value: dt.datetime | None, detail: str = "") -> str:
    """A moment in the page's time zone as a person says it: "7 dec 14:05", the year too
    when it is not this year's. `detail` "seconds" adds the seconds (a log), "weekday" the
    day of the week."""
    if not isinstance(value, dt.datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return moment_text(local, seconds=detail == "seconds", weekday=detail == "weekday")


@register.filter
def day(value: dt.date | None, detail: str = "") -> str:
    """A day as a person says it: "7 dec", with `detail` "weekday" "mån 7 dec"; the year
    too when it is not this year's. Never "Y-m-d", which is for files and the API."""
    if not isinstance(value, dt.date):
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return day_text(value, weekday=detail == "weekday")


@register.filter
def month(value: dt.date | None) -> str:
    """A month with its year: "dec 2026"."""
    if not isinstance(value, dt.date):
        return ""
    return month_text(value)
