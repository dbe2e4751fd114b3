"""The device inventory. Staff phones for now; alarm units, cameras, sensors, locks and NFC
tags join later on the same `InventoryItem` base."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality, Provider, User

from .constants import AWAITING_CONFIGURATION, PhoneAction, PhoneStatus
from .identifiers import InvalidIdentifier, parse_imei


class InventoryItem(models.Model):
    """What every device in the inventory has: an owner municipality, a make and model, a
    serial number and notes. Abstract for now; when the other device kinds arrive this is
    where a common register (one list of everything the team looks after) grows from."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("municipality"),
    )
    model_name = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class PhoneQuerySet(models.QuerySet["Phone"]):
    def overdue(self, today: dt.date) -> PhoneQuerySet:
        """Handed in and not ready although the ready-by date has passed."""
        return self.filter(status__in=sorted(AWAITING_CONFIGURATION), ready_by__lt=today)

    def with_overdue_flag(self, today: dt.date) -> PhoneQuerySet:
        """Each phone with `overdue_flag`, for lists that badge the overdue ones."""
        condition = Q(status__in=sorted(AWAITING_CONFIGURATION), ready_by__lt=today)
        return self.annotate(
            overdue_flag=ExpressionWrapper(condition, output_field=models.BooleanField())
        )


class Phone(InventoryItem):
    """A staff phone (tjänstetelefon / tjenestetelefon): runs the visit-registration app and
    holds digital keys, so a lost one is wiped."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="phones", verbose_name=_("provider")
    )
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phones",
        verbose_name=_("staff member"),
    )
    imei = models.CharField(_("IMEI"), max_length=15)
    phone_number = models.CharField(_("phone number"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=PhoneStatus.choices, default=PhoneStatus.IN_STOCK
    )
    handed_in_on = models.DateField(_("handed in on"), null=True, blank=True)
    handed_in_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed in by"),
    )
    ready_by = models.DateField(_("ready by"), null=True, blank=True)
    configured_on = models.DateField(_("configured on"), null=True, blank=True)
    picked_up_on = models.DateField(_("picked up on"), null=True, blank=True)
    lost_reported_at = models.DateTimeField(_("reported lost at"), null=True, blank=True)
    lost_reported_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported lost by"),
    )
    wipe_requested_at = models.DateTimeField(_("wipe requested at"), null=True, blank=True)
    wipe_requested_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wipe requested by"),
    )
    wiped_at = models.DateTimeField(_("wiped at"), null=True, blank=True)
    wiped_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wiped by"),
    )

    objects = PhoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["provider__name", "model_name", "imei"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "imei"], name="phone_imei_unique"),
        ]
        indexes = [
            models.Index(fields=["provider", "status"]),
            # Serves "overdue" exactly: only phones waiting on configuration are in it.
            models.Index(
                fields=["ready_by"],
                name="phone_awaiting_configuration",
                condition=Q(status__in=sorted(AWAITING_CONFIGURATION)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} …{self.imei[-4:]}"

    def clean(self) -> None:
        try:
            self.imei = parse_imei(self.imei)
        except InvalidIdentifier as exc:
            raise ValidationError({"imei": str(exc)}) from exc
        if (
            self.provider_id
            and self.municipality_id
            and self.provider.municipality_id != self.municipality_id
        ):
            raise ValidationError({"provider": _("The provider belongs to another municipality.")})

    def is_overdue(self, today: dt.date) -> bool:
        return (
            self.status in AWAITING_CONFIGURATION
            and self.ready_by is not None
            and today > self.ready_by
        )


class PhoneEvent(models.Model):
    """One step in a phone's history (händelse / hendelse): who moved it from which status
    to which, when, and why."""

    phone = models.ForeignKey(Phone, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=32, choices=PhoneAction.choices)
    from_status = models.CharField(
        _("from"), max_length=32, choices=PhoneStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=32, choices=PhoneStatus.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("phone event")
        verbose_name_plural = _("phone events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["phone", "-at"])]

    def __str__(self) -> str:
        return f"{self.phone_id}: {self.from_status or '—'} → {self.to_status}"
