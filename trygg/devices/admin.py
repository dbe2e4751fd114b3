"""Phones in the admin, for correcting the register. Status changes go through the pages or
the API, where they are checked and recorded, so the lifecycle fields are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trygg.core.admin import ScopedAdmin, _admin_municipalities, site
from trygg.core.models import User

from .models import Phone, PhoneEvent


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
            municipalities = _admin_municipalities(request)
            kwargs["queryset"] = User.objects.filter(
                role_assignments__municipality__in=municipalities
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
