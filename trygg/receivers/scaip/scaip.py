"""The SCAIP XML bodies (SS 91100, `application/scaip+xml`): `<mrq>` in, `<mrs>` out.

A unit sends a message request, e.g.::

    <mrq><ref>00001883</ref><mty>ME</mty><cid>26317</cid><dty>0004</dty><stc>0010</stc>
    <crd>gsm:+46701234567</crd><lco>021</lco></mrq>

and the receiver answers with a message response carrying the same reference and a status
number (0 = OK): ``<mrs><ref>00001883</ref><snu>0</snu></mrs>``.

The standard itself (SIS SS 91100:2014, and CLC/TS 50134-9:2018 built on it) is sold, not
published; what is settled here comes from public material, and each uncertain detail is
one constant below:

- IANA media type registration `application/scaip+xml` (2014): the name of the standard,
  SIP as the carrier, UTF-8 XML.
- caruhome/scaip-gateway, `scaip_gateway/xml/scaip.py` (classes generated with xsdata
  from a SCAIP schema) and `scaip_gateway/spec.py`: every `<mrq>` and `<mrs>` tag, which
  are required (ref, cid, dty; ref, snu), their formats, the message types ME/RE/IN/PI,
  the status numbers 0-7, the device type, status code and location code lists.
- GermanBlas/SCAIP-TFG, `XSD-SCAIP.xsd`: the same structure with long element names
  (reference, controller-id, device-type mandatory), used for `LONG_TAG_NAMES`.
- An open-source Node.js alarm-centre module ("communicator:scaip") and
  shyne99/scaipproxy's SIPp scenarios: real `<mrq>` bodies from Essence, Possum,
  TeleAlarm and Doro units (codes written as "10", "010" or "0010"; heartbeats as mty PI;
  mty defaulting to ME; stc 19 cancel, 102 test transmission), `<mrs>` sent back in a SIP
  MESSAGE, and status number 99 for an undefined error.
- iotcomms.io developer documentation (SIP Message & SCAIP; SCAIP to SIA mapping): the
  controller/device/status/location model.

Confidence: element names, mandatory tags, message types and status numbers 0-7 agree
across independent sources (high). The status-code numbers come from one third-party list
(medium; it gives 0050 twice, so codes near 0049/0050 are doubtful and unused here).
Status number 99, `MAX_BODY_BYTES` and the long tag names are low confidence.
"""

from __future__ import annotations

import importlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any
from xml.sax.saxutils import escape

# Marks labels for translation and returns them unchanged: the codec stays plain data.
from trygg.lib.translatable import gettext_noop

CONTENT_TYPE = "application/scaip+xml"
REQUEST_ROOT = "mrq"
RESPONSE_ROOT = "mrs"

# Not found in public material; a SCAIP body is a few hundred bytes and must fit a UDP
# datagram with its SIP headers. Larger is answered with MESSAGE_TOO_LONG.
MAX_BODY_BYTES = 4096

MANDATORY_TAGS = ("ref", "cid", "dty")
MANDATORY_RESPONSE_TAGS = ("ref", "snu")


class MessageType(StrEnum):
    """`<mty>`: what kind of message the unit sends."""

    MESSAGE = "ME"  # an alarm or other event
    RESET = "RE"  # the alarm is withdrawn/reset at the unit
    INFORMATION = "IN"  # an update to an alarm already sent
    HEARTBEAT = "PI"  # periodic supervision ("ping")


# An <mrq> without <mty> is an ordinary message (both sources default it so).
DEFAULT_MESSAGE_TYPE: str = MessageType.MESSAGE.value


class StatusNumber(IntEnum):
    """`<snu>` in the `<mrs>`: how the receiver took the request."""

    OK = 0
    MESSAGE_TOO_LONG = 1
    INVALID_FORMAT = 2
    WRONG_DATA_CONTENT = 3
    HOLD = 4
    NOT_TREATED = 5
    BUSY = 6
    MANDATORY_TAG_MISSING = 7
    UNDEFINED_ERROR = 99  # low confidence: seen in one implementation only


# The <mrq> tags and the ScaipRequest field each one fills (lge, a nested position, is
# handled on its own).
REQUEST_TAGS: dict[str, str] = {
    "ref": "reference",
    "ver": "version",
    "sco": "system_config",
    "cha": "call_handling",
    "mty": "message_type",
    "hbo": "heartbeat_options",
    "cid": "controller_id",
    "dty": "device_type",
    "did": "device_id",
    "dco": "device_component",
    "dte": "device_text",
    "crd": "caller_id",
    "stc": "status_code",
    "stt": "status_text",
    "pri": "priority",
    "lco": "location_code",
    "lva": "location_value",
    "lte": "location_text",
    "ico": "info_code",
    "ite": "info_text",
    "ame": "additional_message",
}
POSITION_TAG = "lge"  # location geo: <geo> WGS84 "lat,lon", <tim> time, <gga> NMEA GGA

# Long element names, as in one published schema; accepted and read as the short ones.
LONG_TAG_NAMES: dict[str, str] = {
    "message-request": "mrq",
    "message-response": "mrs",
    "reference": "ref",
    "version": "ver",
    "system-config": "sco",
    "call-handling": "cha",
    "message-type": "mty",
    "controller-id": "cid",
    "device-type": "dty",
    "device-id": "did",
    "device-component": "dco",
    "device-text": "dte",
    "caller-id": "crd",
    "status-code": "stc",
    "status-text": "stt",
    "priority": "pri",
    "location-code": "lco",
    "location-value": "lva",
    "location-text": "lte",
    "info-code": "ico",
    "info-text": "ite",
    "additional-message": "ame",
    "status-number": "snu",
}

# Formats of the coded fields, from the schema. Free-text fields (did, dte, crd, stt, lva,
# lte, ite) are taken as they come: refusing an alarm over a long text helps nobody.
FIELD_FORMATS: dict[str, re.Pattern[str]] = {
    "ref": re.compile(r"[0-9A-Za-z]{1,16}"),
    "ver": re.compile(r"[0-9]{2}\.[0-9]{2}"),
    "sco": re.compile(r"[0-9]"),
    "cha": re.compile(r"[0-9]"),
    "mty": re.compile("|".join(m.value for m in MessageType)),
    "hbo": re.compile(r"[0-9]{1,3}"),
    "cid": re.compile(r"[0-9]{1,16}"),
    "dty": re.compile(r"[0-9]{1,4}"),
    "dco": re.compile(r"[0-9]{1,3}"),
    "stc": re.compile(r"[0-9]{1,4}"),
    "pri": re.compile(r"[0-9]"),
    "lco": re.compile(r"[0-9]{1,3}"),
    "ico": re.compile(r"[0-9]{1,3}"),
    "ame": re.compile(r"[01]"),
}
# Units write codes with or without leading zeros ("10", "010", "0010"); stored padded.
CODE_WIDTHS: dict[str, int] = {"dty": 4, "stc": 4, "dco": 3, "lco": 3, "ico": 3}

# Longest reference echoed back in an error <mrs> when the reference itself is malformed.
_MAX_ECHOED_REFERENCE = 64
_MAX_STATUS_TEXT = 128


class ScaipError(ValueError):
    """The body cannot be accepted; `status` is the `<snu>` to answer with, `reference`
    the `<ref>` to echo (empty when none could be read)."""

    def __init__(self, status: StatusNumber, reason: str, reference: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.reference = reference

    def mrs(self) -> bytes:
        return build_mrs(self.reference, self.status)


# Event kinds -------------------------------------------------------------------------


class EventKind(StrEnum):
    """What an incoming message means to Trygg."""

    ALARM = "alarm"
    HEARTBEAT = "heartbeat"
    TEST = "test"
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    MAINS_LOSS = "mains_loss"
    RESTORE = "restore"
    OTHER = "other"


# Message types whose meaning does not depend on the status code.
MESSAGE_TYPE_KINDS: dict[str, EventKind] = {
    MessageType.HEARTBEAT: EventKind.HEARTBEAT,
    MessageType.RESET: EventKind.RESTORE,
}
# ME and IN without <stc>: an alarm unit sending a bare message is calling for help.
KIND_WITHOUT_STATUS: dict[str, EventKind] = {
    MessageType.MESSAGE: EventKind.ALARM,
    MessageType.INFORMATION: EventKind.OTHER,
}
# <stc> values (four digits) for ME and IN. Anything else is OTHER: stored and shown, never
# dropped.
STATUS_CODE_KINDS: dict[str, EventKind] = {
    "0009": EventKind.ALARM,  # automatic alarm (fall detector, sensor)
    "0010": EventKind.ALARM,  # manual alarm (button pressed)
    "0011": EventKind.ALARM,  # alert
    "0110": EventKind.ALARM,  # assistance
    "0102": EventKind.TEST,  # test transmission over primary channel
    "0103": EventKind.TEST,  # test transmission over redundant channel
    "0014": EventKind.LOW_BATTERY,  # battery failure
    "0016": EventKind.LOW_BATTERY,  # battery low
    "0125": EventKind.TAMPER,  # tamper alarm
    "0085": EventKind.MAINS_LOSS,  # power failure
    "0015": EventKind.RESTORE,  # battery OK
    "0019": EventKind.RESTORE,  # cancel (the user cancelled the alarm)
    "0070": EventKind.RESTORE,  # normal state
    "0086": EventKind.RESTORE,  # power restored
    "0091": EventKind.RESTORE,  # re-established
    "0092": EventKind.RESTORE,  # automatic reset
    "0093": EventKind.RESTORE,  # manual reset
    "0094": EventKind.RESTORE,  # restoral
    "0112": EventKind.RESTORE,  # IP connection re-established
    "0113": EventKind.RESTORE,  # mobile network connection re-established
    "0114": EventKind.RESTORE,  # POTS connection re-established
    "0115": EventKind.RESTORE,  # primary communication link re-established
    "0116": EventKind.RESTORE,  # redundant communication link re-established
    "0124": EventKind.RESTORE,  # radio test transmission re-established
}

# What each status code above means, and what the message types without one mean: English,
# marked for translation, so the alarm pages name the event in the reader's language
# (`trygg.alarms.event_names`) rather than show "0010".
STATUS_CODE_LABELS: dict[str, str] = {
    "0009": gettext_noop("Automatic alarm (fall detector or sensor)"),
    "0010": gettext_noop("Alarm button pressed"),
    "0011": gettext_noop("Alert"),
    "0110": gettext_noop("Assistance requested"),
    "0102": gettext_noop("Test transmission, primary channel"),
    "0103": gettext_noop("Test transmission, backup channel"),
    "0014": gettext_noop("Battery failure"),
    "0016": gettext_noop("Battery low"),
    "0125": gettext_noop("Tamper alarm"),
    "0085": gettext_noop("Power failure"),
    "0015": gettext_noop("Battery OK"),
    "0019": gettext_noop("Alarm cancelled by the user"),
    "0070": gettext_noop("Normal state"),
    "0086": gettext_noop("Power restored"),
    "0091": gettext_noop("Re-established"),
    "0092": gettext_noop("Automatic reset"),
    "0093": gettext_noop("Manual reset"),
    "0094": gettext_noop("Restored"),
    "0112": gettext_noop("IP connection re-established"),
    "0113": gettext_noop("Mobile network connection re-established"),
    "0114": gettext_noop("Telephone line connection re-established"),
    "0115": gettext_noop("Primary communication link re-established"),
    "0116": gettext_noop("Backup communication link re-established"),
    "0124": gettext_noop("Radio test transmission re-established"),
}
MESSAGE_TYPE_LABELS: dict[str, str] = {
    MessageType.MESSAGE: gettext_noop("Alarm (no status code)"),
    MessageType.RESET: gettext_noop("Reset at the unit"),
    MessageType.INFORMATION: gettext_noop("Information about an alarm"),
    MessageType.HEARTBEAT: gettext_noop("Heartbeat"),
}
assert set(STATUS_CODE_LABELS) == set(STATUS_CODE_KINDS)


# The restore codes that say which condition ended; the others ("0070" normal state, "0094"
# restoral, a reset) do not.
STATUS_CODE_RESTORES: dict[str, EventKind] = {
    "0015": EventKind.LOW_BATTERY,  # battery OK: ends 0014 battery failure and 0016 low
    "0086": EventKind.MAINS_LOSS,  # power restored: ends 0085 power failure
}


def classify(message_type: str, status_code: str | None) -> EventKind:
    """The Trygg event kind of a message type and (four-digit) status code."""
    if message_type in MESSAGE_TYPE_KINDS:
        return MESSAGE_TYPE_KINDS[message_type]
    if not status_code:
        return KIND_WITHOUT_STATUS.get(message_type, EventKind.OTHER)
    return STATUS_CODE_KINDS.get(status_code, EventKind.OTHER)


# Parsed messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """`<lge>`: where a mobile unit is."""

    geo: str | None = None  # WGS84 "latitude,longitude" in decimal degrees
    time: str | None = None
    gga: str | None = None  # an NMEA GGA sentence

    @property
    def latitude_longitude(self) -> tuple[float, float] | None:
        if not self.geo:
            return None
        parts = self.geo.split(",")
        try:
            return (float(parts[0]), float(parts[1])) if len(parts) == 2 else None
        except ValueError:
            return None


@dataclass(frozen=True)
class ScaipRequest:
    """An `<mrq>` from an alarm unit (trygghetslarm), validated."""

    reference: str
    controller_id: str
    device_type: str
    message_type: str = DEFAULT_MESSAGE_TYPE
    status_code: str | None = None
    status_text: str | None = None
    device_id: str | None = None
    device_component: str | None = None
    device_text: str | None = None
    caller_id: str | None = None
    priority: int | None = None
    location_code: str | None = None
    location_value: str | None = None
    location_text: str | None = None
    position: Position | None = None
    info_code: str | None = None
    info_text: str | None = None
    version: str | None = None
    system_config: str | None = None
    call_handling: str | None = None
    heartbeat_options: str | None = None
    additional_message: str | None = None
    # Tags this codec does not know, kept as (name, text) rather than refused.
    unknown_tags: tuple[tuple[str, str], ...] = ()
    raw_xml: str = ""

    @property
    def event_kind(self) -> EventKind:
        return classify(self.message_type, self.status_code)

    @property
    def restores(self) -> EventKind | None:
        """For a restore, the condition that ended, when the status code says which."""
        if self.event_kind is not EventKind.RESTORE or not self.status_code:
            return None
        return STATUS_CODE_RESTORES.get(self.status_code)


@dataclass(frozen=True)
class ScaipResponse:
    """An `<mrs>`: the reference answered and the status number."""

    reference: str
    status: int
    text: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == StatusNumber.OK


# Parsing -----------------------------------------------------------------------------


def _load_defusedxml() -> Any:
    try:
        return importlib.import_module("defusedxml.ElementTree")
    except ImportError:
        return None


_DEFUSED = _load_defusedxml()
_FORBIDDEN_DECLARATIONS = ("<!DOCTYPE", "<!ENTITY")
_REFERENCE_SNIFF = re.compile(r"<ref>\s*([^<\s]{1,64})\s*</ref>")


def accepts_content_type(value: str | None) -> bool:
    """Whether a Content-Type header names the SCAIP media type (parameters ignored)."""
    if not value:
        return False
    return value.split(";", 1)[0].strip().lower() == CONTENT_TYPE


def _sniff_reference(text: str) -> str:
    """The <ref> of a body too broken to parse, so the error <mrs> still names it."""
    match = _REFERENCE_SNIFF.search(text)
    return match[1] if match else ""


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", "replace")
        raise ScaipError(
            StatusNumber.INVALID_FORMAT, "Body is not UTF-8", _sniff_reference(text)
        ) from exc


def _parse_xml(text: str) -> ET.Element:
    upper = text.upper()
    if any(declaration in upper for declaration in _FORBIDDEN_DECLARATIONS):
        raise ScaipError(
            StatusNumber.INVALID_FORMAT,
            "DOCTYPE and ENTITY declarations are refused",
            _sniff_reference(text),
        )
    try:
        if _DEFUSED is not None:
            root: ET.Element = _DEFUSED.fromstring(text, forbid_dtd=True)
        else:
            # Safe without defusedxml: no DOCTYPE reaches the parser (checked above), so
            # there are no entity declarations to expand or external entities to fetch.
            root = ET.fromstring(text)  # noqa: S314
    except (ET.ParseError, ValueError) as exc:
        raise ScaipError(
            StatusNumber.INVALID_FORMAT, f"Malformed XML: {exc}", _sniff_reference(text)
        ) from exc
    return root


def _tag(element: ET.Element) -> str:
    """The element's name without namespace, long names read as the short ones."""
    name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
    return LONG_TAG_NAMES.get(name, name)


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _read_root(body: bytes, expected: str) -> tuple[str, ET.Element]:
    if len(body) > MAX_BODY_BYTES:
        text = body[:MAX_BODY_BYTES].decode("utf-8", "replace")
        raise ScaipError(
            StatusNumber.MESSAGE_TOO_LONG,
            f"Body is {len(body)} bytes, over the {MAX_BODY_BYTES} byte limit",
            _sniff_reference(text),
        )
    text = _decode(body)
    root = _parse_xml(text)
    if _tag(root) != expected:
        raise ScaipError(
            StatusNumber.INVALID_FORMAT,
            f"Root element is <{_tag(root)}>, expected <{expected}>",
            _sniff_reference(text),
        )
    return text, root


def _echoable(reference: str) -> str:
    return reference if len(reference) <= _MAX_ECHOED_REFERENCE else ""


def parse_mrq(body: bytes) -> ScaipRequest:
    """Read and validate an `<mrq>`; raise `ScaipError` carrying the `<snu>` to answer."""
    text, root = _read_root(body, REQUEST_ROOT)

    values: dict[str, str] = {}
    unknown: list[tuple[str, str]] = []
    position: Position | None = None
    for child in root:
        tag = _tag(child)
        if tag == POSITION_TAG:
            parts = {_tag(part): _text(part) or None for part in child}
            position = Position(parts.get("geo"), parts.get("tim"), parts.get("gga"))
        elif tag in REQUEST_TAGS:
            # The first of a repeated tag wins; an empty tag counts as absent.
            if tag not in values and _text(child):
                values[tag] = _text(child)
        else:
            unknown.append((tag, _text(child)))

    if "mty" in values:
        values["mty"] = values["mty"].upper()
    reference = _echoable(values.get("ref", ""))
    missing = [tag for tag in MANDATORY_TAGS if tag not in values]
    if missing:
        raise ScaipError(
            StatusNumber.MANDATORY_TAG_MISSING,
            f"Mandatory tag(s) missing or empty: {', '.join(missing)}",
            reference,
        )
    wrong = [
        tag
        for tag, value in values.items()
        if tag in FIELD_FORMATS and not FIELD_FORMATS[tag].fullmatch(value)
    ]
    if wrong:
        detail = ", ".join(f"{tag}={values[tag][:32]!r}" for tag in wrong)
        raise ScaipError(StatusNumber.WRONG_DATA_CONTENT, f"Wrong data in {detail}", reference)

    for tag, width in CODE_WIDTHS.items():
        if tag in values:
            values[tag] = values[tag].zfill(width)
    fields: dict[str, Any] = {REQUEST_TAGS[tag]: value for tag, value in values.items()}
    if "priority" in fields:
        fields["priority"] = int(fields["priority"])
    return ScaipRequest(
        **fields,
        position=position,
        unknown_tags=tuple(unknown),
        raw_xml=text,
    )


def parse_mrs(body: bytes) -> ScaipResponse:
    """Read an `<mrs>` (what a unit would check); raise `ScaipError` when malformed."""
    _, root = _read_root(body, RESPONSE_ROOT)
    values: dict[str, str] = {}
    for child in root:
        values.setdefault(_tag(child), _text(child))
    missing = [tag for tag in MANDATORY_RESPONSE_TAGS if not values.get(tag)]
    if missing:
        raise ScaipError(
            StatusNumber.MANDATORY_TAG_MISSING,
            f"Mandatory tag(s) missing or empty: {', '.join(missing)}",
            values.get("ref", ""),
        )
    if not values["snu"].isdigit():
        raise ScaipError(
            StatusNumber.WRONG_DATA_CONTENT, f"Wrong data in snu={values['snu']!r}", values["ref"]
        )
    return ScaipResponse(values["ref"], int(values["snu"]), values.get("ste") or None)


# Building ----------------------------------------------------------------------------


def build_mrs(reference: str, status: StatusNumber | int, *, text: str | None = None) -> bytes:
    """The `<mrs>` answering the request `reference` with status number `status`."""
    parts = [f"<ref>{escape(reference)}</ref>", f"<snu>{int(status)}</snu>"]
    if text:
        parts.append(f"<ste>{escape(text[:_MAX_STATUS_TEXT])}</ste>")
    return f"<{RESPONSE_ROOT}>{''.join(parts)}</{RESPONSE_ROOT}>".encode()


def build_mrq(
    reference: str,
    controller_id: str,
    device_type: str,
    message_type: str = DEFAULT_MESSAGE_TYPE,
    **tags: str,
) -> bytes:
    """An `<mrq>` as a unit would send it (tests and simulators); extra tags by short name,
    e.g. ``stc="0010"``."""
    fields = {"ref": reference, "mty": message_type, "cid": controller_id, "dty": device_type}
    fields.update(tags)
    inner = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in fields.items())
    return f"<{REQUEST_ROOT}>{inner}</{REQUEST_ROOT}>".encode()
