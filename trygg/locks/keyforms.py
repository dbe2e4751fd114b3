"""Forms of the key pages: key receipts, the backup-key register, lock faults and placing a
lock from an installation order. They parse; the rules are in receipts, backupkeys, faults
and installation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trygg.lib.bounds import BoundedDateField

from .constants import BackupKeyOutcome, KeyHolder, SignedHow, Symptom


class ReceiptForm(forms.Form):
    keys = forms.CharField(
        label=_("Keys"),
        max_length=200,
        help_text=_("For example: two flat keys and an entry tag."),
        error_messages={"required": _("Say which keys were handed over.")},
    )
    key_count = forms.IntegerField(
        label=_("Number of keys"),
        min_value=1,
        max_value=50,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    holder = forms.ChoiceField(
        label=_("Held by"), choices=KeyHolder.choices, widget=forms.RadioSelect
    )
    handed_over_on = BoundedDateField(
        label=_("Handed over"), widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_by = forms.CharField(
        label=_("Signed by"),
        max_length=120,
        help_text=_("The client's or relative's name, typed out."),
        error_messages={"required": _("Type the name of the person who signs.")},
    )
    signed_how = forms.ChoiceField(
        label=_("Signed"), choices=SignedHow.choices, widget=forms.RadioSelect
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput, max_length=30_000)
    scan = forms.FileField(
        label=_("Scan of the paper (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    returned_on = BoundedDateField(
        label=_("Returned on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class BackupKeyForm(forms.Form):
    label = forms.CharField(
        label=_("Key tag"),
        max_length=40,
        help_text=_("The number or text on the key's tag."),
        error_messages={"required": _("Give the number or text on the key's tag.")},
    )
    district: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("District"), queryset=None, required=False, empty_label="—"
    )
    kept_at = forms.CharField(
        label=_("Kept at"),
        max_length=200,
        help_text=_("Where exactly: for example, the alarm organisation Norr, key cabinet 2."),
        error_messages={"required": _("Say where the key is kept.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, districts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]


class LendForm(forms.Form):
    borrower: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Borrowed by"),
        queryset=None,
        empty_label="—",
        error_messages={
            "required": _("Choose who borrows the key."),
            "invalid_choice": _("Choose who borrows the key from the list."),
        },
    )
    due_at = forms.DateTimeField(
        label=_("To be back by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=300)
    fault: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("For the lock fault"),
        queryset=None,
        required=False,
        empty_label=_("No lock fault"),
        help_text=_("The key is taken because the lock failed: the loan shows on the fault."),
        error_messages={"invalid_choice": _("Choose one of the lock faults at this door.")},
    )

    def __init__(
        self, *args: Any, staff: Any, faults: Any, zone: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["borrower"]
        field.queryset = staff  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: (  # type: ignore[attr-defined]
            f"{u.get_full_name() or u.username} ({u.username})"
        )
        fault = self.fields["fault"]
        fault.queryset = faults  # type: ignore[attr-defined]
        fault.label_from_instance = lambda f: (  # type: ignore[attr-defined]
            f"{f.reported_at.astimezone(zone):%Y-%m-%d %H:%M} · {f.get_symptom_display()} · "
            f"{f.reported_by.get_full_name() or f.reported_by.username}"
        )


class FaultForm(forms.Form):
    lock = forms.ChoiceField(
        label=_("Door"),
        error_messages={
            "required": _("Choose the door."),
            "invalid_choice": _("Choose one of your clients' doors."),
        },
    )
    symptom = forms.ChoiceField(
        label=_("What happened"),
        choices=Symptom.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say what happened.")},
    )
    description = forms.CharField(
        label=_("More about it (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, doors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lock"].choices = [("", "—"), *doors]  # type: ignore[attr-defined]


class StepsForm(forms.Form):
    backup_key = forms.ChoiceField(
        label=_("The backup key"),
        choices=BackupKeyOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you used the backup key.")},
    )
    called = forms.CharField(label=_("Whom you called"), required=False, max_length=200)
    door_opened = forms.NullBooleanField(
        label=_("Did you get in?"),
        required=False,
        widget=forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lines: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["called"].widget.attrs["list"] = "called-lines"
        self.lines = lines


class InstallForm(forms.Form):
    lock: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Lock from the inventory"), queryset=None, required=False, empty_label="—"
    )
    serial_number = forms.CharField(
        label=_("Or a new lock's serial number"), required=False, max_length=64
    )
    model_name = forms.CharField(label=_("Model"), required=False, max_length=100)
    on = BoundedDateField(
        label=_("On the door from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, locks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lock"].queryset = locks  # type: ignore[attr-defined]
        self.fields["lock"].label_from_instance = lambda lock: (  # type: ignore[attr-defined]
            f"{lock.serial_number} · {lock.model_name}"
        )
