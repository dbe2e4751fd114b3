"""SIA DC-09 codec: frames, encryption, SIA-DCS/ADM-CID payloads and the receiver's answers.

Pure functions over bytes; the asyncio server and the alarm services live elsewhere. A
TCP receiver does, per connection::

    buffer = FrameBuffer()
    for item in buffer.feed(data):
        if isinstance(item, FrameError):
            answer = reply_for(item, now)          # NAK, or None for noise
        else:
            try:
                message = parse_frame(item, keys, now)
            except Dc09Error as error:
                answer = reply_for(error, now)     # NAK or DUH
            else:
                ...store message.events, then commit...
                answer = ack_for(message, keys(message.account), now)

(a UDP receiver calls `parse_frame` on each datagram). The test suite and the benchmark
play the alarm unit with `build_frame` and `parse_response`.

Standard: ANSI/SIA DC-09-2013 (Internet Protocol Event Reporting), with the 2017 and 2021
editions; where they or implementations differ, the module that decides says why.
"""

from .crypto import key_from_hex
from .errors import (
    BadCrc,
    BadFormat,
    BadLength,
    BadPayload,
    Dc09Error,
    DecryptionFailed,
    EncryptionRequired,
    FrameError,
    FrameTooLong,
    Garbage,
    MissingKey,
    Reply,
    StaleTimestamp,
    UnknownAccount,
    UnsupportedToken,
)
from .events import CID_CODES, SIA_CODES, EventKind, Meaning, Technical, cid_meaning, sia_meaning
from .frame import MAX_FRAME, FrameBuffer, crc16, unwrap, wrap
from .header import DEFAULT_WINDOW, Dc09Header, TimestampWindow
from .message import ADM_CID, NULL, SIA_DCS, Dc09Message, KeyLookup, build_frame, parse_frame
from .payload import Dc09Event, ExtendedData, SiaEvent, format_adm_cid, format_sia_dcs
from .responses import Dc09Response, ack_for, duh_for, nak, parse_response, reply_for

__all__ = [
    "ADM_CID",
    "CID_CODES",
    "DEFAULT_WINDOW",
    "MAX_FRAME",
    "NULL",
    "SIA_CODES",
    "SIA_DCS",
    "BadCrc",
    "BadFormat",
    "BadLength",
    "BadPayload",
    "Dc09Error",
    "Dc09Event",
    "Dc09Header",
    "Dc09Message",
    "Dc09Response",
    "DecryptionFailed",
    "EncryptionRequired",
    "EventKind",
    "ExtendedData",
    "FrameBuffer",
    "FrameError",
    "FrameTooLong",
    "Garbage",
    "KeyLookup",
    "Meaning",
    "MissingKey",
    "Reply",
    "SiaEvent",
    "StaleTimestamp",
    "Technical",
    "TimestampWindow",
    "UnknownAccount",
    "UnsupportedToken",
    "ack_for",
    "build_frame",
    "cid_meaning",
    "crc16",
    "duh_for",
    "format_adm_cid",
    "format_sia_dcs",
    "key_from_hex",
    "nak",
    "parse_frame",
    "parse_response",
    "reply_for",
    "sia_meaning",
    "unwrap",
    "wrap",
]
