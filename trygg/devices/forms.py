"""Forms for the phone pages: parsing only, no rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Provider, User
from trygg.lib.bounds import BoundedIntegerField

from .constants import INITIAL_STATUSES, PhoneStatus
from .identifiers import InvalidIdentifier, parse_imei


class PhoneFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("IMEI, number, model or staff member")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *PhoneStatus.choices]
    )
    provider = BoundedIntegerField(label=_("Provider"), required=False, widget=forms.Select)
    overdue = forms.BooleanField(label=_("Only overdue configuration"), required=False)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class RegisterPhoneForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    assigned_to = StaffChoiceField(
        label=_("Staff member"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Who uses the phone. Leave empty for a phone in stock."),
    )
    imei = forms.CharField(
        label=_("IMEI"),
        max_length=40,
        help_text=_("15 digits. Dial *#06# on the phone to see it."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    model_name = forms.CharField(label=_("Model"), max_length=100)
    serial_number = forms.CharField(label=_("Serial number"), max_length=64, required=False)
    phone_number = forms.CharField(label=_("Phone number"), max_length=32, required=False)
    status = forms.ChoiceField(
        label=_("Where is the phone now?"),
        choices=[(s.value, s.label) for s in INITIAL_STATUSES],
        initial=PhoneStatus.IN_STOCK,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, providers: QuerySet[Provider], staff: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["assigned_to"].queryset = staff  # type: ignore[attr-defined]

    def clean_imei(self) -> str:
        try:
            return parse_imei(self.cleaned_data["imei"])
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == PhoneStatus.IN_USE and not data.get("assigned_to"):
            self.add_error("assigned_to", _("A phone in use is used by someone: choose who."))
        return data


class PhoneActionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class HandInForm(PhoneActionForm):
    assigned_to = StaffChoiceField(
        label=_("Configure it for"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff  # type: ignore[attr-defined]


class ReportLostForm(PhoneActionForm):
    request_wipe = forms.BooleanField(
        label=_("Request a remote wipe now"),
        required=False,
        initial=True,
        help_text=_("The phone holds digital keys. Untick only if it will surely turn up."),
    )
