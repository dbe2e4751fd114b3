"""Forms for the support pages: parsing only; the rules are in services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trygg.core.models import Team, User
from trygg.lib.bounds import BoundedDateTimeField

from .constants import Currency
from .models import Service
from .services import parse_cost


class DistrictForm(forms.Form):
    district = forms.ModelChoiceField(
        # The choice is a team: its district's out-of-hours line (the team's alarm
        # organisation) comes first. Called a team, since teams are what is listed.
        label=_("Your team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("No team: the general lines"),
    )

    def __init__(self, *args: Any, districts: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts


class CallOutForm(forms.Form):
    service = forms.ModelChoiceField(
        label=pgettext_lazy("an IT service in the service catalogue", "Service"),
        queryset=Service.objects.none(),
    )
    at = BoundedDateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    vendor = forms.CharField(label=_("Vendor"), max_length=100)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    cost = forms.CharField(label=_("Cost"), max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    ordered_by = forms.ModelChoiceField(
        label=_("Ordered by"), queryset=User.objects.none(), required=False
    )
    approved_by = forms.ModelChoiceField(
        label=_("Approved by"), queryset=User.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Service],
        staff: QuerySet[User],
        zone: ZoneInfo,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        for name, queryset in (
            ("service", services),
            ("ordered_by", staff),
            ("approved_by", staff),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["at"]
        # The time is typed in the municipality's time zone, not the server's.
        return value.replace(tzinfo=None).replace(tzinfo=self.zone)

    def clean_cost(self) -> Decimal:
        try:
            return parse_cost(self.cleaned_data["cost"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["cost"]) from exc
