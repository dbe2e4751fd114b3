"""The client record's keys section: who holds the client's physical keys under which key
receipt, and where the backup keys to a keyless lock are kept (and whether one is lent out).

Everyone who may read the client's receipts sees the section (the provider's staff, the
welfare-technology team, the administrators, the alarm organisation and the auditors); those
who register receipts get the link to register one.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import backupkeys, keyaccess
from .models import KeyReceipt

# Returned receipts shown besides those in force: enough to see a recent change of holder.
RETURNED_SHOWN = 3


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    if not keyaccess.can_read_receipts(user):
        return None
    readable = keyaccess.receipts(user).filter(client=client)
    today = client.municipality.today()
    receipts = list(readable.select_related("holder_provider").order_by("-handed_over_on", "-pk"))
    in_force = [r for r in receipts if r.returned_on is None or r.returned_on > today]
    returned = [r for r in receipts if r not in in_force]
    keys = (
        backupkeys.keys_for_client(client, timezone.now())
        if keyaccess.can_see_backup_keys_of(user, client)
        else []
    )
    entries = [_receipt_entry(r) for r in in_force + returned[:RETURNED_SHOWN]]
    entries += [f"backup key {s.key.label}" for s in keys]
    can_register = keyaccess.can_register_receipt(user, client)
    can_keep = keyaccess.can_keep(user, client.municipality_id)
    return Shown(
        context={
            "in_force": in_force,
            "returned": returned[:RETURNED_SHOWN],
            "more_returned": max(0, len(returned) - RETURNED_SHOWN),
            "backup_keys": keys,
            "can_register": can_register,
            "can_keep": can_keep,
            "opens_register": keyaccess.can_read_register(user),
            "zone": client.municipality.zone,
        },
        entries=entries,
    )


def _receipt_entry(receipt: KeyReceipt) -> str:
    return f"key receipt {receipt.pk}"


def register_section() -> None:
    record.register(
        "key_receipts",
        _("Keys"),
        build,
        "locks/keys/record.html",
        position=28,
        empty_text=_("No key receipt is registered: nobody holds the client's keys."),
    )
