"""Maintenance windows and notice rules are master data for municipal administrators."""

from __future__ import annotations

from django.contrib import admin

from trygg.core.admin import ScopedAdmin, site

from .models import MaintenanceWindow, NoticeRule


@admin.register(MaintenanceWindow, site=site)
class MaintenanceWindowAdmin(ScopedAdmin):
    list_display = ["system", "weekdays", "start_time", "end_time", "municipality"]
    list_filter = ["system"]


@admin.register(NoticeRule, site=site)
class NoticeRuleAdmin(ScopedAdmin):
    list_display = ["audience", "min_days", "municipality"]
