"""Forms of night supervision: the report-back, the plan, pauses, outcomes and the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Consent, Team
from trygg.devices.models import AlarmUnit
from trygg.lib.bounds import BoundedDateField

from .constants import MAX_SESSION_SECONDS, OTHER_LANGUAGES, Outcome, PauseReason
from .reports import MAX_NIGHTS
from .times import BadTimes, format_times, parse_times

_DATE = forms.DateInput(attrs={"type": "date"})


class CameraChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.serial_number} · {obj.model_name}"


class ReportBackForm(forms.Form):
    camera = CameraChoiceField(
        label=_("Camera (serial number, from stock)"), queryset=AlarmUnit.objects.none()
    )
    installed_on = BoundedDateField(label=_("Installed on"), widget=_DATE)
    sign_languages = forms.MultipleChoiceField(
        label=_("Signs put up besides Swedish"),
        choices=[(x, x) for x in OTHER_LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sign_placement = forms.CharField(
        label=_("Where the signs are"),
        max_length=300,
        help_text=_("Near the camera's room, not seen from the front door."),
    )
    tested = forms.BooleanField(label=_("Function test passed"), required=True)

    def __init__(self, stock: QuerySet[AlarmUnit], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["camera"].queryset = stock  # type: ignore[attr-defined]


class PlanForm(forms.Form):
    times = forms.CharField(
        label=_("Look-in times"), max_length=200, help_text=_("Such as 22:00, 01:00, 04:00")
    )
    window_minutes = forms.IntegerField(label=_("Window (minutes)"), min_value=5, max_value=120)
    session_seconds = forms.IntegerField(
        label=_("Camera session (seconds)"), min_value=5, max_value=MAX_SESSION_SECONDS
    )
    retry_minutes = forms.IntegerField(
        label=_("Not seen: look again after (minutes)"), min_value=1, max_value=60
    )
    then_phone = forms.BooleanField(label=_("Then phone the client"), required=False)
    then_patrol = forms.BooleanField(label=_("Then send the night patrol"), required=False)
    night_team = forms.ModelChoiceField(
        label=_("Night team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("The client's team"),
    )
    consent = forms.ModelChoiceField(
        label=_("Consent"), queryset=Consent.objects.none(), required=False, empty_label="—"
    )
    decision = forms.CharField(label=_("Or decision (number)"), max_length=200, required=False)
    review_on = BoundedDateField(label=_("Review on"), widget=_DATE, required=False)

    def __init__(
        self, teams: QuerySet[Team], consents: QuerySet[Consent], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["night_team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["consent"].queryset = consents  # type: ignore[attr-defined]

    def clean_times(self) -> list[dt.time]:
        try:
            return parse_times(self.cleaned_data["times"])
        except BadTimes as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("consent") and not (data.get("decision") or "").strip():
            self.add_error("decision", _("Name the consent or the decision supervision rests on."))
        return data

    @staticmethod
    def initial_for(plan: Any) -> dict[str, Any]:
        return {
            "times": format_times([t.at for t in plan.times.all()]),
            "window_minutes": plan.window_minutes,
            "session_seconds": plan.session_seconds,
            "retry_minutes": plan.retry_minutes,
            "then_phone": plan.then_phone,
            "then_patrol": plan.then_patrol,
            "night_team": plan.night_team_id,
            "consent": plan.consent_id,
            "decision": plan.decision,
            "review_on": plan.review_on,
        }


class PauseForm(forms.Form):
    first_night = BoundedDateField(label=_("First night"), widget=_DATE)
    last_night = BoundedDateField(label=_("Last night"), widget=_DATE)
    reason = forms.ChoiceField(label=_("Reason"), choices=PauseReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What did the look-in find?"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)


class CallForm(forms.Form):
    answered = forms.TypedChoiceField(
        choices=[("yes", _("Answered, all is well")), ("no", _("No answer"))],
        coerce=lambda v: v == "yes",
    )


class RemoveForm(forms.Form):
    last_day = BoundedDateField(label=_("Last day with the camera"), widget=_DATE)


class ReportForm(forms.Form):
    first = BoundedDateField(label=_("From night"), widget=_DATE, required=False)
    last = BoundedDateField(label=_("To night"), widget=_DATE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last night comes before the first."))
            if (last - first).days >= MAX_NIGHTS:
                raise forms.ValidationError(
                    _("At most %(n)s nights at a time.") % {"n": MAX_NIGHTS}
                )
        return data
