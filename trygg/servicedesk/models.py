"""Service-desk orders (beställningar) and the municipality's catalogue of order types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Client, Municipality, Provider, User

from .constants import CLOSED_STATUSES, OPEN_STATUSES, Audience, OrderStatus
from .fields import FieldSpec, parse_spec, parse_steps


class OrderType(models.Model):
    """A kind of order in a municipality's service-desk catalogue (beställningstyp)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="order_types"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    deadline_working_days = models.PositiveSmallIntegerField(
        _("deadline in working days"),
        help_text=_("Counted from the first working day on or after the day it is placed."),
    )
    fields = models.JSONField(
        _("form fields"),
        default=list,
        blank=True,
        help_text=_(
            'A list such as [{"name": "imei", "label": "IMEI", "kind": "text", '
            '"required": true, "help": ""}]. Kinds: text, textarea, date, number, '
            'choice (with "choices" and optionally "multiple": true), boolean, client.'
        ),
    )
    steps = models.JSONField(
        _("fulfilment steps"),
        default=list,
        blank=True,
        help_text=_('A list of texts, e.g. ["Book installation", "Install", "Test"].'),
    )
    audience = models.CharField(
        _("who may order"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    position = models.PositiveSmallIntegerField(_("position in the catalogue"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("order type")
        verbose_name_plural = _("order types")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="ordertype_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for name, parse in (("fields", parse_spec), ("steps", parse_steps)):
            try:
                parse(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)

    @property
    def field_specs(self) -> list[FieldSpec]:
        return parse_spec(self.fields)


class OrderNumberSeries(models.Model):
    """The last order number used in one municipality and year; claimed by an UPDATE."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="ordernumber_unique")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.year}: {self.last}"


class OrderQuerySet(models.QuerySet["Order"]):
    def open(self) -> OrderQuerySet:
        return self.filter(status__in=sorted(OPEN_STATUSES))

    def overdue(self, today: dt.date) -> OrderQuerySet:
        return self.open().filter(due_on__lt=today)

    def search(self, text: str) -> OrderQuerySet:
        """Narrow by number, type, orderer, client or provider, every word somewhere."""
        queryset = self
        for word in text.split():
            queryset = queryset.filter(
                Q(number__icontains=word)
                | Q(order_type__name__icontains=word)
                | Q(orderer__first_name__icontains=word)
                | Q(orderer__last_name__icontains=word)
                | Q(client__first_name__icontains=word)
                | Q(client__last_name__icontains=word)
                | Q(provider__name__icontains=word)
            )
        return queryset


def _attachment_path(instance: OrderAttachment, filename: str) -> str:
    # The stored name is random: the original may carry a client's name, and is kept in
    # the database instead. MEDIA_ROOT has no URL, so only the checking view serves it.
    return f"servicedesk/{instance.order.municipality_id}/{uuid.uuid4().hex}"


class Order(models.Model):
    """An order to the service desk (beställning, ärende) and where it stands."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=20)
    order_type = models.ForeignKey(
        OrderType, on_delete=models.PROTECT, related_name="orders", verbose_name=_("order type")
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("provider"),
        help_text=_("The orderer's provider; empty when ordered by municipal staff."),
    )
    orderer = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="orders", verbose_name=_("orderer")
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("client"),
    )
    # The type's field spec as it was when ordered, so later edits to the catalogue do not
    # change what an existing order says.
    spec = models.JSONField(default=list)
    values = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=24, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED
    )
    placed_at = models.DateTimeField(_("placed"))
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_orders",
        verbose_name=_("assigned to"),
    )
    # When Trygg is to make the order's result by itself (a log extract), for the worker;
    # null when nothing is waiting. A worker claims the row by moving it a lease ahead with a
    # conditional UPDATE, and clears it when the result is recorded.
    result_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="order_number_unique")
        ]
        indexes = [
            models.Index(fields=["municipality", "-placed_at"]),
            models.Index(fields=["provider", "-placed_at"]),
            models.Index(
                fields=["municipality", "due_on"],
                name="order_open_due",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The worker's one question, "whose result is due?", reads only waiting rows.
            models.Index(
                fields=["result_due_at"],
                name="order_result_due",
                condition=Q(result_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_on < today

    @property
    def field_specs(self) -> list[FieldSpec]:
        return parse_spec(self.spec)


class OrderStep(models.Model):
    """One row of an order's fulfilment checklist (åtgärdssteg)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("step"), max_length=200)
    done_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("fulfilment step")
        verbose_name_plural = _("fulfilment steps")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orderstep_unique")
        ]

    def __str__(self) -> str:
        return self.title


class OrderComment(models.Model):
    """A comment on an order (kommentar); internal notes only the fulfillers see."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Trygg wrote it, e.g. that a log extract was made."),
    )
    text = models.TextField(_("comment"), max_length=5000)
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class OrderResult(models.Model):
    """What Trygg made for an order by itself (a log extract, loggutdrag): its summary, its
    files (attachments) and the clients whose personal data the files hold.

    An order can have several: making it again keeps the earlier ones and their files.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="results")
    kind = models.SlugField(_("kind"), max_length=40, help_text=_("The order type's code."))
    made_at = models.DateTimeField(_("made"))
    made_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
        help_text=_("Empty when the worker made it after the order was placed."),
    )
    # What the order's page shows, as the kind's maker wrote it (for a log extract: the
    # date and, per provider, the counts). No personal data.
    summary = models.JSONField(default=dict)
    # The clients listed in the files, so that every download is access-logged per client.
    client_ids = models.JSONField(default=list)

    class Meta:
        verbose_name = _("order result")
        verbose_name_plural = _("order results")
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["order", "-made_at"], name="orderresult_order_made")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind} {self.made_at:%Y-%m-%d %H:%M}"


class OrderAttachment(models.Model):
    """A file attached to an order (bilaga): a log extract, a signed receipt, a photo."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Trygg made the file."),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    result = models.ForeignKey(
        OrderResult,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="files",
        help_text=_("The result the file belongs to, when Trygg made it."),
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class OrderEvent(models.Model):
    """A change in an order's status (händelse), with who made it and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=24, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=OrderStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"
