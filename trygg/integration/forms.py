"""The back-office upload form: parsing only, no rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Provider

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    file = forms.FileField(
        label=_("CSV file from the case system"),
        help_text=_("UTF-8, separated by ';' or ',', with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    end_missing = forms.BooleanField(
        label=_("End clients and services not in the file"),
        required=False,
        help_text=_(
            "The file is the provider's full list: whoever is missing from it is ended "
            "today. Nothing is deleted."
        ),
    )

    def __init__(self, *args: Any, providers: QuerySet[Provider], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["provider"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = providers.select_related("municipality").order_by("name")
        if providers.count() == 1:
            field.initial = providers.first()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload
