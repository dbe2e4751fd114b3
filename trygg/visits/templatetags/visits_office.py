"""Figures the back office shows: minutes as hours, shares as percentages, in the page's
language's number format."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def hours(minutes: float | int | None) -> str:
    """Minutes as hours with one decimal: 1 234,5 h."""
    if minutes is None:
        return "—"
    return f"{number_format(minutes / 60, 1, use_l10n=True, force_grouping=True)} h"


@register.filter
def share(value: float | None) -> str:
    """0.934 as 93 %."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, 0, use_l10n=True)} %"


@register.filter
def signed(value: int | float) -> str:
    """A difference with its sign: +12, a minus sign before 5, 0."""
    number = round(value)
    if number > 0:
        return f"+{number_format(number, use_l10n=True, force_grouping=True)}"
    if number < 0:
        return f"\u2212{number_format(-number, use_l10n=True, force_grouping=True)}"
    return "0"


@register.filter
def minutes(value: int | float | None) -> str:
    if value is None:
        return "—"
    return number_format(round(value), use_l10n=True, force_grouping=True)
