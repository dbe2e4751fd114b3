"""Forms of the lock-event pages: registering a battery change, reviewing an unlock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from trygg.lib.bounds import BoundedDateField

_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class BatteryChangeForm(forms.Form):
    changed_at = forms.DateTimeField(
        label=_("Changed"),
        input_formats=[_LOCAL_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_INPUT),
        error_messages={
            "required": _("Give when the battery was changed."),
            "invalid": _("Give the date and time like 2026-12-07 14:05."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.TextInput(),
        help_text=_("For example the battery's type or batch."),
    )

    def changed_at_in(self, zone: ZoneInfo) -> dt.datetime:
        """The moment given, read by the municipality's clock."""
        value: dt.datetime = self.cleaned_data["changed_at"]
        return value.replace(tzinfo=None).replace(tzinfo=zone)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What was it?"),
        max_length=500,
        widget=forms.TextInput(),
        help_text=_("For example: visit registered on paper, the phone was flat."),
        error_messages={"required": _("Say what the unlock was.")},
    )


class RemoveLockForm(forms.Form):
    removed_on = BoundedDateField(
        label=_("Taken down on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Give the day the lock comes down.")},
    )
