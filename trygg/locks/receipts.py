"""Key receipts (nyckelkvittens): who holds a client's physical keys, under which receipt.

A receipt is registered when the client's keys are handed over (to the provider, the
district's alarm organisation or the welfare-technology team) and signed for by the client
or a relative: on the phone, their name typed and their signature drawn on the screen, or on
paper, with a scan of the paper attached when there is one. The return is registered on the
receipt when the keys come back; a receipt counts from the handover until the day of the
return. Who may do what is `keyaccess`; each operation here owns its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import re

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.models import Client, User

from . import keyaccess
from .constants import KeyHolder, SignedHow
from .models import KeyReceipt

logger = logging.getLogger(__name__)

# The signature box, in the units of the stored SVG path (the drawing is scaled to it).
SIGNATURE_BOX = (300, 120)
MAX_SIGNATURE_CHARS = 30_000
# A signature is more than a dot or a tap: at least this many points, this wide.
MIN_SIGNATURE_POINTS = 5
MIN_SIGNATURE_WIDTH = 20
MAX_KEY_COUNT = 50
MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
# "M12.5 30 L14 31.5 ...": moves and lines only, numbers with at most one decimal.
_NUMBER = r"\d{1,3}(?:\.\d)?"
_COMMAND = re.compile(rf"([ML])\s*({_NUMBER})[\s,]+({_NUMBER})")
_PATH_CHARS = re.compile(r"^[ML0-9.,\s]*$")


class ReceiptError(ValueError):
    """Input a person can correct; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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


# The drawn signature ----------------------------------------------------------------------


def clean_signature(text: str) -> str:
    """The signature drawn on the screen as SVG path data inside SIGNATURE_BOX, rewritten
    in one canonical form ("M x y L x y ..."); ReceiptError when it is not one. Only moves
    and straight lines with plain numbers get through, so the path is safe to put in a page."""
    text = text.strip()
    if not text:
        raise ReceiptError(_("Let the signer sign on the screen."), "signature")
    if len(text) > MAX_SIGNATURE_CHARS or not _PATH_CHARS.match(text):
        raise ReceiptError(_("The signature could not be read; sign again."), "signature")
    width, height = SIGNATURE_BOX
    parts: list[str] = []
    xs: list[float] = []
    position = 0
    for match in _COMMAND.finditer(text):
        if text[position : match.start()].strip(" ,"):
            raise ReceiptError(_("The signature could not be read; sign again."), "signature")
        command, x, y = match.group(1), float(match.group(2)), float(match.group(3))
        if x > width or y > height:
            raise ReceiptError(_("The signature could not be read; sign again."), "signature")
        if not parts and command != "M":
            raise ReceiptError(_("The signature could not be read; sign again."), "signature")
        parts.append(f"{command}{x:g} {y:g}")
        xs.append(x)
        position = match.end()
    if text[position:].strip(" ,"):
        raise ReceiptError(_("The signature could not be read; sign again."), "signature")
    if len(parts) < MIN_SIGNATURE_POINTS or max(xs) - min(xs) < MIN_SIGNATURE_WIDTH:
        raise ReceiptError(
            _("The signature is too short: let the signer write their name."), "signature"
        )
    return " ".join(parts)


def _check_scan(scan: UploadedFile) -> str:
    """The scan's content type; ReceiptError when it is empty, too large or not a PDF or
    picture."""
    if scan.size is None or scan.size > MAX_SCAN_BYTES:
        raise ReceiptError(
            _("The scan is larger than %(mb)s MB.") % {"mb": MAX_SCAN_BYTES // (1024 * 1024)},
            "scan",
        )
    if scan.size == 0:
        raise ReceiptError(_("The scan is empty."), "scan")
    name = scan.name or ""
    content_type = (scan.content_type or mimetypes.guess_type(name)[0] or "").lower()
    if content_type not in SCAN_TYPES:
        raise ReceiptError(_("Attach the scan as a PDF, JPEG or PNG file."), "scan")
    return content_type


# Registering -------------------------------------------------------------------------------


def register_receipt(
    actor: User,
    client: Client,
    *,
    keys: str,
    key_count: int,
    holder: str,
    handed_over_on: dt.date,
    signed_by: str,
    signed_how: str,
    signature: str = "",
    scan: UploadedFile | None = None,
    note: str = "",
) -> KeyReceipt:
    """Register that the client's keys were handed over and signed for. A provider holding
    them is the client's own provider. Nothing is saved when anything is wrong."""
    if not keyaccess.can_register_receipt(actor, client):
        raise PermissionError("You may not register key receipts for this client.")
    today = client.municipality.today()
    keys = keys.strip()
    signed_by = " ".join(signed_by.split())
    if not keys:
        raise ReceiptError(_("Say which keys were handed over."), "keys")
    if not 1 <= key_count <= MAX_KEY_COUNT:
        raise ReceiptError(
            _("Give the number of keys, 1 to %(max)s.") % {"max": MAX_KEY_COUNT}, "key_count"
        )
    if holder not in KeyHolder.values:
        raise ReceiptError(_("Choose who holds the keys."), "holder")
    if handed_over_on > today:
        raise ReceiptError(
            _("A receipt is registered when the keys have been handed over, not before."),
            "handed_over_on",
        )
    if client.end_date is not None and client.end_date < handed_over_on:
        raise ReceiptError(
            _("The care of %(name)s ended before that day.") % {"name": client.full_name},
            "handed_over_on",
        )
    if not signed_by:
        raise ReceiptError(_("Type the name of the person who signs."), "signed_by")
    if signed_how == SignedHow.PHONE:
        signature = clean_signature(signature)
        if scan is not None:
            raise ReceiptError(_("A scan goes with a receipt signed on paper."), "scan")
    elif signed_how == SignedHow.PAPER:
        signature = ""
    else:
        raise ReceiptError(_("Say how the receipt was signed."), "signed_how")
    receipt = KeyReceipt(
        municipality=client.municipality,
        client=client,
        keys=keys,
        key_count=key_count,
        holder=holder,
        holder_provider=client.provider if holder == KeyHolder.PROVIDER else None,
        handed_over_on=handed_over_on,
        signed_by=signed_by,
        signed_how=signed_how,
        signature=signature,
        registered_by=actor,
        note=note.strip(),
    )
    if scan is not None:
        receipt.scan_type = _check_scan(scan)
        receipt.scan_name = (scan.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
        # The file is written before the row; a failed insert removes it again.
        receipt.scan.save(receipt.scan_name or "scan", scan, save=False)
    try:
        with transaction.atomic():
            receipt.save()
    except BaseException:
        if receipt.scan:
            receipt.scan.delete(save=False)
        raise
    logger.info("Key receipt %s registered (%s)", receipt.pk, signed_how)
    return receipt


def register_return(
    actor: User, receipt: KeyReceipt, *, returned_on: dt.date, note: str = ""
) -> KeyReceipt:
    """Register that the keys came back on `returned_on`: not before they were handed over,
    not in the future, and once."""
    if not keyaccess.can_register_receipt(actor, receipt.client):
        raise PermissionError("You may not register returns for this client.")
    today = receipt.municipality.today()
    if receipt.returned_on is not None:
        raise ReceiptError(
            _("The keys were registered as returned on %(day)s.")
            % {"day": receipt.returned_on.isoformat()}
        )
    if returned_on < receipt.handed_over_on:
        raise ReceiptError(
            _("The keys cannot come back before they were handed over (%(day)s).")
            % {"day": receipt.handed_over_on.isoformat()},
            "returned_on",
        )
    if returned_on > today:
        raise ReceiptError(
            _("Register the return when the keys have come back, not before."), "returned_on"
        )
    now = timezone.now()
    with transaction.atomic():
        # Conditional: of two people registering the return at once, one does.
        updated = KeyReceipt.objects.filter(pk=receipt.pk, returned_on__isnull=True).update(
            returned_on=returned_on,
            return_registered_by=actor,
            return_registered_at=now,
            return_note=note.strip()[:300],
        )
    if not updated:
        raise ReceiptError(_("Someone registered the return meanwhile; reload the page."))
    receipt.refresh_from_db()
    logger.info("Key receipt %s: keys returned", receipt.pk)
    return receipt
