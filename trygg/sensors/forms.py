"""Forms of the sensor pages: a client's rule, the events' filter and the report's months."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trygg.alarms.models import AlarmPriority

from .constants import SensorEventKind
from .models import SensorRule

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


class RuleForm(forms.ModelForm):
    class Meta:
        model = SensorRule
        fields = ["kind", "starts", "ends", "priority", "note"]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "note": _("Why, for those who read the rule later: e.g. the care plan's fall risk."),
        }
        error_messages = {
            "starts": {"required": _("Give the time the rule starts.")},
            "ends": {"required": _("Give the time the rule ends.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = AlarmPriority.choices  # type: ignore[attr-defined]
        self.fields["priority"].help_text = _(
            "High comes first on the alarm phone and the console, before other calls for help."
        )


class EventFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name")}),
    )
    kind = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events")), *list(SensorEventKind.choices)],
    )
    alarms = forms.BooleanField(label=_("Only those that raised an alarm"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The last day comes before the first."))
        return data


class MonthField(forms.CharField):
    """A month as an <input type=month> sends it: 2026-11."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": _("Give a month as year and month: 2026-11.")}

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        found = _MONTH_RE.fullmatch(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(found.group(1)), int(found.group(2)), 1)

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, dt.date) else value


class ReportForm(forms.Form):
    first = MonthField(label=_("From month"), required=False)
    last = MonthField(label=_("To month"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last month comes before the first."))
            if (last.year - first.year) * 12 + last.month - first.month >= 24:
                raise forms.ValidationError(_("At most 24 months at a time."))
        return data
