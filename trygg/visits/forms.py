"""The back office's forms: they parse what a person typed into the values the services
take (local dates and times into moments by the municipality's clock), and say in words
what could not be read."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trygg.lib.bounds import BoundedDateField, BoundedIntegerField

from .billing import parse_month
from .corrections import Change
from .models import CorrectionReason, FlagKind, Outcome, VisitPolicy


def _choices(field: forms.Field, choices: list[Any]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CorrectionForm(forms.Form):
    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    day = BoundedDateField(label=_("Date"), widget=DATE_INPUT)
    arrived = forms.TimeField(label=_("Arrived"), widget=TIME_INPUT)
    left = forms.TimeField(
        label=_("Left"),
        widget=TIME_INPUT,
        help_text=_("A time before the arrival means the next day (a visit over midnight)."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    tasks = forms.MultipleChoiceField(
        label=_("Tasks performed"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.ChoiceField(label=_("Reason for the correction"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is 'Other reason'."),
    )

    def __init__(
        self,
        *args: Any,
        zone: ZoneInfo,
        clients: list[tuple[int, str]],
        tasks: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        _choices(self.fields["client"], clients)
        _choices(self.fields["tasks"], tasks)
        _choices(
            self.fields["reason"],
            [("", "—")]
            + [
                (value, label)
                for value, label in CorrectionReason.choices
                if value != CorrectionReason.REGISTERED_TWICE
            ],
        )

    def change(self) -> Change:
        data = self.cleaned_data
        started = dt.datetime.combine(data["day"], data["arrived"], tzinfo=self.zone)
        ended = dt.datetime.combine(data["day"], data["left"], tzinfo=self.zone)
        if ended < started:
            ended = dt.datetime.combine(
                data["day"] + dt.timedelta(days=1), data["left"], tzinfo=self.zone
            )
        return Change(
            started_at=started,
            ended_at=ended,
            outcome=data["outcome"],
            tasks=tuple(data["tasks"]),
            client_id=data["client"],
        )


class StrikeForm(forms.Form):
    """Shown on the correction's page beside CorrectionForm: its fields get ids of their
    own, so each label names its own field."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (CorrectionReason.REGISTERED_TWICE, CorrectionReason.REGISTERED_TWICE.label),
            (CorrectionReason.WRONG_CLIENT, CorrectionReason.WRONG_CLIENT.label),
            (CorrectionReason.OTHER, CorrectionReason.OTHER.label),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "strike_%s")
        super().__init__(*args, **kwargs)


class ClearFlagsForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is in order"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("E.g. the tag is broken; reported")}),
    )


class WeekForm(forms.Form):
    day = BoundedDateField(label=_("Up to"), required=False, widget=DATE_INPUT)


class _TeamChoice(forms.Form):
    team = BoundedIntegerField(label=_("Team"), required=False, widget=forms.Select)
    staff = BoundedIntegerField(label=_("Staff member"), required=False, widget=forms.Select)
    first = BoundedDateField(label=_("From"), required=False, widget=DATE_INPUT)
    last = BoundedDateField(label=_("To"), required=False, widget=DATE_INPUT)

    def __init__(
        self,
        *args: Any,
        teams: list[tuple[int, str]],
        staff: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", _("All teams")), *teams]
        self.fields["staff"].widget.choices = [("", _("Everyone")), *staff]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class VisitFilterForm(_TeamChoice):
    flagged = forms.BooleanField(label=_("Only with open flags"), required=False)
    unapproved = forms.BooleanField(label=_("Only not approved"), required=False)
    struck = forms.BooleanField(label=_("Show struck out"), required=False)


class FlagFilterForm(_TeamChoice):
    kind = forms.ChoiceField(
        label=_("Flag"), required=False, choices=[("", _("All kinds")), *FlagKind.choices]
    )


class ApprovalForm(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int)
    first = BoundedDateField(label=_("From"), widget=DATE_INPUT)
    last = BoundedDateField(label=_("To"), widget=DATE_INPUT)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["team"], teams)


class LockForm(forms.Form):
    provider = forms.TypedChoiceField(label=_("Provider"), coerce=int)
    through = BoundedDateField(label=_("Lock through"), widget=DATE_INPUT)

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["provider"], providers)


class UnlockForm(forms.Form):
    provider = forms.TypedChoiceField(label=_("Provider"), coerce=int)
    first = BoundedDateField(label=_("From"), widget=DATE_INPUT)
    last = BoundedDateField(label=_("To"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["provider"], providers)


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )

    def clean_month(self) -> dt.date | None:
        text = self.cleaned_data["month"]
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from exc


ROUNDING_STEPS = (1, 5, 10, 15, 30)


def rounding_choices() -> list[tuple[int, str]]:
    return [
        (
            n,
            gettext("No rounding (whole minutes)")
            if n == 1
            else gettext("Nearest %(n)s minutes") % {"n": n},
        )
        for n in ROUNDING_STEPS
    ]


class PolicyForm(forms.ModelForm):
    rounding_minutes = forms.TypedChoiceField(
        label=_("Round performed time to"),
        choices=[(n, str(n)) for n in ROUNDING_STEPS],
        coerce=int,
        help_text=_("Each visit's performed time is rounded to the nearest multiple."),
    )

    class Meta:
        model = VisitPolicy
        fields = [
            "payment_basis",
            "rounding_minutes",
            "short_visit_minutes",
            "long_visit_minutes",
            "late_sync_hours",
            "clock_skew_limit",
        ]
        widgets = {"payment_basis": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["rounding_minutes"], rounding_choices())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        short, long = data.get("short_visit_minutes"), data.get("long_visit_minutes")
        if short is not None and long is not None and long <= short:
            raise forms.ValidationError(
                _("A very long visit must be longer than a very short one.")
            )
        for name, most in (
            ("short_visit_minutes", 120),
            ("long_visit_minutes", 16 * 60),
            ("late_sync_hours", 24 * 31),
            ("clock_skew_limit", 24 * 3600),
        ):
            value = data.get(name)
            if value is not None and value > most:
                self.add_error(name, _("At most %(most)s.") % {"most": most})
        return data
