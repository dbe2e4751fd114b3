"""SCAIP (SS 91100) receiver codecs: SIP MESSAGE framing and the `<mrq>`/`<mrs>` XML.

A unit sends a SIP MESSAGE with an `<mrq>`; the receiver answers `200 OK`
(`build_response`) and then its own MESSAGE (`build_reply_message`) carrying an `<mrs>`
(`build_mrs`) with the same reference. Pure functions; the asyncio server and the alarm
services live elsewhere.
"""

from .scaip import (
    CONTENT_TYPE,
    EventKind,
    MessageType,
    Position,
    ScaipError,
    ScaipRequest,
    ScaipResponse,
    StatusNumber,
    accepts_content_type,
    build_mrq,
    build_mrs,
    classify,
    parse_mrq,
    parse_mrs,
)
from .sip import (
    CSeq,
    Headers,
    NameAddr,
    SipFramingError,
    SipMessage,
    SipParseError,
    SipRequest,
    SipResponse,
    StreamSplitter,
    Via,
    build_reply_message,
    build_response,
    local_tag,
    parse_message,
    transaction_key,
)

__all__ = [
    "CONTENT_TYPE",
    "CSeq",
    "EventKind",
    "Headers",
    "MessageType",
    "NameAddr",
    "Position",
    "ScaipError",
    "ScaipRequest",
    "ScaipResponse",
    "SipFramingError",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "StatusNumber",
    "StreamSplitter",
    "Via",
    "accepts_content_type",
    "build_mrq",
    "build_mrs",
    "build_reply_message",
    "build_response",
    "classify",
    "local_tag",
    "parse_message",
    "parse_mrq",
    "parse_mrs",
    "transaction_key",
]
