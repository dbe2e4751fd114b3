"""Forms for planning and moving outages. Times are entered as the municipality's clock
shows them and made aware in its time zone here, whatever zone the browser is in."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.forms.fields import BaseTemporalField
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality
from trygg.lib.bounds import BoundedDateTimeField

from .constants import OutageKind, System

_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(BoundedDateTimeField):
    """A wall-clock date and time, left naive: the form knows which zone it is in."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_INPUT)
    input_formats = [_LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        # The base parses the formats; DateTimeField's own to_python would make the
        # result aware in the request's zone, which may not be the municipality's.
        result = BaseTemporalField.to_python(self, value)
        assert isinstance(result, dt.datetime)
        return result


def local_input(moment: dt.datetime, tz: ZoneInfo) -> str:
    """An aware moment as the value of a datetime-local input."""
    return moment.astimezone(tz).strftime(_LOCAL_INPUT)


class _TimesMixin(forms.Form):
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    override_reason = forms.CharField(
        label=_("Reason for overriding the rules"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the outage breaks a notice or maintenance-window rule: say why it "
            "cannot wait. The reason is kept with the outage."
        ),
    )

    def _make_aware(self, cleaned: dict[str, Any], tz: ZoneInfo) -> None:
        for name in ("starts_at", "ends_at"):
            value = cleaned.get(name)
            if isinstance(value, dt.datetime):
                cleaned[name] = value.replace(tzinfo=tz)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The outage must end after it starts."))


class PlanForm(_TimesMixin):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), empty_label=None
    )
    system = forms.ChoiceField(label=_("System"), choices=System.choices)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=OutageKind.choices,
        initial=OutageKind.PLANNED,
        help_text=_("An unplanned outage is announced to everyone at once, without notice."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What users should know"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the public status page: no names or client details."),
    )

    field_order = [
        "municipality",
        "system",
        "kind",
        "title",
        "description",
        "starts_at",
        "ends_at",
        "override_reason",
    ]

    def __init__(self, *args: Any, municipalities: QuerySet[Municipality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = municipalities
        first_two = list(municipalities[:2])
        # Someone who plans for one municipality is not asked which.
        self.only = first_two[0] if len(first_two) == 1 else None
        if self.only is not None:
            field.initial = self.only.pk
            field.required = False
            field.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("municipality") is None and self.only is not None:
            cleaned["municipality"] = self.only
        municipality = cleaned.get("municipality")
        if municipality is not None:
            self._make_aware(cleaned, municipality.zone)
        return cleaned


class RescheduleForm(_TimesMixin):
    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._make_aware(cleaned, self.zone)
        return cleaned
