"""Infrared camera sensors (RoomMate type): what they saw, and the per-client rules that
decide which of it wakes the night staff (digitalt tilsyn / digital tillsyn)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trygg.alarms.models import Alarm, AlarmPriority
from trygg.core.models import Client, User
from trygg.devices.models import AlarmPlacement, AlarmUnit

from .constants import SensorEventKind


class SensorEventQuerySet(models.QuerySet["SensorEvent"]):
    def in_order(self) -> SensorEventQuerySet:
        """Newest first by when it happened, not when it arrived: a camera that was offline
        sends its buffer late and out of order."""
        return self.order_by("-at", "-pk")


class SensorEvent(models.Model):
    """One event an infrared camera reported (sensorhendelse / sensorhändelse): a fall, the
    client leaving the bed, the camera covered. Stored once per the camera's own event id,
    with the placement in force when it happened, and the alarm it raised if a rule asked."""

    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="sensor_events",
        verbose_name=_("camera"),
        db_index=False,  # the (unit, event_id) unique index leads with it
    )
    event_id = models.CharField(_("the camera's event id"), max_length=64)
    kind = models.CharField(_("event"), max_length=24, choices=SensorEventKind.choices)
    at = models.DateTimeField(_("happened"))
    received_at = models.DateTimeField(_("received"))
    minutes = models.PositiveIntegerField(
        _("after minutes"),
        null=True,
        blank=True,
        help_text=_("For not back in bed, too long in the bathroom and no movement."),
    )
    room = models.CharField(_("room"), max_length=64, blank=True)
    placement = models.ForeignKey(
        AlarmPlacement,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("placement"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="sensor_events",
        verbose_name=_("client"),
        db_index=False,  # the (client, at) index leads with it
    )
    alarm = models.OneToOneField(
        Alarm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sensor_event",
        verbose_name=_("alarm"),
    )
    # Why no alarm was raised, when a rule would have asked for one (a late event).
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = SensorEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("sensor event")
        verbose_name_plural = _("sensor events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "event_id"], name="sensorevent_once"),
        ]
        indexes = [
            models.Index(fields=["client", "-at"], name="sensorevent_client_at"),
            models.Index(fields=["-at"], name="sensorevent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SensorRule(models.Model):
    """A client's rule for one kind of sensor event (larmregel / alarmregel): in which hours
    it raises an alarm, and at which priority. Outside every rule an event is recorded
    only. Set by the leaders responsible for the client's care (the provider's team leader
    or manager, the municipality's administrators), as the routine makes them the service's
    owners."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="sensor_rules", verbose_name=_("client")
    )
    kind = models.CharField(_("event"), max_length=24, choices=SensorEventKind.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(
        _("to"),
        help_text=_(
            "Earlier than the start for hours past midnight: 22:00 to 07:00. "
            "The same as the start for around the clock."
        ),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=AlarmPriority.choices, default=AlarmPriority.NORMAL
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("sensor rule")
        verbose_name_plural = _("sensor rules")
        ordering = ["client", "kind", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=AlarmPriority.values), name="sensorrule_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hours_label}"

    @property
    def around_the_clock(self) -> bool:
        return self.starts == self.ends

    @property
    def hours_label(self) -> str:
        if self.around_the_clock:
            return str(_("around the clock"))
        return f"{self.starts:%H:%M}\u2013{self.ends:%H:%M}"

    def covers(self, clock: dt.time) -> bool:
        """Whether the rule is in force at this local time of day."""
        if self.around_the_clock:
            return True
        if self.starts < self.ends:
            return self.starts <= clock < self.ends
        return clock >= self.starts or clock < self.ends

    def minutes(self) -> set[int]:
        """The minutes of the day the rule covers (for overlap checks)."""
        start = self.starts.hour * 60 + self.starts.minute
        end = self.ends.hour * 60 + self.ends.minute
        if start == end:
            return set(range(1440))
        if start < end:
            return set(range(start, end))
        return set(range(start, 1440)) | set(range(end))
