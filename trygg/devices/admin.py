"""Phones and alarm units in the admin, for correcting the register. Phone status changes
go through the pages or the API, where they are checked and recorded, so the lifecycle
fields are read-only here; alarm placements go through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trygg.core.access import can_use_admin
from trygg.core.admin import ScopedAdmin, admin_municipalities, limit_choices, site
from trygg.core.models import Client, User

from . import access, services
from .models import (
    AlarmPlacement,
    AlarmProtocol,
    AlarmUnit,
    Phone,
    PhoneEvent,
    normalise_encryption_key,
)


class PhoneEventInline(admin.TabularInline):
    model = PhoneEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Phone, site=site)
class PhoneAdmin(ScopedAdmin):
    list_display = ["model_name", "imei", "phone_number", "assigned_to", "provider", "status"]
    list_filter = ["status", ("provider", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["imei", "serial_number", "phone_number", "model_name"]
    readonly_fields = [
        "status",
        "handed_in_on",
        "handed_in_by",
        "ready_by",
        "configured_on",
        "picked_up_on",
        "lost_reported_at",
        "lost_reported_by",
        "wipe_requested_at",
        "wipe_requested_by",
        "wiped_at",
        "wiped_by",
    ]
    inlines = [PhoneEventInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assigned_to" and not request.user.is_superuser:
            # Only staff of the administrator's own municipalities, never everyone.
            municipalities = admin_municipalities(request)
            kwargs["queryset"] = User.objects.filter(
                role_assignments__municipality__in=municipalities
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Alarm units ---------------------------------------------------------------------------
# The encryption key is write-only: the form never renders it, a blank field keeps it, and
# lists show only whether there is one. Placements are made and ended through the services
# (which check overlaps under a lock on the unit); the client is named by case-system id so
# that no client's name is read here, outside the access log.


_UNIT_FIELDS = [
    "municipality",
    "serial_number",
    "model_name",
    "kind",
    "protocol",
    "dc09_account",
    "scaip_controller_id",
    "encryption_key",
    "heartbeat_interval",
    "heartbeat_grace",
    "notes",
]


class AlarmUnitForm(forms.ModelForm):
    encryption_key = forms.CharField(
        label=_("New encryption key"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "32, 48 or 64 hexadecimal digits (AES-128, -192, -256). Leave empty to keep the "
            "current key."
        ),
    )
    remove_encryption_key = forms.BooleanField(label=_("Remove the encryption key"), required=False)

    class Meta:
        model = AlarmUnit
        fields = _UNIT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not even as the form's initial value: "changed" then means a new key was typed.
        self.initial["encryption_key"] = ""

    def clean_encryption_key(self) -> str:
        given: str = self.cleaned_data.get("encryption_key", "")
        if not given:
            return self.instance.encryption_key if self.instance.pk else ""
        try:
            return normalise_encryption_key(given)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove_encryption_key"):
            if "encryption_key" in self.changed_data:
                self.add_error("remove_encryption_key", _("Either give a new key or remove it."))
            data["encryption_key"] = ""
        return data


class AlarmPlacementForm(forms.ModelForm):
    client_ref = forms.CharField(
        label=_("Client (case-system id)"),
        required=False,
        max_length=64,
        help_text=_("For a safety alarm."),
    )

    class Meta:
        model = AlarmPlacement
        fields = ["provider", "active_from", "active_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client: Client | None = None
        if self.instance.pk:
            # What happened stays as it was; only the last day may be set or corrected.
            if self.instance.client_id:
                self.initial["client_ref"] = self.instance.client.case_system_id
            for name in ("client_ref", "provider", "active_from"):
                self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and self.instance.active_to and data.get("active_to") is None:
            self.add_error("active_to", _("An end date can be corrected, not removed."))
        return data


class AlarmPlacementFormSet(BaseInlineFormSet):
    """Checks the placements as they would be after saving, before anything is saved."""

    def clean(self) -> None:
        super().clean()
        unit: AlarmUnit = self.instance
        periods: list[tuple[dt.date, dt.date | None]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or form.errors:
                continue
            if form.instance.pk is None:
                if not form.has_changed():
                    continue
                if not self._check_new(unit, form, data):
                    continue
            first, last = data["active_from"], data.get("active_to")
            for other_first, other_last in periods:
                if (last is None or other_first <= last) and (
                    other_last is None or other_last >= first
                ):
                    form.add_error(None, _("Placements of one unit may not overlap."))
                    break
            else:
                periods.append((first, last))

    def _check_new(self, unit: AlarmUnit, form: Any, data: dict[str, Any]) -> bool:
        ref = (data.get("client_ref") or "").strip()
        provider = data.get("provider")
        if ref:
            form.client = Client.objects.filter(
                municipality_id=unit.municipality_id, case_system_id=ref
            ).first()
            if form.client is None:
                form.add_error("client_ref", _("No client with that id in this municipality."))
                return False
        if data.get("active_from") is None:
            return False
        try:
            services.check_placement(
                unit,
                client=form.client,
                provider=provider,
                active_from=data["active_from"],
                active_to=data.get("active_to"),
            )
        except services.PlacementError as exc:
            form.add_error(None, str(exc))
            return False
        return True


class AlarmPlacementInline(admin.TabularInline):
    model = AlarmPlacement
    form = AlarmPlacementForm
    formset = AlarmPlacementFormSet
    fields = ["client_ref", "provider", "active_from", "active_to"]
    extra = 1
    can_delete = False  # a placement is history: end it instead

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        limit_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_place(self, request: HttpRequest, obj: AlarmUnit | None) -> bool:
        if obj is None:
            return bool(access.alarm_unit_municipalities(request.user))
        return access.can_manage_alarm_units(request.user, obj.municipality_id)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_place(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_place(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_admin(request.user)


# Fields the unit's form may change; the supervision fields belong to the ingest and the
# worker, and saving them back from a form would undo what they wrote meanwhile.
_UNIT_FORM_FIELDS = frozenset(_UNIT_FIELDS)

# Device tokens: the plain text is rendered once, in the answer to the POST that issued it,
# never put in a message (messages live in the session or a cookie) or a redirect. A unit
# with a live token is only given a new one after a confirmation, since its old one stops
# working at once. Kept here rather than as a template file: two small pages of one action.
_ISSUE_PAGE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}<div id="content-main">
{% if issued %}
<p>{% blocktranslate trimmed %}
  Copy each token into its unit now. It is stored only as a digest and cannot be shown again.
{% endblocktranslate %}</p>
<table>
  <thead><tr><th>{% translate "serial number" %}</th><th>{% translate "device token" %}</th></tr>
  </thead>
  <tbody>{% for unit, plain in issued %}
    <tr><td>{{ unit.serial_number }}</td><td><code>{{ plain }}</code></td></tr>
  {% endfor %}</tbody>
</table>
<p><a href="{{ back }}">{% translate "Back to the alarm units" %}</a></p>
{% else %}
<form method="post">{% csrf_token %}
<p>{% blocktranslate trimmed %}
  These units have a device token. A new one replaces it at once, and the unit cannot post
  until it has been given the new token:
{% endblocktranslate %}</p>
<ul>{% for unit in replacing %}<li>{{ unit }}</li>{% endfor %}</ul>
{% for unit in units %}
  <input type="hidden" name="_selected_action" value="{{ unit.pk }}">
{% endfor %}
<input type="hidden" name="action" value="issue_device_tokens">
<input type="hidden" name="confirm" value="yes">
<input type="submit" value="{% translate "Replace the tokens" %}">
<a href="{{ back }}" class="button cancel-link">{% translate "Cancel" %}</a>
</form>
{% endif %}
</div>{% endblock %}"""


@admin.register(AlarmUnit, site=site)
class AlarmUnitAdmin(ScopedAdmin):
    form = AlarmUnitForm
    list_display = [
        "serial_number",
        "model_name",
        "kind",
        "protocol",
        "unit_ref",
        "encryption",
        "last_seen_at",
        "connection_lost",
    ]
    list_filter = ["protocol", "kind", "connection_lost"]
    search_fields = ["serial_number", "dc09_account", "scaip_controller_id", "model_name"]
    fields = [
        "municipality",
        "serial_number",
        "model_name",
        "kind",
        "protocol",
        "dc09_account",
        "scaip_controller_id",
        "encryption",
        "encryption_key",
        "remove_encryption_key",
        "device_token",
        "heartbeat_interval",
        "heartbeat_grace",
        "last_seen_at",
        "supervision_due_at",
        "connection_lost",
        "notes",
    ]
    readonly_fields = [
        "encryption",
        "device_token",
        "last_seen_at",
        "supervision_due_at",
        "connection_lost",
    ]
    list_select_related = ["api_token"]
    inlines = [AlarmPlacementInline]
    actions = ["issue_device_tokens", "revoke_device_tokens"]

    @admin.display(description=_("unit id"))
    def unit_ref(self, obj: AlarmUnit) -> str:
        return obj.unit_ref

    @admin.display(description=_("encryption"))
    def encryption(self, obj: AlarmUnit) -> str:
        return obj.encryption_label or str(_("none"))

    @admin.display(description=_("device token"))
    def device_token(self, obj: AlarmUnit) -> str:
        """The token's prefix and state: what `trygg token list` shows, never the token."""
        token = obj.api_token
        if obj.protocol != AlarmProtocol.API:
            return "—"
        if token is None:
            return str(_("none"))
        if token.revoked_at is not None:
            return str(_("%(prefix)s… revoked") % {"prefix": token.prefix})
        return str(_("%(prefix)s… in use") % {"prefix": token.prefix})

    @admin.action(description=_("Issue device tokens (shown once)"))
    def issue_device_tokens(
        self, request: HttpRequest, queryset: QuerySet[AlarmUnit]
    ) -> HttpResponse | None:
        user = request.user
        assert isinstance(user, User)
        units = list(queryset.select_related("api_token").order_by("serial_number"))
        others = [unit for unit in units if unit.protocol != AlarmProtocol.API]
        if others:
            self.message_user(
                request,
                _("Only units on the HTTPS API have a device token: %(units)s.")
                % {"units": ", ".join(unit.serial_number for unit in others)},
                messages.ERROR,
            )
            return None
        replacing = [u for u in units if u.api_token and u.api_token.revoked_at is None]
        if replacing and request.POST.get("confirm") != "yes":
            return self._token_page(request, {"units": units, "replacing": replacing})
        issued = []
        for unit in units:
            try:
                _token, plain = services.rotate_device_token(user, unit)
            except (PermissionError, services.DeviceTokenError) as exc:
                self.message_user(request, f"{unit.serial_number}: {exc}", messages.ERROR)
                continue
            issued.append((unit, plain))
        if not issued:
            return None
        return self._token_page(request, {"issued": issued})

    @admin.action(description=_("Revoke device tokens"))
    def revoke_device_tokens(self, request: HttpRequest, queryset: QuerySet[AlarmUnit]) -> None:
        user = request.user
        assert isinstance(user, User)
        revoked = 0
        for unit in queryset:
            try:
                revoked += services.revoke_device_token(user, unit)
            except PermissionError as exc:
                self.message_user(request, f"{unit.serial_number}: {exc}", messages.ERROR)
        self.message_user(
            request,
            ngettext(
                "%(count)d device token revoked; its unit cannot post until it has a new one.",
                "%(count)d device tokens revoked; their units cannot post until they have new "
                "ones.",
                revoked,
            )
            % {"count": revoked},
        )

    def _token_page(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Device tokens"),
            "opts": self.model._meta,
            "back": reverse("admin:devices_alarmunit_changelist"),
            **context,
        }
        page = engines["django"].from_string(_ISSUE_PAGE).render(context, request)
        response = HttpResponse(page)
        add_never_cache_headers(response)  # the page holds the tokens: no copy in any cache
        return response

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # A read-only form would show the key's value.
            fields = [f for f in fields if f not in ("encryption_key", "remove_encryption_key")]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("municipality")  # its placements are with that one's clients
        return readonly

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.save()
            return
        fields = {name for name in form.changed_data if name in _UNIT_FORM_FIELDS}
        if "remove_encryption_key" in form.changed_data:
            fields.add("encryption_key")
        if fields:
            obj.save(update_fields=sorted(fields | {"updated_at"}))
        if fields & {"heartbeat_interval", "heartbeat_grace"}:
            services.reschedule_supervision(obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not AlarmPlacement:
            super().save_formset(request, form, formset, change)
            return
        unit: AlarmUnit = form.instance
        user = request.user
        assert isinstance(user, User)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        # Ends first: a unit moved in one save ends with one holder, then goes to the next.
        for placement_form in formset.forms:
            placement = placement_form.instance
            if placement.pk and "active_to" in placement_form.changed_data:
                services.end_placement(user, placement, placement_form.cleaned_data["active_to"])
                formset.changed_objects.append((placement, ["active_to"]))
        for placement_form in formset.forms:
            if placement_form.instance.pk or not placement_form.has_changed():
                continue
            data = placement_form.cleaned_data
            formset.new_objects.append(
                services.place_unit(
                    user,
                    unit,
                    client=placement_form.client,
                    provider=data.get("provider"),
                    active_from=data["active_from"],
                    active_to=data.get("active_to"),
                )
            )
