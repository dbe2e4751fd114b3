"""The client record's orders section: the service-desk orders that name the client, open
ones first, then those closed recently, by the service desk's own rule of who sees which
order (`access.orders`): a provider's team leaders and managers see their provider's
orders, the welfare-technology team all of the municipality's, an orderer their own. Those
who neither order nor fulfil get no section.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.access import scope_for
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import access
from .constants import CLOSED_STATUSES, OPEN_STATUSES

RECENT = dt.timedelta(days=180)
OPEN_SHOWN = 20
CLOSED_SHOWN = 5


def _whose_view(client: Client, user: User) -> str:
    """A note when the user sees only the orders they placed themselves (an alarm operator,
    say); empty when they see every order of the client's that the desk shows anyone of
    their provider or municipality."""
    scope = scope_for(user)
    if client.provider_id in scope.providers_with(access.ORDER_PROVIDER_ROLES):
        return ""
    if client.municipality_id in scope.municipalities_with(access.ORDER_FULFIL_ROLES):
        return ""
    return str(_("Only orders you placed yourself are shown."))


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    visible = access.orders(user).filter(client=client)
    if not access.can_open_orders(user) and not visible.exists():
        return None
    rows = visible.select_related("order_type", "orderer", "provider", "assigned_to")
    open_orders = list(rows.filter(status__in=sorted(OPEN_STATUSES)).order_by("due_on", "pk"))
    since = timezone.now() - RECENT
    closed = list(
        rows.filter(status__in=sorted(CLOSED_STATUSES))
        .filter(Q(done_at__gte=since) | Q(done_at__isnull=True, updated_at__gte=since))
        .order_by("-updated_at", "-pk")[:CLOSED_SHOWN]
    )
    shown_open = open_orders[:OPEN_SHOWN]
    return Shown(
        context={
            "open_orders": shown_open,
            "more_open": len(open_orders) - len(shown_open),
            "closed_orders": closed,
            "today": client.municipality.today(),
            "zone": client.municipality.zone,
        },
        entries=[order.number for order in shown_open + closed],
        note=" ".join(
            text
            for text in (
                str(_("Open orders, and those closed in the last 180 days.")),
                _whose_view(client, user),
            )
            if text
        ),
    )


def register_section() -> None:
    record.register(
        "orders",
        _("Orders"),
        build,
        "servicedesk/record/orders.html",
        position=40,
        empty_text=_("No open orders for the client, and none closed in the last 180 days."),
    )
