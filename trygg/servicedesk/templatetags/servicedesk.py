"""The service desk's cards on the start page, so the start page needs one line for them."""

from __future__ import annotations

from typing import Any

from django import template

from trygg.core.models import User

from .. import access
from ..services import open_counts

register = template.Library()


@register.inclusion_tag("servicedesk/partials/home_card.html", takes_context=True)
def order_cards(context: dict[str, Any]) -> dict[str, Any]:
    """Open and overdue orders, for those who fulfil them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not access.fulfils_any_orders(user):
        return {"order_counts": None}
    return {"order_counts": open_counts(user)}
