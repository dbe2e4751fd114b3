"""Filter forms for the list pages: parsing only, no rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trygg.lib.bounds import BoundedDateField, BoundedIntegerField

from .constants import AccessAction, ConsentRelation, Technology


class ClientFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, address or national id")}
        ),
    )
    team = BoundedIntegerField(label=_("Team"), required=False, widget=forms.Select)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("active", _("Active")),
            ("starting", _("Starting within 14 days")),
            ("consent_review", _("Consent due for review")),
            ("ended", _("Ended")),
            ("all", _("All")),
        ],
    )
    # For those whose list opens on their own teams: search every client they may see.
    wide = forms.BooleanField(required=False, widget=forms.HiddenInput)


class StaffFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class AccessLogFilterForm(forms.Form):
    staff = forms.CharField(
        label=_("Staff member"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or user name")}),
    )
    client = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or national id")}),
    )
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("Any")), *AccessAction.choices]
    )
    flagged = forms.ChoiceField(
        label=_("Flags"),
        required=False,
        choices=[
            ("", _("All reads")),
            ("any", _("Any flag")),
            ("own", _("Own record")),
            ("colleague", _("Colleague's record")),
            ("outside", _("Outside own teams")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class ConsentForm(forms.Form):
    technology = forms.ChoiceField(label=_("Technology"), choices=Technology.choices)
    given_by = forms.CharField(label=_("Given by"), max_length=200)
    relation = forms.ChoiceField(label=_("Relation"), choices=ConsentRelation.choices)
    given_on = BoundedDateField(label=_("Given on"), widget=forms.DateInput(attrs={"type": "date"}))
    review_on = BoundedDateField(
        label=_("Review on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given, review = data.get("given_on"), data.get("review_on")
        if given and review and review < given:
            self.add_error("review_on", _("The review date is before the date it was given."))
        return data


class WithdrawConsentForm(forms.Form):
    withdrawn_on = BoundedDateField(
        label=_("Withdrawn on"), widget=forms.DateInput(attrs={"type": "date"})
    )
