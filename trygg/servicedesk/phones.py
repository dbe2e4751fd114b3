"""The phone-configuration order (`phone_configuration`): its deadline runs from hand-in.

The routine (Borås, IT appendix 6.3): a phone is handed in to the service desk before it is
used, and "the configuration is guaranteed done at the latest 3 working days after the
service desk received the phone". So the order's working days count from its hand-in date,
not from the day the order was placed.

A hand-in date that has not come is refused rather than waited for: the date records that
the desk has the phone, and a deadline counted from a day the phone may never arrive on
would be a promise nobody can keep. The orderer places the order when the phone is handed
in (or the desk does, on receiving it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from . import hooks
from .models import OrderType

ORDER_TYPE_CODE = "phone_configuration"
HANDED_IN_FIELD = "handed_in_on"


def handed_in_on(values: Mapping[str, Any]) -> dt.date | None:
    day = values.get(HANDED_IN_FIELD)
    return day if isinstance(day, dt.date) else None


def check_phone_configuration(
    order_type: OrderType, values: Mapping[str, Any], placed: dt.date
) -> dict[str, list[str]]:
    day = handed_in_on(values)
    if day is None or day <= placed:
        return {}
    return {
        HANDED_IN_FIELD: [
            _(
                "%(day)s has not come yet: give the day the service desk received the phone, "
                "at the latest today (%(today)s). Place the order when the phone is handed in; "
                "the 3 working days count from then."
            )
            % {
                "day": formats.date_format(day, "DATE_FORMAT"),
                "today": formats.date_format(placed, "DATE_FORMAT"),
            }
        ]
    }


hooks.register(
    ORDER_TYPE_CODE,
    hooks.OrderTypeHooks(validate=check_phone_configuration, deadline_from=handed_in_on),
)
