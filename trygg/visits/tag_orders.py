"""The service desk's NFC-tag order (`nfc_tags`) ends with the tags registered to the client.

The fulfiller registers each delivered tag from the order's page, through the tag page with
the order's client filled in: the tag is put up (`devices.tags.place_tag`) and recorded as
one of the order's results in the same transaction, so the order knows which tags it
delivered. The step "Registrera taggar" is ticked by the result that makes the count
ordered, with who registered it and when; until then the order is done only with a reason,
like any unticked step (`servicedesk.hooks`).

The service desk stands below this app and knows nothing of tags: the hooks are registered
here, when the app loads.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core.languages import COUNTRY_LANGUAGE
from trygg.core.models import User
from trygg.devices.constants import TagDoor
from trygg.devices.models import NfcTag
from trygg.devices.tags import TagError, place_tag
from trygg.servicedesk import access as desk_access
from trygg.servicedesk import hooks
from trygg.servicedesk.constants import CLOSED_STATUSES
from trygg.servicedesk.hooks import ResultRequest
from trygg.servicedesk.models import Order
from trygg.servicedesk.services import record_result

ORDER_TYPE_CODE = "nfc_tags"
COUNT_FIELD = "count"
# The catalogue's step the registrations carry out (servicedesk/catalogue.py).
REGISTER_STEP = "Registrera taggar"
# An order saying nothing of how many (a municipality's own type without the field): one.
DEFAULT_COUNT = 1


def ordered(order: Order) -> int:
    """How many tags the order asked for."""
    value = order.values.get(COUNT_FIELD)
    if isinstance(value, int) and value > 0:
        return value
    return DEFAULT_COUNT


def registered(order: Order) -> int:
    return order.results.filter(kind=order.order_type.code).count()


def is_tag_order(order: Order) -> bool:
    return order.order_type.code == ORDER_TYPE_CODE


def may_register_for(user: User, order: Order) -> bool:
    """The order's fulfillers register its tags while it is open and names a client."""
    return (
        is_tag_order(order)
        and order.client_id is not None
        and order.status not in CLOSED_STATUSES
        and desk_access.can_fulfil_orders(user, order.municipality_id)
    )


def register_for_order(
    actor: User,
    order: Order,
    *,
    code: str,
    uid: str = "",
    door: str = TagDoor.MAIN,
    location: str = "",
    placed_on: dt.date | None = None,
) -> NfcTag:
    """Put a delivered tag up at the order's client's door (on `placed_on`, today unless
    said) and record it as the order's result; both or neither. TagError or
    PermissionError say why not."""
    if not is_tag_order(order) or order.client is None:
        raise TagError(_("This order does not deliver tags to a client."))
    if order.status in CLOSED_STATUSES:
        raise TagError(_("The order is closed; register the tag from the tag page instead."))
    if not desk_access.can_fulfil_orders(actor, order.municipality_id):
        raise PermissionError(_("Only the order's fulfillers register its tags."))
    with transaction.atomic():
        tag = place_tag(
            actor,
            order.client,
            code=code,
            uid=uid,
            door=door,
            location=location,
            placed_on=placed_on,
        )
        done = registered(order) + 1
        with override(COUNTRY_LANGUAGE.get(order.municipality.country, "sv")):
            comment = _("Tag %(code)s registered at the client's %(door)s: %(done)s of %(of)s.") % {
                "code": tag.code,
                "door": TagDoor(tag.door).label.lower(),
                "done": done,
                "of": ordered(order),
            }
        # No client is listed in a file: the registration reads nothing, the pages that
        # show the client log their own reads.
        record_result(
            order,
            ResultRequest(made_by=actor),
            summary={"tag": tag.code, "tag_id": tag.pk, "door": tag.door, "location": tag.location},
            files=[],
            clients=[],
            comment=comment,
        )
    return tag


def register_hooks() -> None:
    hooks.register(
        ORDER_TYPE_CODE,
        hooks.OrderTypeHooks(
            steps_done=(REGISTER_STEP,),
            results_needed=ordered,
            summary_template="visits/tags/order_result.html",
        ),
    )
