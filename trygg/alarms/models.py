"""Messages received from alarm units, the alarms they raise, and the outbox that tells
the alarm console about new ones."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Client, Municipality, Provider, User
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit


class AlarmCategory(models.TextChoices):
    CARE = "care", _("Care")  # someone may need help: the alarm operators
    TECHNICAL = "technical", _("Technical")  # the unit needs attention: the device people


class AlarmKind(models.TextChoices):
    ALARM = "alarm", _("Alarm")
    FIRE = "fire", _("Fire")
    LOW_BATTERY = "low_battery", _("Low battery")
    TAMPER = "tamper", _("Tamper")
    MAINS_LOSS = "mains_loss", _("Mains power lost")
    TECHNICAL = "technical", _("Technical fault")
    TEST = "test", _("Test")
    RESTORE = "restore", _("Restored")
    CONNECTION_LOST = "connection_lost", _("Connection lost")
    OTHER = "other", _("Other")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


CARE_KINDS = frozenset({AlarmKind.ALARM, AlarmKind.FIRE})
# Kept in the unit's history but needing nobody's action: recorded closed at once.
RECORD_ONLY_KINDS = frozenset({AlarmKind.TEST, AlarmKind.RESTORE})
# What the ingest writes as `code` for the restore of a lost connection.
CONNECTION_RESTORED_CODE = "connection"


class Signal(models.Model):
    """One message received from an alarm unit (larmsignal), kept as it arrived, with the
    placement in force then. Pure heartbeats are not kept: they only move the unit's
    supervision deadline."""

    protocol = models.CharField(_("protocol"), max_length=8, choices=AlarmProtocol.choices)
    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("unit"),
        db_index=False,  # the (unit, dedupe_key, dedupe_window) unique index leads with it
    )
    # Identical for a retransmission of the same frame. DC-09 sequence numbers cycle, so
    # the same key can come back weeks later as a new message: a key counts as a repeat
    # only within the window it was stored in and the next (services.DEDUPE_WINDOW), and
    # the database refuses a second copy within one window.
    dedupe_key = models.CharField(_("deduplication key"), max_length=128)
    dedupe_window = models.PositiveIntegerField(_("deduplication window"))
    received_at = models.DateTimeField(_("received"))
    raw = models.BinaryField(_("as received"))
    placement = models.ForeignKey(
        AlarmPlacement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placement"),
    )

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "dedupe_key", "dedupe_window"], name="signal_dedupe_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.protocol} {self.unit_id} {self.received_at:%Y-%m-%d %H:%M:%S}"


class Alarm(models.Model):
    """One event from an alarm unit (larm / alarm): a call for help or a fire (care), or a
    technical report, with who held the unit at the time. Tests and restores are recorded
    closed: they belong in the unit's history and need nobody's action."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        db_index=False,  # the open-queue index leads with it
    )
    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="alarms",
        verbose_name=_("unit"),
        db_index=False,  # the unit-history index leads with it
    )
    # The message that raised it; none for what Trygg notices itself (a lost connection).
    signal = models.ForeignKey(
        Signal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("signal"),
    )
    placement = models.ForeignKey(
        AlarmPlacement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placement"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("client"),
    )
    # Responsible at the time: the client's provider, or the holder of an emergency alarm.
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AlarmKind.choices)
    category = models.CharField(_("category"), max_length=16, choices=AlarmCategory.choices)
    code = models.CharField(_("code"), max_length=32, blank=True)
    zone = models.CharField(_("zone"), max_length=32, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.OPEN
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=AlarmStatus.CLOSED) | Q(closed_at__isnull=False),
                name="alarm_closed_has_time",
            ),
        ]
        indexes = [
            # The console's queue: what is not closed yet, per municipality, oldest first.
            models.Index(
                fields=["municipality", "created_at"],
                name="alarm_open_queue",
                condition=Q(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED]),
            ),
            models.Index(fields=["unit", "-created_at"], name="alarm_unit_history"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} ({self.unit_id})"


class AlarmOutbox(models.Model):
    """A new care alarm to announce to the alarm console: written in the alarm's own
    transaction, delivered after it (DESIGN §2, outbox). The delivery loop claims pending
    rows by a conditional update of `delivered_at`."""

    alarm = models.ForeignKey(
        Alarm, on_delete=models.CASCADE, related_name="+", verbose_name=_("alarm")
    )
    topic = models.CharField(_("topic"), max_length=64, default="alarm.raised")
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("alarm outbox entry")
        verbose_name_plural = _("alarm outbox")
        indexes = [
            models.Index(
                fields=["id"], name="alarmoutbox_pending", condition=Q(delivered_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.alarm_id}"
