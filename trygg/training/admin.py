"""Training sessions and start dates in the admin, for the municipality's administrators:
the pages are where training is planned; the admin is for corrections."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from trygg.core.admin import ScopedAdmin, site

from .models import StartPlan, TrainingSession


@admin.register(TrainingSession, site=site)
class TrainingSessionAdmin(ScopedAdmin):
    list_display = ["title", "kind", "starts_at", "seats", "cancelled_at", "municipality"]
    list_filter = ["kind"]
    search_fields = ["title"]
    # Who planned it is kept as it was; a staff picker would list every login there is.
    readonly_fields = ["created_by", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(StartPlan, site=site)
class StartPlanAdmin(ScopedAdmin):
    municipality_path = "provider__municipality"
    list_display = ["provider", "approved_on", "starts_on"]
    readonly_fields = ["recorded_by"]
