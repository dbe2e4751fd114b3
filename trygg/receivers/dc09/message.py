"""Reading a DC-09 frame into a Dc09Message, and writing frames as an alarm unit does."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from . import crypto
from .errors import (
    BadFormat,
    BadPayload,
    Dc09Error,
    DecryptionFailed,
    EncryptionRequired,
    MissingKey,
    StaleTimestamp,
    UnknownAccount,
    UnsupportedToken,
)
from .events import HEARTBEAT
from .frame import unwrap, wrap
from .header import (
    DEFAULT_WINDOW,
    Dc09Header,
    TimestampWindow,
    format_timestamp,
    parse_header,
    parse_timestamp,
)
from .payload import (
    Dc09Event,
    ExtendedData,
    parse_adm_cid,
    parse_extended,
    parse_sia_dcs,
)
from .responses import nak

SIA_DCS = "SIA-DCS"
ADM_CID = "ADM-CID"
NULL = "NULL"
TOKENS = frozenset({SIA_DCS, ADM_CID, NULL})

# Called with the account exactly as received (hex; compare case-insensitively). Returns
# the account's AES key, or None when the account sends in clear. May raise UnknownAccount
# to refuse an account outright (answered DUH).
KeyLookup = Callable[[str], bytes | None]

# After the opening bracket (decrypted if need be): data, extended data blocks, timestamp.
_CONTENT_RE = re.compile(r"(?P<data>[^\[\]]*)\](?P<ext>(?:\[[^\[\]]*\])*)(?:_(?P<ts>[0-9:,\-]*))?")


@dataclass(frozen=True, slots=True)
class Dc09Message:
    """A received DC-09 message, checked and decoded."""

    header: Dc09Header
    account: str  # the header's account, or the one in the data when the header has none
    data: str  # the data between the brackets (decrypted), e.g. "#1001|Nri1/BA12"
    extended: tuple[ExtendedData, ...]
    timestamp: datetime | None  # the unit's UTC timestamp; always set when encrypted
    events: tuple[Dc09Event, ...]  # a NULL message has one HEARTBEAT event
    raw: bytes = field(repr=False)  # the frame as received, LF to CR

    @property
    def token(self) -> str:
        return self.header.token

    @property
    def encrypted(self) -> bool:
        return self.header.encrypted

    @property
    def sequence(self) -> str:
        return self.header.sequence

    @property
    def receiver(self) -> str | None:
        return self.header.receiver

    @property
    def line_prefix(self) -> str:
        return self.header.line_prefix

    @property
    def is_null(self) -> bool:
        """A NULL message: link supervision (heartbeat), no event."""
        return self.header.token == NULL

    @property
    def fingerprint(self) -> str:
        """Same for a message and its retransmissions.

        A unit that got no ACK sends the message again with the same sequence number but,
        when encrypted, a new pad and possibly a new timestamp; so the raw bytes differ and
        this leaves them out. Sequence numbers cycle 0001-9999, so compare fingerprints
        within hours, not forever.
        """
        h = self.header
        parts = (h.token, self.account.upper(), h.line_prefix.upper(), h.sequence, self.data)
        ext = tuple(f"{x.letter}{x.value}" for x in self.extended)
        digest = hashlib.sha256("\x1f".join(parts + ext).encode("utf-8"))
        return digest.hexdigest()[:32]


def parse_frame(
    frame: bytes,
    keys: KeyLookup,
    now: datetime,
    *,
    window: TimestampWindow = DEFAULT_WINDOW,
) -> Dc09Message:
    """Check and decode one frame (LF..CR) received at `now` (aware).

    Raises a Dc09Error; its `reply` says whether to answer NAK or DUH (`reply_for` builds
    the answer). Encrypted messages must carry a timestamp within `window` of `now`;
    clear-text timestamps are decoded but not checked (DC-09 only requires the check for
    encrypted messages).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    body = unwrap(frame).decode("latin-1")
    parsed = parse_header(body)
    if parsed is None:
        raise BadFormat(f"not a DC-09 message header: {body[:40]!r}")
    header, after_bracket = parsed
    try:
        return _parse_message(header, after_bracket, frame, keys, now, window)
    except Dc09Error as exc:
        exc.with_header(header)  # so a DUH can echo it
        raise


def _parse_message(
    header: Dc09Header,
    after_bracket: str,
    frame: bytes,
    keys: KeyLookup,
    now: datetime,
    window: TimestampWindow,
) -> Dc09Message:
    if header.token not in TOKENS:
        raise UnsupportedToken(f"id token {header.id_token!r} is not handled here")
    if header.encrypted:
        if header.account is None:
            raise UnknownAccount("an encrypted message needs #account in its header")
        key = keys(header.account)
        if key is None:
            raise MissingKey(f"no key for account {header.account}")
        _, clear = crypto.decrypt(key, after_bracket)
        content = clear.decode("latin-1")
    else:
        if header.account is not None and keys(header.account) is not None:
            raise EncryptionRequired(f"account {header.account} must send encrypted")
        content = after_bracket

    m = _CONTENT_RE.fullmatch(content)
    if m is None:
        if header.encrypted:
            # Decrypted, found a '|', yet not a message: almost surely the wrong key.
            raise DecryptionFailed("decrypted data is not a DC-09 message: wrong key?")
        raise BadFormat(f"expected data]...[x-data]_timestamp after '[', got {content[:60]!r}")
    timestamp = None
    if m["ts"] is not None:
        try:
            timestamp = parse_timestamp(m["ts"])
        except ValueError:
            raise BadFormat(f"bad timestamp {m['ts']!r}") from None
    if header.encrypted and (timestamp is None or not window.contains(timestamp, now)):
        what = "has no timestamp" if timestamp is None else f"is stamped {timestamp:%H:%M:%S}"
        raise StaleTimestamp(
            f"encrypted message {what}; receiver time {now:%H:%M:%S}",
            timestamp=timestamp,
            receiver_time=now,
            nak=nak(now),
        )

    data = m["data"]
    data_account, events = _events(header.token, data)
    account = header.account or data_account
    if account is None:
        raise UnknownAccount("no account in the header or the data")
    if not header.encrypted and header.account is None and keys(account) is not None:
        raise EncryptionRequired(f"account {account} must send encrypted")
    return Dc09Message(
        header=header,
        account=account,
        data=data,
        extended=parse_extended(m["ext"]),
        timestamp=timestamp,
        events=events,
        raw=bytes(frame),
    )


def _events(token: str, data: str) -> tuple[str | None, tuple[Dc09Event, ...]]:
    if token == NULL:
        return None, (Dc09Event(code=NULL, meaning=HEARTBEAT),)
    if token == ADM_CID:
        return parse_adm_cid(data)
    if token == SIA_DCS:
        return parse_sia_dcs(data)
    raise BadPayload(f"no payload reader for {token}")  # pragma: no cover - TOKENS guards


def build_frame(
    token: str,
    *,
    sequence: str | int,
    account: str | None,
    line_prefix: str = "0",
    receiver: str | None = None,
    data: str = "",
    extended: Sequence[str] = (),
    timestamp: datetime | None = None,
    key: bytes | None = None,
    pad: bytes | None = None,
) -> bytes:
    """A frame as an alarm unit sends it (for tests, the benchmark's sender, and tools).

    `token` is any id token ("SIA-DCS", "ADM-CID", "NULL", also "ACK" etc.); with `key` it
    is sent encrypted ("*SIA-DCS"), which needs a `timestamp`. `extended` holds blocks such
    as "X115000" (written "[X115000]"). `pad` fixes the pad bytes (golden tests); it is
    random otherwise. Values are written exactly as given.
    """
    seq = f"{sequence:04d}" if isinstance(sequence, int) else sequence
    if len(seq) != 4 or not seq.isdigit():
        raise ValueError(f"a sequence number is four digits, not {seq!r}")
    star = "*" if key is not None else ""
    rcv = "" if receiver is None else f"R{receiver}"
    acct = "" if account is None else f"#{account}"
    head = f'"{star}{token}"{seq}{rcv}L{line_prefix}{acct}['
    ts = "" if timestamp is None else format_timestamp(timestamp)
    clear = data + "]" + "".join(f"[{x}]" for x in extended) + ts
    if key is None:
        return wrap((head + clear).encode("utf-8"))
    if timestamp is None:
        raise ValueError("an encrypted message needs a timestamp")
    return wrap((head + crypto.encrypt(key, clear.encode("utf-8"), pad)).encode("ascii"))
