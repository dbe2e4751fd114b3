"""The order catalogue in the admin: the municipality edits its types' forms and steps."""

from __future__ import annotations

from django.contrib import admin

from trygg.core.admin import ScopedAdmin, site

from .models import OrderType


@admin.register(OrderType, site=site)
class OrderTypeAdmin(ScopedAdmin):
    list_display = ["name", "code", "deadline_working_days", "audience", "active", "municipality"]
    list_filter = ["active", "audience"]
    search_fields = ["name", "code"]
    ordering = ["municipality", "position", "name"]
    # Orders are not edited here: they hold client references, and reads of those go
    # through the order pages, which check access.
