"""What an alarm unit reported, named in the reader's language.

An alarm keeps the unit's own event code (SIA "MA", Contact ID "E101", SCAIP "0010") and,
as text, either the words the unit sent or the codec's English label. Pages name the event
from its code, translated ("Medicinskt larm", "Larmknappen tryckt"), show the code itself
only small, for the technician, and show the unit's text only when the unit wrote it.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trygg.receivers.dc09.events import CID_CODES, SIA_CODES
from trygg.receivers.incoming import Protocol
from trygg.receivers.scaip.scaip import MESSAGE_TYPE_LABELS, STATUS_CODE_LABELS

# The code Trygg writes for a unit's connection lost (heartbeat supervision) and restored:
# Trygg's own, not the unit's, so it is never shown as a code.
CONNECTION_CODE = "connection"

# Contact ID as the DC-09 receiver stores it: the qualifier as a letter (E new event,
# R restore, P still present) and the three-digit event code.
_CID = re.compile(r"^([ERP])(\d{3})$")
_SIA = re.compile(r"^[A-Z]{2}$")

_CID_QUALIFIED = {
    "R": _("Restored: %(event)s"),
    "P": _("%(event)s (still present)"),
}


# Codes apps above this one raise alarms with (`raising.raise_alarms`): "lookin_missed",
# "sensor_fall". Lower case with an underscore, so never a protocol's code.
_OWN_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_own: dict[str, str | Promise] = {}


def register_code(code: str, label: str | Promise) -> None:
    """Name one of Trygg's own codes (a lazy translation): pages show the name, never the
    code. Called by the app that raises alarms with it, when it loads."""
    if not _OWN_CODE.match(code):
        raise ValueError(f"Trygg's own codes are lower_case_with_underscores: {code!r}")
    _own[code] = label


def is_own_code(code: str) -> bool:
    return code == CONNECTION_CODE or code in _own


def _dc09_label(code: str) -> tuple[str, str] | None:
    """(English label, code as shown) of a DC-09 code, None when unknown."""
    if _SIA.match(code):
        meaning = SIA_CODES.get(code)
        return (meaning.label, f"SIA {code}") if meaning else None
    cid = _CID.match(code)
    if cid:
        meaning = CID_CODES.get(cid.group(2))
        return (meaning.label, f"Contact ID {code}") if meaning else None
    return None


def event_name(protocol: str, code: str) -> str | None:
    """The event the code stands for, in the active language; None when Trygg does not
    know the code (the page then names the alarm by its kind)."""
    if code in _own:
        return str(_own[code])
    if protocol == Protocol.DC09:
        found = _dc09_label(code)
        if found is None:
            return None
        name = gettext(found[0])
        cid = _CID.match(code)
        if cid and cid.group(1) in _CID_QUALIFIED:
            return str(_CID_QUALIFIED[cid.group(1)]) % {"event": name}
        return name
    if protocol == Protocol.SCAIP:
        label = STATUS_CODE_LABELS.get(code) or MESSAGE_TYPE_LABELS.get(code)
        return gettext(label) if label else None
    return None


def shown_code(protocol: str, code: str) -> str:
    """The code as a technician looks it up ("SIA MA", "Contact ID E101", "SCAIP 0010");
    empty for Trygg's own."""
    if not code or is_own_code(code):
        return ""
    if protocol == Protocol.DC09:
        if _SIA.match(code):
            return f"SIA {code}"
        if _CID.match(code):
            return f"Contact ID {code}"
        return f"DC-09 {code}"
    if protocol == Protocol.SCAIP:
        return f"SCAIP {code}"
    return code


def unit_text(protocol: str, code: str, text: str) -> str:
    """The words the unit itself sent ("Kök", "Fall detected"), or "" when the stored text
    is only the codec's own English label for the code (or Trygg's)."""
    if not text or code == CONNECTION_CODE:
        return ""
    if protocol == Protocol.DC09:
        found = _dc09_label(code)
        cid = _CID.match(code)
        if found is not None and text in {found[0], f"{found[0]} restore"}:
            return ""
        if found is None and text in {f"SIA {code}", f"Contact ID {code[1:] if cid else code}"}:
            return ""
    return text
