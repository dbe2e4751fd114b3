"""Forms for the service-desk pages: parsing only, no rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Provider
from trygg.lib.bounds import BoundedIntegerField

from .constants import ANY_OPEN, MAX_TEXTAREA_LENGTH, OrderStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, type, orderer or client")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), (ANY_OPEN, _("Open")), *OrderStatus.choices],
    )
    order_type = BoundedIntegerField(label=_("Type"), required=False, widget=forms.Select)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)


class ProviderChoiceForm(forms.Form):
    """Which of the orderer's providers the order is for, when they work at several."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), label=_("Ordered for"), empty_label=None
    )

    def __init__(self, providers: QuerySet[Provider], data: Mapping[str, Any] | None = None):
        super().__init__(data=data, prefix="order")
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=OrderStatus.choices)
    note = forms.CharField(required=False, max_length=500, label=_("Note"))
    # Set by the confirmation page: a cancellation is confirmed, "done" with unticked steps
    # says why.
    confirm = forms.BooleanField(required=False, label=_("Yes, cancel the order"))
    reason = forms.CharField(
        required=False,
        max_length=300,
        label=_("Why is the order done without these steps?"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=MAX_TEXTAREA_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal = forms.BooleanField(
        label=_("Internal note: only the welfare-technology team sees it"), required=False
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StepForm(forms.Form):
    done = forms.BooleanField(required=False)
