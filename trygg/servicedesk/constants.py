"""Choices and limits of the service desk: order statuses, who may order, field kinds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_ORDERER = "waiting_for_orderer", _("Waiting for the orderer")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", pgettext_lazy("an order", "Cancelled")


# The order list's status filter for every open status at once (beside each status).
ANY_OPEN = "open"

# An order in one of these still has a deadline to meet.
OPEN_STATUSES = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.WAITING_FOR_ORDERER,
    }
)
CLOSED_STATUSES = frozenset({OrderStatus.DONE, OrderStatus.CANCELLED})

# What the welfare-technology team may move an order to from each status. Done and
# cancelled are final: a new need is a new order, so the history stays true.
FULFILLER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.SUBMITTED: (
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.WAITING_FOR_ORDERER,
        OrderStatus.DONE,  # a quick job, such as a changed account, is done at once
        OrderStatus.CANCELLED,
    ),
    OrderStatus.ACCEPTED: (
        OrderStatus.IN_PROGRESS,
        OrderStatus.WAITING_FOR_ORDERER,
        OrderStatus.DONE,
        OrderStatus.CANCELLED,
    ),
    OrderStatus.IN_PROGRESS: (
        OrderStatus.WAITING_FOR_ORDERER,
        OrderStatus.DONE,
        OrderStatus.CANCELLED,
    ),
    OrderStatus.WAITING_FOR_ORDERER: (
        OrderStatus.IN_PROGRESS,
        OrderStatus.DONE,
        OrderStatus.CANCELLED,
    ),
    OrderStatus.DONE: (),
    OrderStatus.CANCELLED: (),
}
# The buttons that move an order, named for what they do (not for the status they lead
# to): "Cancelled" on a button read like a state the order was already in.
ACTION_LABELS: dict[str, Any] = {
    OrderStatus.ACCEPTED: pgettext_lazy("order action", "Accept"),
    OrderStatus.IN_PROGRESS: pgettext_lazy("order action", "Start work"),
    OrderStatus.WAITING_FOR_ORDERER: pgettext_lazy("order action", "Ask the orderer"),
    OrderStatus.DONE: pgettext_lazy("order action", "Mark as done"),
    OrderStatus.CANCELLED: pgettext_lazy("order action", "Cancel the order"),
}
# Back from waiting for the orderer is going on with the work, not starting it.
RESUME_LABEL = pgettext_lazy("order action", "Resume work")


def action_label(from_status: str, to_status: str) -> Any:
    if from_status == OrderStatus.WAITING_FOR_ORDERER and to_status == OrderStatus.IN_PROGRESS:
        return RESUME_LABEL
    return ACTION_LABELS.get(to_status, OrderStatus(to_status).label)


# The orderer may withdraw an order nobody has started on, or one that waits for them.
ORDERER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.SUBMITTED: (OrderStatus.CANCELLED,),
    OrderStatus.WAITING_FOR_ORDERER: (OrderStatus.CANCELLED,),
}


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Providers and municipal staff")
    PROVIDERS = "providers", _("Providers only")
    MUNICIPAL = "municipal", _("Municipal staff only")


class FieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    TEXTAREA = "textarea", _("Long text")
    DATE = "date", _("Date")
    NUMBER = "number", _("Whole number")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")
    CLIENT = "client", _("Client")


ORDER_NUMBER_PREFIX = "BS"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_TEXT_LENGTH = 200
MAX_TEXTAREA_LENGTH = 5000

# A worker making an order's result holds it this long; one that dies mid-way leaves the
# order to the next worker after it. A failed attempt is retried after the second.
RESULT_CLAIM_LEASE = dt.timedelta(minutes=15)
RESULT_RETRY_AFTER = dt.timedelta(minutes=10)
