"""SIP messages (RFC 3261), as far as a SCAIP receiver needs them.

Parsing: the request or status line, header fields (names compared case-insensitively,
compact forms expanded, folded lines joined, several Via values in one field or many),
Content-Length and the body. Over UDP the datagram ends the body (18.3: bytes past
Content-Length are dropped, fewer is an error); over TCP Content-Length is mandatory and
`StreamSplitter` cuts the byte stream into whole messages.

Building: the response to a request (8.2.6.2: every Via in order, From, To with our tag,
Call-ID and CSeq copied; Content-Length 0), and the receiver's own MESSAGE that carries the
SCAIP `<mrs>` back to the unit in the request's Call-ID (From = the request's To with our
tag, To = the request's From, a new CSeq, our own Via with a fresh branch).

Pure functions over bytes: nothing here opens a socket or touches the database.
"""

from __future__ import annotations

import abc
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .scaip import CONTENT_TYPE as SCAIP_CONTENT_TYPE

SIP_VERSION = "SIP/2.0"
# RFC 3261 8.1.1.7: a branch starting with this cookie is unique per transaction.
BRANCH_COOKIE = "z9hG4bK"
MAX_FORWARDS = 70
# A SCAIP message is a few hundred bytes; this bounds what one message may make us hold.
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024

# RFC 3261 7.3.3 and the IANA header registry.
COMPACT_FORMS: dict[str, str] = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "l": "content-length",
    "c": "content-type",
    "m": "contact",
    "e": "content-encoding",
    "k": "supported",
    "s": "subject",
}

_DISPLAY_NAMES: dict[str, str] = {
    "via": "Via",
    "from": "From",
    "to": "To",
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "contact": "Contact",
    "content-length": "Content-Length",
    "content-type": "Content-Type",
    "content-encoding": "Content-Encoding",
    "max-forwards": "Max-Forwards",
    "user-agent": "User-Agent",
    "server": "Server",
    "accept": "Accept",
    "allow": "Allow",
    "supported": "Supported",
    "subject": "Subject",
    "route": "Route",
    "record-route": "Record-Route",
    "www-authenticate": "WWW-Authenticate",
}

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    481: "Call/Transaction Does Not Exist",
    500: "Server Internal Error",
    503: "Service Unavailable",
}

# What every request must carry for us to answer it (8.1.1). Max-Forwards is also
# mandatory there, but alarm units omit it and it means nothing to an endpoint.
REQUIRED_REQUEST_HEADERS = ("via", "from", "to", "call-id", "cseq")


class SipParseError(ValueError):
    """The bytes are not a SIP message this codec accepts; the message says why."""


class SipFramingError(SipParseError):
    """A TCP byte stream can no longer be cut into messages: close the connection."""


def header_key(name: str) -> str:
    """The name a header field is looked up by: lower case, compact form expanded."""
    key = name.strip().lower()
    return COMPACT_FORMS.get(key, key)


def display_name(name: str) -> str:
    """The name written on the wire: the long form in its usual spelling."""
    key = header_key(name)
    return _DISPLAY_NAMES.get(key, name.strip())


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    """Split on `separator` where it is not inside "quotes" or <angle brackets>."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            angle += 1
        elif not quoted and char == ">" and angle:
            angle -= 1
        elif char == separator and not quoted and not angle:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _parse_params(parts: Iterable[str]) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for part in parts:
        if not part:
            continue
        name, sep, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"') if sep else None
    return params


# Header fields ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headers:
    """Header fields in wire order; each Via value is its own field."""

    fields: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        key = header_key(name)
        for field_name, value in self.fields:
            if header_key(field_name) == key:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        key = header_key(name)
        return [value for field_name, value in self.fields if header_key(field_name) == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


@dataclass(frozen=True)
class Via:
    """One Via value: `SIP/2.0/UDP host:port;branch=...;rport`."""

    transport: str
    host: str
    port: int | None
    params: dict[str, str | None]

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def sent_by(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


_VIA = re.compile(
    r"^\s*SIP\s*/\s*2\.0\s*/\s*(?P<transport>[A-Za-z0-9-]+)\s+"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:;]+)(?:\s*:\s*(?P<port>\d{1,5}))?\s*$",
    re.IGNORECASE,
)


def parse_via(value: str) -> Via:
    first, *params = _split_outside_quotes(value, ";")
    match = _VIA.match(first)
    if not match:
        raise SipParseError(f"Malformed Via: {value!r}")
    port = match["port"]
    return Via(
        transport=match["transport"].upper(),
        host=match["host"].strip("[]"),
        port=int(port) if port else None,
        params=_parse_params(params),
    )


def _format_via(via: Via) -> str:
    params = "".join(f";{k}" if v is None else f";{k}={v}" for k, v in via.params.items())
    return f"{SIP_VERSION}/{via.transport} {via.sent_by}{params}"


@dataclass(frozen=True)
class NameAddr:
    """A From, To or Contact value: display name, URI and header parameters (tag, ...)."""

    display: str
    uri: str
    params: dict[str, str | None]

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")


def parse_name_addr(value: str) -> NameAddr:
    value = value.strip()
    parts = _split_outside_quotes(value, ";")
    head = parts[0]
    if "<" in head:
        display, _, rest = head.partition("<")
        uri, closed, _ = rest.partition(">")
        if not closed:
            raise SipParseError(f"Unclosed '<' in {value!r}")
        # Inside <...> the ';' belong to the URI, so split again after the '>'.
        after = value[value.index(">", value.index("<")) + 1 :]
        return NameAddr(display.strip().strip('"'), uri.strip(), _parse_params(after.split(";")))
    # addr-spec without brackets: whatever follows the first ';' are header parameters.
    if not head:
        raise SipParseError(f"No URI in {value!r}")
    return NameAddr("", head, _parse_params(parts[1:]))


def _with_tag(value: str, tag: str) -> str:
    """The header value with `;tag=` added, unless it already has one."""
    if parse_name_addr(value).tag:
        return value
    addr = value.strip()
    if "<" not in addr:
        # Without brackets a URI parameter would be read as a header parameter; bracket it.
        parsed = parse_name_addr(addr)
        params = "".join(f";{k}" if v is None else f";{k}={v}" for k, v in parsed.params.items())
        addr = f"<{parsed.uri}>{params}"
    return f"{addr};tag={tag}"


@dataclass(frozen=True)
class CSeq:
    number: int
    method: str


def parse_cseq(value: str) -> CSeq:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
        raise SipParseError(f"Malformed CSeq: {value!r}")
    return CSeq(int(parts[0]), parts[1].upper())


# Messages -----------------------------------------------------------------------------


class _Message(abc.ABC):
    headers: Headers
    body: bytes

    @abc.abstractmethod
    def _start_line(self) -> str:
        """The request line or the status line."""

    @property
    def call_id(self) -> str | None:
        return self.headers.get("call-id")

    @property
    def cseq(self) -> CSeq:
        value = self.headers.get("cseq")
        if value is None:
            raise SipParseError("No CSeq header")
        return parse_cseq(value)

    @property
    def vias(self) -> list[Via]:
        return [parse_via(value) for value in self.headers.get_all("via")]

    @property
    def top_via(self) -> Via:
        value = self.headers.get("via")
        if value is None:
            raise SipParseError("No Via header")
        return parse_via(value)

    @property
    def from_addr(self) -> NameAddr:
        return parse_name_addr(self._required("from"))

    @property
    def to_addr(self) -> NameAddr:
        return parse_name_addr(self._required("to"))

    @property
    def content_type(self) -> str | None:
        """The media type alone, lower case, without parameters such as charset."""
        value = self.headers.get("content-type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower()

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"No {display_name(name)} header")
        return value

    def to_bytes(self) -> bytes:
        lines = [self._start_line()]
        lines += [
            f"{display_name(name)}: {value}"
            for name, value in self.headers
            if header_key(name) != "content-length"
        ]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True)
class SipRequest(_Message):
    method: str
    uri: str
    headers: Headers
    body: bytes = b""

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} {SIP_VERSION}"

    def missing_headers(self) -> list[str]:
        """The mandatory header fields this request lacks, in their display spelling."""
        return [display_name(name) for name in REQUIRED_REQUEST_HEADERS if name not in self.headers]


@dataclass(frozen=True)
class SipResponse(_Message):
    status: int
    reason: str
    headers: Headers
    body: bytes = b""

    def _start_line(self) -> str:
        return f"{SIP_VERSION} {self.status} {self.reason}"


SipMessage = SipRequest | SipResponse

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REQUEST_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9._!%*+`'~-]*) +(\S+) +SIP/2\.0$", re.IGNORECASE)
_STATUS_LINE = re.compile(r"^SIP/2\.0 +(\d{3})(?: +(.*))?$", re.IGNORECASE)
_LEADING_BLANK = re.compile(rb"^[\r\n]*")


def _header_lines(section: bytes) -> list[str]:
    try:
        text = section.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError("Header section is not UTF-8") from exc
    lines: list[str] = []
    for line in re.split(r"\r?\n", text):
        if line[:1] in (" ", "\t") and len(lines) > 1:
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"  # folded continuation (7.3.1)
        else:
            lines.append(line)
    return lines


def _content_length(values: Sequence[str]) -> int | None:
    lengths = set()
    for value in values:
        value = value.strip()
        if not value.isdigit() or len(value) > 10:
            raise SipParseError(f"Malformed Content-Length: {value!r}")
        lengths.add(int(value))
    if len(lengths) > 1:
        raise SipParseError("Conflicting Content-Length headers")
    return lengths.pop() if lengths else None


def parse_message(data: bytes, *, datagram: bool = True) -> SipMessage:
    """Parse one SIP message. `datagram=False` for a frame cut from a TCP stream, where
    Content-Length is mandatory."""
    data = _LEADING_BLANK.sub(b"", data, count=1)
    end = _HEADER_END.search(data)
    if end is None:
        raise SipParseError("No empty line after the header fields")
    start_line, *lines = _header_lines(data[: end.start()])

    fields: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not name or " " in name:
            raise SipParseError(f"Malformed header line: {line!r}")
        value = value.strip()
        if header_key(name) == "via":
            fields += [(name, part) for part in _split_outside_quotes(value, ",") if part]
        else:
            fields.append((name, value))
    headers = Headers(tuple(fields))

    length = _content_length(headers.get_all("content-length"))
    rest = data[end.end() :]
    if length is None:
        if not datagram:
            raise SipParseError("Content-Length is required over a stream transport")
        body = rest
    elif len(rest) < length:
        raise SipParseError(f"Body is {len(rest)} bytes, Content-Length says {length}")
    else:
        body = rest[:length]

    if match := _REQUEST_LINE.match(start_line):
        return SipRequest(match[1].upper(), match[2], headers, body)
    if match := _STATUS_LINE.match(start_line):
        return SipResponse(int(match[1]), (match[2] or "").strip(), headers, body)
    raise SipParseError(f"Malformed start line: {start_line!r}")


# TCP framing --------------------------------------------------------------------------


_PING = b"\r\n\r\n"  # RFC 5626 4.4.1 keep-alive; the answer is a single CRLF


class StreamSplitter:
    """Cuts a TCP byte stream into whole SIP messages, however the reads fall.

    `feed` returns the complete frames (bytes, for `parse_message(frame, datagram=False)`)
    and keeps the rest. A frame that cannot be delimited (no Content-Length, or longer
    than `max_message_bytes`) raises `SipFramingError`: the stream is lost and the
    connection should be closed. Double-CRLF keep-alive pings between messages are
    counted in `pings` so the server can answer each with a CRLF.
    """

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self.pings = 0
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        while self._buffer:
            if self._skip_blank_lines():
                break
            end = _HEADER_END.search(self._buffer)
            if end is None:
                if len(self._buffer) > self.max_message_bytes:
                    raise SipFramingError(
                        f"No end of header fields within {self.max_message_bytes} bytes"
                    )
                break
            length = self._frame_content_length(bytes(self._buffer[: end.start()]))
            total = end.end() + length
            if total > self.max_message_bytes:
                raise SipFramingError(
                    f"Message of {total} bytes is over the {self.max_message_bytes} byte limit"
                )
            if len(self._buffer) < total:
                break
            frames.append(bytes(self._buffer[:total]))
            del self._buffer[:total]
        return frames

    def _skip_blank_lines(self) -> bool:
        """Drop CR/LF between messages, counting pings. True when what is left may be the
        start of a ping still arriving, so the caller must wait for more bytes."""
        buffer = self._buffer
        while buffer[:1] in (b"\r", b"\n"):
            if buffer.startswith(_PING):
                self.pings += 1
                del buffer[: len(_PING)]
            elif len(buffer) < len(_PING) and _PING.startswith(bytes(buffer)):
                return True
            else:
                del buffer[:1]
        return False

    @staticmethod
    def _frame_content_length(section: bytes) -> int:
        values = []
        for line in re.split(rb"\r?\n", section)[1:]:
            name, colon, value = line.partition(b":")
            if colon and name.strip().lower() in (b"content-length", b"l"):
                values.append(value.decode("ascii", "replace"))
        try:
            length = _content_length(values)
        except SipParseError as exc:
            raise SipFramingError(str(exc)) from exc
        if length is None:
            raise SipFramingError("Content-Length is required over a stream transport")
        return length


# Transactions and tags ----------------------------------------------------------------


def transaction_key(request: SipRequest) -> str:
    """Equal for a request and its retransmissions, different for any new request.

    RFC 3261 17.2.3: with an RFC 3261 branch, the top Via's branch and sent-by and the
    method identify the server transaction; the CSeq number is added, which a
    retransmission repeats. An older client without the cookie is matched on the fields
    RFC 2543 used.
    """
    via = request.top_via
    cseq = request.cseq
    method = "INVITE" if cseq.method == "ACK" else cseq.method
    branch = via.branch or ""
    if branch.startswith(BRANCH_COOKIE):
        parts = [branch, via.sent_by.lower(), str(cseq.number), method]
    else:
        parts = [
            request.uri,
            request.from_addr.tag or "",
            request.call_id or "",
            str(cseq.number),
            method,
            via.sent_by.lower(),
            branch,
        ]
    return " ".join(parts)


def new_branch() -> str:
    return f"{BRANCH_COOKIE}{secrets.token_hex(10)}"


def derive_tag(seed: str) -> str:
    """A tag that is the same for the same seed, so a retransmitted request is answered with
    the very same To tag, and our MESSAGE's From tag matches the 200 OK's To tag."""
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def local_tag(request: SipRequest) -> str:
    """Our tag for the exchange this request opens (the 200 OK and the reply MESSAGE)."""
    return derive_tag(transaction_key(request))


# Building -----------------------------------------------------------------------------


def _annotated_via(value: str, source: tuple[str, int] | None) -> str:
    """RFC 3261 18.2.1 and RFC 3581: tell the client the address its request came from,
    so a unit behind NAT gets its responses."""
    if source is None:
        return value
    via = parse_via(value)
    host, port = source
    params = dict(via.params)
    if "rport" in params:
        params["rport"] = str(port)
        params["received"] = host
    elif host != via.host:
        params["received"] = host
    else:
        return value
    return _format_via(Via(via.transport, via.host, via.port, params))


def build_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    source: tuple[str, int] | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipResponse:
    """The response to `request` (RFC 3261 8.2.6).

    Every Via is copied in order (the top one marked with `received`/`rport` when `source`
    is given), From, Call-ID and CSeq are copied, To gets our tag unless it has one. The
    tag defaults to one derived from the transaction, so answering a retransmission
    rebuilds the same bytes. A 415 should carry `Accept` and a 405 `Allow` in
    `extra_headers`.
    """
    fields: list[tuple[str, str]] = []
    for index, value in enumerate(request.headers.get_all("via")):
        fields.append(("Via", _annotated_via(value, source) if index == 0 else value))
    if (from_value := request.headers.get("from")) is not None:
        fields.append(("From", from_value))
    if (to_value := request.headers.get("to")) is not None:
        if status > 100:
            to_value = _with_tag(to_value, to_tag or local_tag(request))
        fields.append(("To", to_value))
    for name in ("call-id", "cseq"):
        if (copied := request.headers.get(name)) is not None:
            fields.append((display_name(name), copied))
    fields += [(display_name(name), value) for name, value in extra_headers]
    if body:
        fields.append(("Content-Type", content_type or "application/octet-stream"))
    phrase = reason if reason is not None else REASON_PHRASES.get(status, "")
    return SipResponse(status, phrase, Headers(tuple(fields)), body)


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def build_reply_message(
    request: SipRequest,
    body: bytes,
    *,
    local_host: str,
    local_port: int,
    transport: str = "UDP",
    from_tag: str | None = None,
    cseq: int | None = None,
    branch: str | None = None,
    content_type: str = SCAIP_CONTENT_TYPE,
    user_agent: str | None = None,
) -> SipRequest:
    """Our own MESSAGE back to the unit, in the request's Call-ID (the SCAIP `<mrs>`).

    Request-URI: the unit's Contact, or its From URI. From: the request's To with our tag
    (by default the tag the 200 OK carried). To: the request's From, with the unit's tag.
    CSeq: `cseq`, by default one past the unit's. Send it where the request came from.
    """
    contact = request.headers.get("contact")
    target = parse_name_addr(contact).uri if contact and contact.strip() != "*" else None
    uri = target or request.from_addr.uri
    via_value = (
        f"{SIP_VERSION}/{transport.upper()} {_format_host(local_host)}:{local_port}"
        f";branch={branch or new_branch()};rport"
    )
    fields: list[tuple[str, str]] = [
        ("Via", via_value),
        ("Max-Forwards", str(MAX_FORWARDS)),
        ("From", _with_tag(request._required("to"), from_tag or local_tag(request))),
        ("To", request._required("from")),
        ("Call-ID", request._required("call-id")),
        ("CSeq", f"{cseq if cseq is not None else request.cseq.number + 1} MESSAGE"),
    ]
    if user_agent:
        fields.append(("User-Agent", user_agent))
    fields.append(("Content-Type", content_type))
    return SipRequest("MESSAGE", uri, Headers(tuple(fields)), body)
