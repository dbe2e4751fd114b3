"""Errors of the DC-09 codec. Each one says how the receiver answers the frame that caused it.

When to answer NAK, DUH or nothing (ANSI/SIA DC-09-2013 §5.5.3, kept in 2017/2021):

- ACK: "messages received without errors".
- NAK: "when an encrypted message fails the timestamp test (§5.5.1.8)", with the receiver's
  time so the unit can correct its clock and send again. Receivers also NAK a frame that
  arrives damaged (CRC, length or framing wrong): the unit then retransmits at once instead
  of waiting for its ACK timeout. Both are "send it again" answers.
- DUH: "when the CSR is unable to process an otherwise correctly received message": the
  frame is intact but we cannot use it (unknown account, no key, wrong key, an id token or
  payload we do not understand). Sending it again would not help.
- Nothing: bytes that are not a frame at all (noise between frames, a frame cut off by a
  new LF). There is no sequence number to answer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .header import Dc09Header


class Reply(StrEnum):
    """The answer a receiver sends for an error."""

    NAK = "NAK"
    DUH = "DUH"
    NONE = "none"


class Dc09Error(Exception):
    """A frame or message the receiver cannot acknowledge."""

    reply: ClassVar[Reply] = Reply.NAK

    def __init__(self, detail: str, *, header: Dc09Header | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # The parsed header, when parsing got that far: a DUH echoes it.
        self.header = header

    def with_header(self, header: Dc09Header) -> Dc09Error:
        if self.header is None:
            self.header = header
        return self


class FrameError(Dc09Error):
    """The bytes do not form an intact frame."""


class Garbage(FrameError):
    """Bytes between frames that are not a frame (skipped up to the next LF)."""

    reply = Reply.NONE

    def __init__(self, data: bytes, detail: str = "bytes outside a frame") -> None:
        super().__init__(f"{detail}: {len(data)} bytes {data[:32]!r}")
        self.data = data


class FrameTooLong(FrameError):
    """An LF followed by more bytes than any frame can hold, without its CR."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"no CR within {limit} bytes of the LF ({size} bytes buffered)")
        self.size = size


class BadFormat(FrameError):
    """The frame or its header does not follow the DC-09 layout."""


class BadLength(FrameError):
    """The 0LLL length field is not the number of bytes from the first quote to the CR."""


class BadCrc(FrameError):
    """The CRC field does not match the CRC-16/ARC of the message."""


class UnsupportedToken(Dc09Error):
    """An intact frame with an id token this receiver does not handle."""

    reply = Reply.DUH


class UnknownAccount(Dc09Error):
    """The account is unknown, or is not set up the way the message needs (e.g. no key)."""

    reply = Reply.DUH


class MissingKey(UnknownAccount):
    """An encrypted message for an account that has no key here."""


class EncryptionRequired(UnknownAccount):
    """A clear-text message for an account that has a key: it could be forged."""


class DecryptionFailed(Dc09Error):
    """The encrypted block does not decrypt to a DC-09 message (most likely the wrong key)."""

    reply = Reply.DUH


class BadPayload(Dc09Error):
    """The SIA-DCS or ADM-CID data inside the brackets cannot be read."""

    reply = Reply.DUH


class StaleTimestamp(Dc09Error):
    """An encrypted message whose timestamp is missing or outside the receiver's window.

    `nak` is the answer, carrying the receiver time the window was checked against.
    """

    def __init__(
        self,
        detail: str,
        *,
        timestamp: datetime | None,
        receiver_time: datetime,
        nak: bytes,
        header: Dc09Header | None = None,
    ) -> None:
        super().__init__(detail, header=header)
        self.timestamp = timestamp
        self.receiver_time = receiver_time
        self.nak = nak
