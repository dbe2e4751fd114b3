"""Key receipts (nyckelkvittens): who holds a client's physical keys, under which receipt."""

from __future__ import annotations

import datetime as dt

from trygg.core.models import Client

from .models import KeyReceipt


def receipts_in_force(client: Client, day: dt.date) -> list[KeyReceipt]:
    """The client's receipts whose keys are handed over and not back by `day`, newest first."""
    return list(
        KeyReceipt.objects.filter(client=client)
        .in_force_on(day)
        .select_related("holder_provider")
        .order_by("-handed_over_on", "-pk")
    )


def has_key_receipt(client: Client, day: dt.date) -> bool:
    """Whether someone holds the client's keys under a registered receipt on `day`: what a
    safety camera's installation needs before it is ordered."""
    return KeyReceipt.objects.filter(client=client).in_force_on(day).exists()
