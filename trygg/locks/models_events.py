"""What follows from lock events: a battery-change task for a lock running low (the
welfare-technology team's), and a manager's review of an unlock that had no visit or alarm
around it. Kept apart from models.py, which holds the keys and the events themselves."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality, User
from trygg.devices.models import DoorLock

from .constants import BatteryCancel


class BatteryTaskQuerySet(models.QuerySet["BatteryTask"]):
    def open(self) -> BatteryTaskQuerySet:
        return self.filter(changed_at__isnull=True, cancelled_at__isnull=True)


class BatteryTask(models.Model):
    """Change the battery of a lock (byt batteri): opened when the lock reports a low
    battery, for the welfare-technology team, due before the battery runs out; closed when
    the change is registered (who changed it, when), or cancelled with the reason when the
    lock comes down first (nobody changes a battery in a lock off the door)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    lock = models.ForeignKey(
        DoorLock,
        on_delete=models.PROTECT,
        related_name="battery_tasks",
        verbose_name=_("lock"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    # The lowest level the lock reported while the task was open (None: it said "low"
    # without a number).
    level = models.PositiveSmallIntegerField(_("battery (%)"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"))
    due_on = models.DateField(_("change by"))
    changed_at = models.DateTimeField(_("battery changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(
        _("why cancelled"), max_length=16, choices=BatteryCancel.choices, blank=True
    )

    objects = BatteryTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("battery change")
        verbose_name_plural = _("battery changes")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lock"],
                condition=Q(changed_at__isnull=True, cancelled_at__isnull=True),
                name="batterytask_one_open_per_lock",
            ),
            models.CheckConstraint(
                condition=Q(changed_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="batterytask_changed_or_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="batterytask_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(changed_at__isnull=True) | Q(changed_by__isnull=False),
                name="batterytask_change_has_who",
            ),
        ]
        indexes = [
            models.Index(
                fields=["municipality", "due_on"],
                condition=Q(changed_at__isnull=True, cancelled_at__isnull=True),
                name="batterytask_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lock_id} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.changed_at is None and self.cancelled_at is None


class UnlockReview(models.Model):
    """A manager has looked into an unlock flagged for review (no visit or alarm around
    it) and says what it was."""

    event = models.OneToOneField(
        "locks.LockEvent",
        on_delete=models.PROTECT,
        related_name="review",
        verbose_name=_("lock event"),
    )
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    note = models.TextField(_("what it was"))

    class Meta:
        verbose_name = _("unlock review")
        verbose_name_plural = _("unlock reviews")

    def __str__(self) -> str:
        return f"{self.event_id} {self.reviewed_at:%Y-%m-%d}"
