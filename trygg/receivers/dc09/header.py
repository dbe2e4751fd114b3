"""The DC-09 message header and timestamps.

A message body (what the CRC covers) is::

    "id"seq[Rrcvr]Lpref[#acct][data][x-data]..._HH:MM:SS,MM-DD-YYYY

The header is everything up to the opening bracket. The parts an ACK must echo are kept
exactly as received (case, leading zeros, an omitted receiver stays omitted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# id token, sequence, receiver (optional), line prefix, account (optional in a few older
# units that send the account only inside the data), then the opening bracket.
HEADER_RE = re.compile(
    r'"(?P<enc>\*)?(?P<token>[A-Za-z0-9-]{1,16})"'
    r"(?P<seq>[0-9]{4})"
    r"(?:R(?P<rcv>[0-9A-Fa-f]{1,6}))?"
    r"L(?P<line>[0-9A-Fa-f]{1,6})"
    r"(?:#(?P<acct>[0-9A-Fa-f]{3,16}))?"
    r"\["
)

TIMESTAMP_FORMAT = "%H:%M:%S,%m-%d-%Y"
TIMESTAMP_RE = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{2}-[0-9]{2}-[0-9]{4}")


@dataclass(frozen=True, slots=True)
class Dc09Header:
    """The header of a received message, as received."""

    token: str  # id token without the encryption star: "SIA-DCS", "ADM-CID", "NULL"
    encrypted: bool
    sequence: str  # four digits, 0000-9999
    receiver: str | None  # hex digits after R; None when the unit left R out
    line_prefix: str  # hex digits after L
    account: str | None  # hex digits after #; None when the header has none

    @property
    def id_token(self) -> str:
        return f"*{self.token}" if self.encrypted else self.token

    def echo(self, token: str, *, encrypted: bool = False) -> str:
        """`"token"seq[Rrcvr]Lpref[#acct][` for an answer to this message."""
        star = "*" if encrypted else ""
        receiver = "" if self.receiver is None else f"R{self.receiver}"
        account = "" if self.account is None else f"#{self.account}"
        return f'"{star}{token}"{self.sequence}{receiver}L{self.line_prefix}{account}['


def parse_header(body: str) -> tuple[Dc09Header, str] | None:
    """The header of a message body and the text after its opening bracket, or None."""
    m = HEADER_RE.match(body)
    if m is None:
        return None
    header = Dc09Header(
        token=m["token"],
        encrypted=m["enc"] is not None,
        sequence=m["seq"],
        receiver=m["rcv"],
        line_prefix=m["line"],
        account=m["acct"],
    )
    return header, body[m.end() :]


def format_timestamp(moment: datetime) -> str:
    """`_HH:MM:SS,MM-DD-YYYY` in UTC, as DC-09 timestamps are."""
    if moment.tzinfo is None:
        raise ValueError("DC-09 timestamps need an aware datetime")
    return "_" + moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """`HH:MM:SS,MM-DD-YYYY` (without the underscore) as an aware UTC datetime."""
    if not TIMESTAMP_RE.fullmatch(text):
        raise ValueError(f"not a DC-09 timestamp: {text!r}")
    # The pattern fixed every digit's place: read them directly, not with strptime (a
    # tenth of a frame's decoding). datetime() refuses what strptime would (month 13,
    # hour 24, second 60), with a ValueError as well.
    return datetime(
        int(text[15:19]),
        int(text[9:11]),
        int(text[12:14]),
        int(text[0:2]),
        int(text[3:5]),
        int(text[6:8]),
        tzinfo=UTC,
    )


@dataclass(frozen=True, slots=True)
class TimestampWindow:
    """How far an encrypted message's timestamp may be from the receiver's clock.

    DC-09 §5.5.1.8: the receiver rejects encrypted messages stamped more than 20 s ahead of
    it or more than 40 s behind it (receiver time minus message time within -20 s..+40 s;
    pysiaalarm's default `allowed_timeband=(40, 20)` is the same window). The asymmetry
    allows for transit and retry delay. A message outside it is answered with a NAK that
    carries the receiver's time.
    """

    behind: timedelta = timedelta(seconds=40)  # message older than receiver time
    ahead: timedelta = timedelta(seconds=20)  # message newer than receiver time

    def contains(self, timestamp: datetime, now: datetime) -> bool:
        return now - self.behind <= timestamp <= now + self.ahead


DEFAULT_WINDOW = TimestampWindow()
