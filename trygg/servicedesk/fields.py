"""An order type's form as data: the field spec, its validation, and the form built from it.

The municipality edits the spec in the admin as JSON, a list of objects such as
``{"name": "imei", "label": "IMEI", "kind": "text", "required": true, "help": "15 digits"}``.
Kinds: text, textarea, date, number, choice (with ``choices``, optionally ``multiple``),
boolean and client (one of the clients the orderer may see; at most one per type, and it
becomes the order's client).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from trygg.core.models import Client
from trygg.lib.bounds import BoundedDateField

from .constants import MAX_TEXT_LENGTH, MAX_TEXTAREA_LENGTH, FieldKind

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_KEYS = frozenset({"name", "label", "kind", "required", "choices", "multiple", "help"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of an order type's form."""

    name: str
    label: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    multiple: bool = False
    help: str = ""


def parse_spec(raw: Any) -> list[FieldSpec]:
    """The field spec as typed objects; ValidationError naming the first problem."""
    if not isinstance(raw, list):
        raise ValidationError(_("The fields must be a list of objects."))
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValidationError(_("Field %(n)s is not an object.") % {"n": position})
        unknown = set(item) - _KEYS
        if unknown:
            raise ValidationError(
                _("Field %(n)s has unknown keys: %(keys)s.")
                % {"n": position, "keys": ", ".join(sorted(unknown))}
            )
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError(
                _("Field %(n)s needs a name of lower-case letters, digits and _.") % {"n": position}
            )
        if name in seen:
            raise ValidationError(_("Two fields are named %(name)s.") % {"name": name})
        seen.add(name)
        kind = item.get("kind")
        if kind not in FieldKind.values:
            raise ValidationError(
                _("Field %(name)s has an unknown kind; use one of %(kinds)s.")
                % {"name": name, "kinds": ", ".join(FieldKind.values)}
            )
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(_("Field %(name)s needs a label.") % {"name": name})
        choices = item.get("choices", [])
        if not isinstance(choices, list) or not all(
            isinstance(c, str) and c.strip() for c in choices
        ):
            raise ValidationError(
                _("The choices of field %(name)s must be a list of texts.") % {"name": name}
            )
        if kind == FieldKind.CHOICE and not choices:
            raise ValidationError(_("Choice field %(name)s has no choices.") % {"name": name})
        for flag in ("required", "multiple"):
            if not isinstance(item.get(flag, False), bool):
                raise ValidationError(
                    _("%(flag)s of field %(name)s must be true or false.")
                    % {"flag": flag, "name": name}
                )
        help_text = item.get("help", "")
        if not isinstance(help_text, str):
            raise ValidationError(_("The help of field %(name)s must be a text.") % {"name": name})
        specs.append(
            FieldSpec(
                name=name,
                label=label.strip(),
                kind=kind,
                required=item.get("required", False),
                choices=tuple(choices),
                multiple=item.get("multiple", False),
                help=help_text,
            )
        )
    if sum(1 for s in specs if s.kind == FieldKind.CLIENT) > 1:
        raise ValidationError(_("An order type can name at most one client."))
    return specs


def parse_steps(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
        raise ValidationError(_("The steps must be a list of texts."))
    if any(len(s) > 200 for s in raw):
        raise ValidationError(_("A step is at most 200 characters."))
    return [s.strip() for s in raw]


def client_label(client: Client) -> str:
    return f"{client.last_name}, {client.first_name} ({client.street})"


class ClientPicker(forms.Widget):
    """Search as you type over the user's own clients, instead of a select listing every
    client they may see. The search box asks the server (htmx) for the matches, shown as
    radio buttons named like the field: the keyboard moves through them as through any
    radio group, and no script of our own runs. The view sets `search_url` (the order
    type's search) and `selected` (the client chosen before, already checked as one the
    user may order for)."""

    template_name = "servicedesk/widgets/client_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.search_url = ""
        self.selected: Client | None = None
        self.wide_search = False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            {
                "search_url": self.search_url,
                "selected": self.selected,
                "selected_label": client_label(self.selected) if self.selected else "",
                "wide_search": self.wide_search,
            }
        )
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class ClientChoiceField(forms.ModelChoiceField):
    widget = ClientPicker

    def label_from_instance(self, obj: Any) -> str:
        return client_label(obj)


def _form_field(spec: FieldSpec, clients: QuerySet[Client]) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.label,
        "required": spec.required,
        "help_text": spec.help,
    }
    if spec.kind == FieldKind.TEXT:
        return forms.CharField(max_length=MAX_TEXT_LENGTH, **common)
    if spec.kind == FieldKind.TEXTAREA:
        return forms.CharField(
            max_length=MAX_TEXTAREA_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if spec.kind == FieldKind.DATE:
        return BoundedDateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.kind == FieldKind.NUMBER:
        return forms.IntegerField(min_value=0, max_value=1_000_000, **common)
    if spec.kind == FieldKind.BOOLEAN:
        return forms.BooleanField(**common)
    if spec.kind == FieldKind.CHOICE:
        choices = [(c, c) for c in spec.choices]
        if spec.multiple:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if spec.kind == FieldKind.CLIENT:
        return ClientChoiceField(
            queryset=clients.order_by("last_name", "first_name", "pk"),
            empty_label="—",
            **common,
        )
    raise ValueError(f"Unknown field kind {spec.kind!r}")


class OrderValuesForm(forms.Form):
    """The fields an order type asks for, built from its spec."""

    def __init__(
        self,
        specs: list[FieldSpec],
        clients: QuerySet[Client],
        data: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data=data)
        self.specs = specs
        for spec in specs:
            self.fields[spec.name] = _form_field(spec, clients)

    def values(self) -> dict[str, Any]:
        """The cleaned values as JSON: dates in ISO form, a client as its id."""
        result: dict[str, Any] = {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec.name)
            if isinstance(value, Client):
                value = value.pk
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif value in ("", None, []):
                value = None
            result[spec.name] = value
        return result

    def client(self) -> Client | None:
        for spec in self.specs:
            if spec.kind == FieldKind.CLIENT:
                value = self.cleaned_data.get(spec.name)
                return value if isinstance(value, Client) else None
        return None


def display_values(
    specs: list[FieldSpec], values: Mapping[str, Any], client: Client | None
) -> list[tuple[FieldSpec, Any]]:
    """(spec, value to show) pairs for the order's page, in the spec's order. A value whose
    field has since left the spec is still shown, under its stored name."""
    shown: list[tuple[FieldSpec, Any]] = []
    for spec in specs:
        value = values.get(spec.name)
        if spec.kind == FieldKind.CLIENT:
            value = client
        shown.append((spec, value))
    known = {s.name for s in specs}
    for name, value in values.items():
        if name not in known:
            shown.append((FieldSpec(name=name, label=name, kind=FieldKind.TEXT), value))
    return shown
