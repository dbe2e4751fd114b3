"""The receiver's answers (ACK, NAK, DUH), and reading them as an alarm unit does.

Forms (DC-09-2013 §5.5.3; the echoed parts exactly as the unit sent them):

- ACK: ``"ACK"seq[Rrcvr]Lpref#acct[]``. The receiver and account are echoed only if the
  unit sent them: an omitted receiver stays omitted (pysiaalarm writes "None" or "R0"
  there, its issue #88).
- encrypted ACK, to an encrypted message: ``"*ACK"seq[Rrcvr]Lpref#acct[`` + hex of
  AES(pad + ``|]_HH:MM:SS,MM-DD-YYYY``) with the account's key and the receiver's time;
  the timestamp and pad are required.
- NAK: ``"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY``, fixed fields and the receiver's time,
  never encrypted. (Some implementations write ``#0`` for ``A0``; this form, from the
  standard's example, is what receivers and units in the wild use.)
- DUH: ``"DUH"seq[Rrcvr]Lpref#acct[]``, never encrypted (the receiver may not have the
  key: that can be why it cannot process the message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from . import crypto
from .errors import BadFormat, Dc09Error, MissingKey, Reply, StaleTimestamp
from .frame import unwrap, wrap
from .header import (
    TIMESTAMP_RE,
    Dc09Header,
    format_timestamp,
    parse_header,
    parse_timestamp,
)

NAK_BODY = '"NAK"0000R0L0A0[]'
NAK = "NAK"
# Other answers share the message header layout; a NAK has its own fixed form.
HEADER_RESPONSES = frozenset({"ACK", "DUH", "RSP"})

_NAK_RE = re.compile(
    r'"NAK"(?P<seq>[0-9]{4})R(?P<rcv>[0-9A-Fa-f]{1,6}?)L(?P<line>[0-9A-Fa-f]{1,6}?)'
    r"[A#](?P<acct>[0-9A-Fa-f]{1,16})\[\](?:_(?P<ts>" + TIMESTAMP_RE.pattern + r"))?"
)
_CONTENT_RE = re.compile(
    r"(?P<data>[^\[\]]*)\](?:\[[^\[\]]*\])*(?:_(?P<ts>" + TIMESTAMP_RE.pattern + r"))?"
)


class Headed(Protocol):
    """What an answer is built from: a decoded message (`message.Dc09Message`), which this
    module does not import, since `message` uses the NAK built here."""

    @property
    def header(self) -> Dc09Header: ...


def _header_of(message: Headed | Dc09Header) -> Dc09Header:
    return message if isinstance(message, Dc09Header) else message.header


def ack_for(
    message: Headed | Dc09Header,
    key: bytes | None,
    now: datetime,
    *,
    pad: bytes | None = None,
) -> bytes:
    """The ACK for a message: encrypted with `key` (and stamped `now`) if the message was.

    `key` is only used for encrypted messages. `pad` fixes the pad (golden tests).
    """
    header = _header_of(message)
    if not header.encrypted:
        return wrap((header.echo("ACK") + "]").encode("ascii"))
    if key is None:
        raise ValueError("an encrypted message is acknowledged with the account's key")
    clear = ("]" + format_timestamp(now)).encode("ascii")
    hex_text = crypto.encrypt(key, clear, pad)
    return wrap((header.echo("ACK", encrypted=True) + hex_text).encode("ascii"))


def nak(now: datetime) -> bytes:
    """The NAK, carrying the receiver's time `now` so the unit can correct its clock."""
    return wrap((NAK_BODY + format_timestamp(now)).encode("ascii"))


def duh_for(message: Headed | Dc09Header) -> bytes:
    """The DUH for an intact message that cannot be processed."""
    return wrap((_header_of(message).echo("DUH") + "]").encode("ascii"))


def reply_for(error: Dc09Error, now: datetime) -> bytes | None:
    """What to send back for an error from `parse_frame` (None: send nothing)."""
    if error.reply is Reply.NONE:
        return None
    if error.reply is Reply.DUH and error.header is not None:
        return duh_for(error.header)
    if isinstance(error, StaleTimestamp):
        return error.nak
    return nak(now)


@dataclass(frozen=True, slots=True)
class Dc09Response:
    """A receiver's answer as the alarm unit reads it."""

    token: str  # "ACK", "NAK", "DUH", "RSP"
    encrypted: bool
    sequence: str
    receiver: str | None
    line_prefix: str
    account: str | None
    data: str
    timestamp: datetime | None  # the receiver's time (NAK, encrypted ACK)
    raw: bytes = field(repr=False)


def parse_response(frame: bytes, key: bytes | None = None) -> Dc09Response:
    """Check and decode an ACK/NAK/DUH/RSP frame; `key` decrypts an encrypted one."""
    body = unwrap(frame).decode("latin-1")
    m = _NAK_RE.fullmatch(body)
    if m is not None:
        return Dc09Response(
            token=NAK,
            encrypted=False,
            sequence=m["seq"],
            receiver=m["rcv"],
            line_prefix=m["line"],
            account=m["acct"],
            data="",
            timestamp=parse_timestamp(m["ts"]) if m["ts"] else None,
            raw=bytes(frame),
        )
    parsed = parse_header(body)
    if parsed is None or parsed[0].token not in HEADER_RESPONSES:
        raise BadFormat(f"not a DC-09 response: {body[:40]!r}")
    header, content = parsed
    if header.encrypted:
        if key is None:
            raise MissingKey("an encrypted response needs the key", header=header)
        _, clear = crypto.decrypt(key, content)
        content = clear.decode("latin-1")
    c = _CONTENT_RE.fullmatch(content)
    if c is None:
        raise BadFormat(f"bad response content {content[:40]!r}", header=header)
    if header.encrypted and c["ts"] is None:
        raise BadFormat("an encrypted response carries a timestamp", header=header)
    return Dc09Response(
        token=header.token,
        encrypted=header.encrypted,
        sequence=header.sequence,
        receiver=header.receiver,
        line_prefix=header.line_prefix,
        account=header.account,
        data=c["data"],
        timestamp=parse_timestamp(c["ts"]) if c["ts"] else None,
        raw=bytes(frame),
    )
