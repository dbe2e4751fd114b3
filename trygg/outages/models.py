"""Planned and unplanned outages, the maintenance windows they must fit, the notice rules,
and the log of every notice sent."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality, Provider, User

from .constants import (
    DASH,
    MAX_NOTICE_DAYS,
    Audience,
    Channel,
    NoticeKind,
    OutageKind,
    OutageStatus,
    RuleAudience,
    System,
)

_WEEKDAYS = RegexValidator(
    r"^[1-7]{1,7}$", _("Weekdays as ISO numbers, Monday 1 to Sunday 7, e.g. 23.")
)


class MaintenanceWindow(models.Model):
    """A recurring maintenance window (servicefönster) in which a system may be taken down.

    Times are wall-clock times in the municipality's time zone, so a window of 09:00-14:00
    stays 09:00-14:00 across the change to and from summer time.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="maintenance_windows"
    )
    system = models.CharField(_("system"), max_length=16, choices=System.choices)
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        validators=[_WEEKDAYS],
        help_text=_("ISO weekday numbers, Monday 1 to Sunday 7: 23 is Tuesday and Wednesday."),
    )
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["system", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="maintenancewindow_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()}: {self.weekday_names()} {self.time_range()}"

    def clean(self) -> None:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The window must end after it starts.")})

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays if d.isdigit())

    def weekday_names(self) -> str:
        # 2024-01-01 was a Monday: day n of that week has ISO weekday n.
        return ", ".join(
            formats.date_format(dt.date(2024, 1, d), "D") for d in sorted(self.weekday_set)
        )

    def time_range(self) -> str:
        return f"{self.start_time:%H:%M}{DASH}{self.end_time:%H:%M}"

    def contains(self, start_local: dt.datetime, end_local: dt.datetime) -> bool:
        """Whether the local interval lies wholly inside one day's window."""
        return (
            start_local.date() == end_local.date()
            and start_local.isoweekday() in self.weekday_set
            and start_local.time() >= self.start_time
            and end_local.time() <= self.end_time
        )


class NoticeRule(models.Model):
    """How many days ahead an audience must be told of a planned outage (varselregel).

    Absent a row, the defaults apply: users 7 days, managers 14.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="notice_rules"
    )
    audience = models.CharField(_("audience"), max_length=16, choices=RuleAudience.choices)
    min_days = models.PositiveSmallIntegerField(
        _("minimum notice in days"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_NOTICE_DAYS)],
    )

    class Meta:
        verbose_name = _("notice rule")
        verbose_name_plural = _("notice rules")
        ordering = ["audience"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "audience"], name="noticerule_unique"),
            models.CheckConstraint(
                condition=Q(min_days__lte=MAX_NOTICE_DAYS), name="noticerule_max_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: {self.min_days}"


class Outage(models.Model):
    """An outage (driftstopp / driftsstans) of one system: planned ahead or unplanned."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="outages")
    system = models.CharField(_("system"), max_length=16, choices=System.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=OutageKind.choices, default=OutageKind.PLANNED
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=16, choices=OutageStatus.choices, default=OutageStatus.DRAFT
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    # Why the window or notice rules were set aside; empty when none was broken.
    override_reason = models.TextField(_("reason for overriding the rules"), blank=True)
    # Which rules the reason set aside ("window,notice_managers"), for the record.
    overridden_rules = models.CharField(_("rules overridden"), max_length=100, blank=True)
    announced_at = models.DateTimeField(_("announced"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # Bumped each time an announced outage's time changes or it is cancelled: notices are
    # sent once per sequence, and calendar clients use it (iCalendar SEQUENCE) to update.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="outage_valid_range"
            )
        ]
        indexes = [models.Index(fields=["municipality", "status", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        """Still to happen or happening: it can be announced, changed, cancelled, completed."""
        return self.status in (
            OutageStatus.DRAFT,
            OutageStatus.ANNOUNCED,
            OutageStatus.IN_PROGRESS,
        )

    def is_current(self, now: dt.datetime | None = None) -> bool:
        """Happening now: under way, or announced and inside its times."""
        now = now or timezone.now()
        if self.status == OutageStatus.IN_PROGRESS:
            return True
        return self.status == OutageStatus.ANNOUNCED and self.starts_at <= now < self.ends_at


class OutageNotice(models.Model):
    """One notice of an outage to one audience through one channel (varsel).

    The log that answers "was provider X's manager told, and when?". A banner row is
    written when the banner is published; it is shown from the notice horizon on.
    `sequence` is the outage's sequence the notice was about, so announcing twice sends
    nothing new, and a changed time sends one change notice per audience.
    """

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="notices")
    # "managers", "all_users" or "private_provider:<id>".
    audience = models.CharField(_("audience"), max_length=40)
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("what"), max_length=16, choices=NoticeKind.choices)
    sequence = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent"))
    recipients = models.PositiveIntegerField(_("recipients"))
    sent_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("outage notice")
        verbose_name_plural = _("outage notices")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outage", "audience", "channel", "sequence"], name="outagenotice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outage_id} {self.audience} {self.channel} {self.sent_at:%Y-%m-%d %H:%M}"

    def audience_label(self) -> str:
        if self.provider is not None:
            return f"{Audience.PRIVATE_PROVIDER.label}: {self.provider.name}"
        return str(Audience(self.audience).label)
