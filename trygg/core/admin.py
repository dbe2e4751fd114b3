"""Master data in Django's admin, for the municipality's administrators.

Clients are not edited here: they come from the case system through the import, and every
read of them must pass the access log, which the admin does not. The access log is not
here either: it has its own review page and cannot be changed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect

from . import access
from .constants import Role
from .models import (
    ApiToken,
    ClosedDay,
    Municipality,
    Provider,
    RoleAssignment,
    ServiceType,
    Team,
    User,
)


def admin_municipalities(request: HttpRequest) -> set[int]:
    """The municipalities whose master data the request's administrator manages; every
    app's admin narrows its lists and choices to them."""
    return access.scope_for(request.user).municipalities_with({Role.MUNICIPAL_ADMIN})


class TryggAdminSite(admin.AdminSite):
    site_header = "Trygg"
    site_title = "Trygg"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and access.can_use_admin(request.user))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # One login for the whole system: the admin's own form would demand is_staff.
        # Someone already logged in without the admin is refused here: sending them to the
        # login page would bounce them straight back (it redirects logged-in people), a loop.
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect("admin:index")
            raise PermissionDenied
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


def limit_choices(request: HttpRequest, field: Any, kwargs: dict[str, Any]) -> None:
    """Foreign-key choices in forms stay inside the administrator's municipalities."""
    if request.user.is_superuser:
        return
    municipalities = admin_municipalities(request)
    model = field.remote_field.model
    if model is Municipality:
        kwargs["queryset"] = Municipality.objects.filter(pk__in=municipalities)
    elif model is Provider:
        kwargs["queryset"] = Provider.objects.filter(municipality__in=municipalities)
    elif model is Team:
        kwargs["queryset"] = Team.objects.filter(provider__municipality__in=municipalities)


class ScopedAdmin(admin.ModelAdmin):
    """Municipal administrators manage their own municipality's master data."""

    municipality_path = "municipality"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        limit_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.municipality_path}__in": admin_municipalities(request)}
        ).distinct()

    def _allowed(self, request: HttpRequest) -> bool:
        return access.can_use_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request)


site = TryggAdminSite(name="admin")


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(Municipality, site=site)
class MunicipalityAdmin(ScopedAdmin):
    municipality_path = "pk"
    list_display = ["name", "code", "country", "time_zone"]
    inlines = [ClosedDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=admin_municipalities(request))


@admin.register(Provider, site=site)
class ProviderAdmin(ScopedAdmin):
    list_display = ["name", "org_number", "kind", "municipality", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "org_number"]


@admin.register(Team, site=site)
class TeamAdmin(ScopedAdmin):
    municipality_path = "provider__municipality"
    list_display = ["name", "code", "provider", "is_active"]
    # Only providers the administrator's teams belong to: the plain filter lists every
    # provider in the database, other municipalities' included.
    list_filter = [("provider", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code"]


@admin.register(ServiceType, site=site)
class ServiceTypeAdmin(ScopedAdmin):
    list_display = ["name", "code", "category", "municipality"]
    list_filter = ["category"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    filter_horizontal = ["teams"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        limit_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        limit_choices(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(User, site=site)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    municipality_path = "role_assignments__municipality"
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            "Personal info",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "national_id",
                    "preferred_language",
                )
            },
        ),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]


@admin.register(ApiToken, site=site)
class ApiTokenAdmin(ScopedAdmin):
    list_display = [
        "name",
        "prefix",
        "municipality",
        "provider",
        "scopes",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # The plain token must be shown once at creation: `trygg token create` does that.
        return False
