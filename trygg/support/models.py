"""The service catalogue, support lines with opening hours, escalation steps and call-outs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trygg.core.models import Municipality, Team, User

from .constants import Currency, DayType, LineAudience, LineKind, StepApplies, StepKind, System

_SYSTEM_LIST = RegexValidator(r"^[a-z_]+(,[a-z_]+)*$", _("Systems are codes separated by commas."))
_WEEKDAY_LIST = RegexValidator(r"^[1-7]*$", _("Weekdays are digits 1 (Monday) to 7 (Sunday)."))


def split_codes(value: str) -> list[str]:
    return [code for code in value.split(",") if code]


class Service(models.Model):
    """A service in the catalogue (tjänst / tjeneste): safety alarms, keyless locks, ...

    Governance follows the municipalities' routines: the service owner (tjänsteägare /
    tjenesteeier), the service manager (tjänsteförvaltare / tjenesteforvalter) and the
    operations owner (driftsansvarig / driftsansvarlig). Each is a staff member or, for
    someone outside Trygg (the vendor's account manager), a name and number as text.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="support_services"
    )
    system = models.CharField(_("system"), max_length=16, choices=System.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    service_level = models.TextField(
        _("service level"),
        blank=True,
        help_text=_("What is promised: response and repair times, availability."),
    )
    owner = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service owner"),
    )
    owner_contact = models.CharField(_("service owner (text)"), max_length=200, blank=True)
    manager = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service manager"),
    )
    manager_contact = models.CharField(_("service manager (text)"), max_length=200, blank=True)
    operations_owner = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operations owner"),
    )
    operations_contact = models.CharField(_("operations owner (text)"), max_length=200, blank=True)
    call_out_fee = models.DecimalField(
        _("out-of-hours call-out fee"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.SEK
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="support_service_unique"),
            models.CheckConstraint(
                condition=Q(call_out_fee__isnull=True) | Q(call_out_fee__gte=0),
                name="support_service_fee_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SupportLine(models.Model):
    """A number to call (supportlinje / støttelinje): the support desk, a district's
    out-of-hours line (larmorganisation / responder team), a vendor's line, on-call."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="support_lines"
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32)
    email = models.EmailField(_("e-mail"), blank=True)
    systems = models.CharField(
        _("systems served"),
        max_length=100,
        validators=[_SYSTEM_LIST],
        help_text=_("Codes separated by commas, e.g. locks,visit_app."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LineKind.choices)
    district = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="support_lines",
        verbose_name=_("district"),
        help_text=_("For an out-of-hours line of one district; empty for everyone."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=10, help_text=_("Lower is tried first among lines of one kind.")
    )
    always_open = models.BooleanField(
        _("open around the clock"), default=False, help_text=_("Opening rules are then ignored.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    audience = models.CharField(
        _("serves"),
        max_length=16,
        choices=LineAudience.choices,
        default=LineAudience.EVERYONE,
        help_text=_("A line for the municipality's own staff is not offered to private providers."),
    )
    others_instead = models.CharField(
        _("where others turn instead"),
        max_length=200,
        blank=True,
        help_text=_('Shown to those the line does not serve, e.g. "Your own IT support".'),
    )
    no_account_help = models.BooleanField(
        _("does not unlock accounts or change passwords"),
        default=False,
        help_text=_("Such requests are sent to the support line's next opening instead."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("support line")
        verbose_name_plural = _("support lines")
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"

    @property
    def system_list(self) -> list[str]:
        return split_codes(self.systems)

    def clean(self) -> None:
        unknown = set(self.system_list) - set(System.values)
        if unknown:
            raise ValidationError(
                {"systems": _("Unknown systems: %s") % ", ".join(sorted(unknown))}
            )
        district = self.district if self.district_id is not None else None
        if district is not None and district.provider.municipality_id != self.municipality_id:
            raise ValidationError({"district": _("The district is in another municipality.")})


class OpeningRule(models.Model):
    """One opening interval of a support line (öppettid / åpningstid), or a closed one
    (lunch), for ordinary weekdays, the day before a holiday, or holidays."""

    line = models.ForeignKey(SupportLine, on_delete=models.CASCADE, related_name="rules")
    day_type = models.CharField(
        _("days"), max_length=16, choices=DayType.choices, default=DayType.REGULAR
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        blank=True,
        validators=[_WEEKDAY_LIST],
        help_text=_("For ordinary days: 1 is Monday, 7 is Sunday, e.g. 1234."),
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))
    closed = models.BooleanField(
        _("closed"), default=False, help_text=_("A closed interval, such as lunch 12-13.")
    )

    class Meta:
        verbose_name = _("opening rule")
        verbose_name_plural = _("opening rules")
        ordering = ["day_type", "weekdays", "start"]

    def __str__(self) -> str:
        days = self.weekdays if self.day_type == DayType.REGULAR else self.get_day_type_display()
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(c) for c in self.weekdays)

    def clean(self) -> None:
        if self.day_type == DayType.REGULAR and not self.weekdays:
            raise ValidationError({"weekdays": _("Choose at least one weekday.")})
        if self.end != dt.time(0) and self.end <= self.start:
            raise ValidationError(
                {"end": _("The end must be after the start (00:00 for midnight).")}
            )


class EscalationStep(models.Model):
    """One step of what to do about a fault in a system (eskaleringssteg): a check first
    (use the backup key, reservnyckel), then lines to call, in order."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="escalation_steps"
    )
    system = models.CharField(_("system"), max_length=16, choices=System.choices)
    order = models.PositiveSmallIntegerField(pgettext_lazy("position in a sequence", "order"))
    kind = models.CharField(_("kind"), max_length=8, choices=StepKind.choices)
    text = models.CharField(_("instruction"), max_length=300, blank=True)
    line = models.ForeignKey(
        SupportLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("line to call"),
    )
    applies = models.CharField(
        _("applies"), max_length=16, choices=StepApplies.choices, default=StepApplies.ALWAYS
    )

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["system", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "system", "order"], name="support_step_order_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.CALL) | Q(line__isnull=False),
                name="support_step_call_has_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.order}: {self.text or self.line}"

    def clean(self) -> None:
        if self.kind == StepKind.CALL and self.line_id is None:
            raise ValidationError({"line": _("A call step needs the line to call.")})
        if self.kind == StepKind.CHECK and not self.text:
            raise ValidationError({"text": _("A check step needs an instruction.")})


class CallOut(models.Model):
    """A vendor called out (utryckning / utrykning), usually out of hours, and its cost."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="call_outs", verbose_name=_("service")
    )
    at = models.DateTimeField(_("when"))
    vendor = models.CharField(_("vendor"), max_length=100)
    reason = models.CharField(_("reason"), max_length=300)
    cost = models.DecimalField(
        _("cost"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    ordered_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    approved_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("call-out")
        verbose_name_plural = _("call-outs")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="support_callout_cost"),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="support_callout_currency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.vendor} {self.cost} {self.currency}"
