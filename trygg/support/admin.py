"""Support lines, opening hours, escalation steps, services and call-outs in the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trygg.core import access
from trygg.core.admin import ScopedAdmin, admin_municipalities, site
from trygg.core.models import User

from .constants import WEEKDAY_CHOICES, System
from .models import CallOut, EscalationStep, OpeningRule, Service, SupportLine, split_codes


class CodesField(forms.MultipleChoiceField):
    """Check boxes stored as a string of codes: "locks,visit_app" or "1234"."""

    def __init__(
        self, *, choices: list[tuple[str, Any]], separator: str = ",", **kwargs: Any
    ) -> None:
        self.separator = separator
        self.codes = [code for code, _label in choices]
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(choices=choices, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return split_codes(value) if self.separator else list(value)
        return value

    def clean(self, value: Any) -> str:
        chosen = super().clean(value)
        return self.separator.join(sorted(chosen, key=self.codes.index))


class SupportLineForm(forms.ModelForm):
    systems = CodesField(label=_("Systems served"), choices=list(System.choices))

    class Meta:
        model = SupportLine
        fields = [
            "municipality",
            "name",
            "phone",
            "email",
            "systems",
            "kind",
            "district",
            "priority",
            "always_open",
            "note",
            "audience",
            "others_instead",
            "no_account_help",
            "is_active",
        ]


class OpeningRuleForm(forms.ModelForm):
    weekdays = CodesField(
        label=_("Weekdays"), choices=list(WEEKDAY_CHOICES), separator="", required=False
    )

    class Meta:
        model = OpeningRule
        fields = ["day_type", "weekdays", "start", "end", "closed"]


class OpeningRuleInline(admin.TabularInline):
    model = OpeningRule
    form = OpeningRuleForm
    extra = 0

    # Django's own model permissions are not used: roles decide, as for ScopedAdmin.
    def _allowed(self, request: HttpRequest) -> bool:
        return access.can_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)


class _StaffChoicesAdmin(ScopedAdmin):
    """Staff to pick from are the administrator's municipality's, not everyone's."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.remote_field.model is User and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(
                role_assignments__municipality__in=admin_municipalities(request)
            ).distinct()
        if db_field.remote_field.model is SupportLine and not request.user.is_superuser:
            kwargs["queryset"] = SupportLine.objects.filter(
                municipality__in=admin_municipalities(request)
            )
        if db_field.remote_field.model is Service and not request.user.is_superuser:
            kwargs["queryset"] = Service.objects.filter(
                municipality__in=admin_municipalities(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Service, site=site)
class ServiceAdmin(_StaffChoicesAdmin):
    list_display = ["name", "system", "vendor", "call_out_fee", "currency", "is_active"]
    list_filter = ["system", "is_active"]
    search_fields = ["name", "vendor"]


@admin.register(SupportLine, site=site)
class SupportLineAdmin(_StaffChoicesAdmin):
    form = SupportLineForm
    inlines = [OpeningRuleInline]
    list_display = ["name", "phone", "kind", "systems", "audience", "district", "priority"]
    list_filter = ["kind", "audience", "always_open", "is_active"]
    search_fields = ["name", "phone"]


@admin.register(EscalationStep, site=site)
class EscalationStepAdmin(_StaffChoicesAdmin):
    list_display = ["system", "order", "kind", "text", "line", "applies"]
    list_filter = ["system"]


@admin.register(CallOut, site=site)
class CallOutAdmin(_StaffChoicesAdmin):
    municipality_path = "service__municipality"
    list_display = ["at", "service", "vendor", "cost", "currency", "ordered_by", "approved_by"]
    list_filter = ["currency"]
    date_hierarchy = "at"
