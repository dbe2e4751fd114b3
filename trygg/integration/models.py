"""The record of each import from the case system."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trygg.core.models import ApiToken, Provider

from .constants import ImportSource, ImportStatus


class ImportRun(models.Model):
    """One import of a provider's clients and granted services from the case system.

    Who ran it, from where, and what it changed. The file itself is not kept: it holds
    personal data, and the clients it created are the record of what it said.
    """

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="import_runs", verbose_name=_("provider")
    )
    source = models.CharField(_("source"), max_length=16, choices=ImportSource.choices)
    # Kept apart from the foreign keys so the run still says who it was if they are removed.
    actor_label = models.CharField(_("run by"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    token = models.ForeignKey(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API token"),
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    end_missing = models.BooleanField(_("ended what was not in the file"), default=False)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    status = models.CharField(_("result"), max_length=16, choices=ImportStatus.choices)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    clients_created = models.PositiveIntegerField(_("clients created"), default=0)
    clients_updated = models.PositiveIntegerField(_("clients updated"), default=0)
    clients_unchanged = models.PositiveIntegerField(_("clients unchanged"), default=0)
    clients_ended = models.PositiveIntegerField(_("clients ended"), default=0)
    services_created = models.PositiveIntegerField(_("services created"), default=0)
    services_updated = models.PositiveIntegerField(_("services updated"), default=0)
    services_unchanged = models.PositiveIntegerField(_("services unchanged"), default=0)
    services_ended = models.PositiveIntegerField(_("services ended"), default=0)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["provider", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.provider_id} {self.status}"

    @property
    def ok(self) -> bool:
        return self.status == ImportStatus.OK
