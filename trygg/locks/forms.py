"""Forms of the key overview: its search, and revoking a key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LockFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Address, client, staff or serial")}
        ),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the key's history: for example, phone lost or left the team."),
        error_messages={"required": _("Say why the key is revoked.")},
    )
