"""The responder organisation in the admin: districts, responder shifts and the escalation
policy, which the municipality's administrators keep. Alarms themselves are handled on
the console, where every step is checked and logged."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trygg.core.admin import ScopedAdmin, admin_municipalities, site

from .dispatch import forget_organisations
from .models import AlarmPolicy, District, ResponderShift


class OrganisationAdmin(ScopedAdmin):
    """A change applies to the next alarm in this process at once, in others within
    dispatch.ORGANISATION_TTL seconds."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_organisations()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        forget_organisations()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        forget_organisations()


@admin.register(District, site=site)
class DistrictAdmin(OrganisationAdmin):
    list_display = ["name", "code", "postal_codes", "municipality"]
    search_fields = ["name", "code", "postal_codes"]


@admin.register(ResponderShift, site=site)
class ResponderShiftAdmin(OrganisationAdmin):
    list_display = [
        "name",
        "team",
        "starts",
        "ends",
        "weekdays",
        "district",
        "provider",
        "backup_team",
        "priority",
        "active",
    ]
    list_filter = ["active", "district"]
    search_fields = ["name", "team__name"]
    ordering = ["municipality", "starts", "priority"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district" and not request.user.is_superuser:
            kwargs["queryset"] = District.objects.filter(
                municipality__in=admin_municipalities(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AlarmPolicy, site=site)
class AlarmPolicyAdmin(OrganisationAdmin):
    list_display = ["municipality", "acknowledge_within", "remind_every"]
