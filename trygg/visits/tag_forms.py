"""The tag page's forms: registering a tag at a client's door and taking one down."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trygg.devices.constants import TagDoor, TagRetireReason

# The reasons a person chooses; "replaced" is Trygg's own, set when a new tag takes over.
RETIRE_CHOICES = [
    (c, label) for c, label in TagRetireReason.choices if c != TagRetireReason.REPLACED
]


class RegisterTagForm(forms.Form):
    code = forms.CharField(
        label=_("Tag code"),
        max_length=200,  # the tag's link, read from its QR code, is longer than the code
        help_text=_("Printed on the tag, like 7K3M-Q9XB. Scanning the tag fills it in."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "7K3M-Q9XB",
            }
        ),
    )
    # The chip's serial number, read by Web NFC; nobody types it.
    uid = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    door = forms.ChoiceField(
        label=_("Door"), choices=TagDoor.choices, initial=TagDoor.MAIN, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label=_("Where at the door (optional)"),
        max_length=100,
        required=False,
        help_text=_("For example: inside the front door, at eye height."),
    )


class RetireTagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why is it taken down?"), choices=[("", "—"), *RETIRE_CHOICES]
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Required for “Other”."),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("reason") == TagRetireReason.OTHER
            and not str(cleaned.get("note", "")).strip()
        ):
            self.add_error("note", _("Say why the tag is taken down."))
        return cleaned
