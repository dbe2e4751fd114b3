"""The SCAIP (SS 91100) receiver: SIP MESSAGE over UDP and TCP, port 5060.

A unit sends a MESSAGE whose `application/scaip+xml` body is an `<mrq>`. Once the message
is committed (`GroupCommitter.submit` returned STORED or DUPLICATE) we answer 200 OK and then
send our own MESSAGE, in the unit's Call-ID, carrying the `<mrs>` with the same reference and
status 0. The parsing and building are the pure codecs in `receivers/scaip`; this module only
moves bytes, keeps the SIP transaction state, and decides what to answer:

- `<mrq>` that the codec refuses (invalid format, wrong data, mandatory tag missing, too
  long): 200 OK and an `<mrs>` with that status number. The SIP request itself was fine,
  and SCAIP reports content errors in the `<mrs>`, which is what a unit reads; nothing is
  stored.
- Unknown controller id: 403 Forbidden and no `<mrs>`. The request was understood but this
  receiver does not serve the unit (RFC 3261 21.4.4). A final non-2xx ends the unit's
  transaction at once, so it moves to its secondary receiver or voice fallback without
  waiting for a time-out, and nothing that looks like a delivery receipt reaches it: an
  `<mrs>` of any status would confirm that a receiver took the message.
- Database failure (FAILED): no answer at all. Over UDP the unit keeps retransmitting for
  32 s (Timer F) and each retransmission is submitted again, so a short outage heals inside
  the same transaction; afterwards, or over TCP, the transaction times out, the way every
  unit is built to handle a receiver that is down: it fails over. A 503 would end the
  transaction early, but what a unit does with a 5xx to an alarm is the least tested path
  in its firmware (some treat any final response as "delivered, rejected"), whereas
  silence is exactly what a dead receiver looks like.
- Wrong or missing Content-Type: 415 with Accept; a Content-Encoding other than identity:
  415 with Accept-Encoding (RFC 3261 8.2.3).
- OPTIONS (keep-alive, capability probe): 200 OK with Allow and Accept. Other SIP methods:
  405 with Allow; unknown methods: 501 (8.2.1). ACK is never answered.
- A request that parses but lacks a mandatory header or has a malformed Via/CSeq/From/To:
  400 when a response can still be built, else dropped; bytes that are not SIP: dropped.
- Responses from units (the 200 OK to our `<mrs>` MESSAGE): absorbed; a matching one stops
  our retransmissions, an error status is logged.

Transactions (RFC 3261 17.2.2). A retransmission of a request still being committed is
absorbed (its answer is on the way); one of a request already answered gets the same
response bytes again for 32 s (Timer J) without touching the database. Past that, or in
another receiver process, the ingest's deduplication answers it: the dedupe key is Call-ID,
CSeq number and `<ref>`, identical in every retransmission and in a copy the unit re-sends
over the other transport, and Call-IDs are globally unique, so a unit that restarts its
reference counter cannot have a new alarm taken for an old one. Our `<mrs>` MESSAGE is
retransmitted over UDP (Timer E, T1 doubling to T2) until the unit answers or 32 s pass.

Responses over UDP go to the datagram's source address, and our MESSAGE too: alarm units
sit behind mobile-network NAT, where the address in Via is not reachable (RFC 3581
symmetric response routing, used for every unit, not only those that ask with `rport`).

The body is never logged: it holds client data. Nothing a peer sends may stop the server:
every datagram and every TCP frame is handled under its own exception guard.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import datetime as dt
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from .committer import GroupCommitter
from .incoming import EventKind, IncomingEvent, IncomingSignal, IngestOutcome, Protocol
from .scaip import (
    CONTENT_TYPE,
    ScaipError,
    ScaipRequest,
    SipParseError,
    SipRequest,
    SipResponse,
    StatusNumber,
    StreamSplitter,
    accepts_content_type,
    build_mrs,
    build_reply_message,
    build_response,
    parse_message,
    parse_mrq,
    transaction_key,
)
from .scaip import EventKind as ScaipKind
from .scaip.sip import DEFAULT_MAX_MESSAGE_BYTES, derive_tag

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5060
USER_AGENT = "Trygg SCAIP receiver"
ALLOW = "MESSAGE, OPTIONS"
# RFC 3261 and its common extensions: a unit using one of these gets 405, anything else 501.
KNOWN_METHODS = frozenset(
    {
        "ACK",
        "BYE",
        "CANCEL",
        "INFO",
        "INVITE",
        "MESSAGE",
        "NOTIFY",
        "OPTIONS",
        "PRACK",
        "PUBLISH",
        "REFER",
        "REGISTER",
        "SUBSCRIBE",
        "UPDATE",
    }
)

# RFC 3261 timers (17.1.2, 17.2.2) for UDP.
T1 = 0.5
T2 = 4.0
TIMER_F = 64 * T1  # how long our MESSAGE is retransmitted, and a unit's transaction lives
TIMER_J = 64 * T1  # how long an answered request's response is kept for its retransmissions

# Bounds that keep one misbehaving or hostile peer from taking the server's memory. At the
# design load (300,000 units, a heartbeat every 5 minutes: 1,000 a second) about 32,000
# transactions are remembered at a time.
MAX_TRANSACTIONS = 200_000
MAX_PENDING_UDP = 20_000  # requests waiting for the database, all UDP peers together
MAX_PENDING_PER_CONNECTION = 32  # beyond this a TCP connection stops being read
MAX_CONNECTIONS = 10_000
MAX_WRITE_BUFFER = 256 * 1024  # a TCP peer that does not read its answers is cut off
IDLE_TIMEOUT = 15 * 60.0  # three missed 5-minute heartbeats on an open TCP connection

_KINDS: dict[ScaipKind, EventKind] = {
    ScaipKind.ALARM: EventKind.ALARM,
    ScaipKind.HEARTBEAT: EventKind.HEARTBEAT,
    ScaipKind.TEST: EventKind.TEST,
    ScaipKind.LOW_BATTERY: EventKind.LOW_BATTERY,
    ScaipKind.TAMPER: EventKind.TAMPER,
    ScaipKind.MAINS_LOSS: EventKind.MAINS_LOSS,
    ScaipKind.RESTORE: EventKind.RESTORE,
    ScaipKind.OTHER: EventKind.OTHER,
}
_ACKNOWLEDGED = (IngestOutcome.STORED, IngestOutcome.DUPLICATE)
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 (compared with, not bound to)
_URI_HOST = re.compile(r"^sips?:(?:[^@;>]*@)?(\[[0-9A-Fa-f:.]+\]|[^:;>?\s]+)", re.IGNORECASE)


# Mapping an <mrq> onto the ingest's contract --------------------------------------------


def incoming_events(mrq: ScaipRequest) -> tuple[IncomingEvent, ...]:
    """The events of an `<mrq>`; none for a heartbeat (link supervision only)."""
    kind = _KINDS.get(mrq.event_kind, EventKind.OTHER)
    if kind == EventKind.HEARTBEAT:
        return ()
    texts = (mrq.status_text, mrq.device_text, mrq.location_text)
    restores = mrq.restores
    return (
        IncomingEvent(
            kind=kind,
            code=mrq.status_code or mrq.message_type,
            zone=mrq.device_id or mrq.device_component or "",
            text="; ".join(text for text in texts if text),
            restores=_KINDS[restores] if restores is not None else "",
        ),
    )


def dedupe_key(request: SipRequest, mrq: ScaipRequest) -> str:
    """Identical for every copy of one request, whatever transport or Via it came with."""
    return f"{request.call_id}|{request.cseq.number}|{mrq.reference}"


# Where answers go -----------------------------------------------------------------------


class _Path(abc.ABC):
    """Where a request came from, and how its answers travel back."""

    transport = "UDP"
    reliable = False

    def __init__(self, address: tuple[str, int], local: tuple[str, int]) -> None:
        self.address = address
        self.local = local

    @property
    def is_open(self) -> bool:
        return True

    @abc.abstractmethod
    def send(self, data: bytes) -> None:
        """Put an answer on the way back to the unit."""

    def begin(self) -> bool:
        """A request starts waiting for the database; False when there is no room."""
        return True

    def end(self) -> None:  # noqa: B027 - most paths keep no count; TCP overrides it
        """The request's wait for the database is over."""


class _UdpPath(_Path):
    def __init__(
        self,
        endpoint: _UdpEndpoint,
        address: tuple[str, int],
        local: tuple[str, int],
    ) -> None:
        super().__init__(address, local)
        self._endpoint = endpoint

    @property
    def is_open(self) -> bool:
        return self._endpoint.transport is not None and not self._endpoint.transport.is_closing()

    def send(self, data: bytes) -> None:
        if self._endpoint.transport is not None and self.is_open:
            self._endpoint.transport.sendto(data, self.address)

    def begin(self) -> bool:
        if self._endpoint.pending >= MAX_PENDING_UDP:
            return False
        self._endpoint.pending += 1
        return True

    def end(self) -> None:
        self._endpoint.pending -= 1


class _TcpPath(_Path):
    transport = "TCP"
    reliable = True

    def __init__(
        self, connection: _TcpConnection, address: tuple[str, int], local: tuple[str, int]
    ) -> None:
        super().__init__(address, local)
        self._connection = connection

    @property
    def is_open(self) -> bool:
        return self._connection.is_open

    def send(self, data: bytes) -> None:
        self._connection.write(data)

    def begin(self) -> bool:
        self._connection.begin()
        return True

    def end(self) -> None:
        self._connection.end()


def _address(value: object) -> tuple[str, int]:
    """(host, port) of a socket address, IPv6's flow info and scope dropped."""
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return "", 0


# Transactions ---------------------------------------------------------------------------


@dataclass
class _ServerTransaction:
    """A unit's request: in flight until `response` is set, then kept until `expires`."""

    path: _Path
    response: bytes | None = None
    expires: float | None = None


@dataclass
class _ClientTransaction:
    """Our `<mrs>` MESSAGE, retransmitted over UDP until the unit answers it."""

    data: bytes
    path: _Path
    deadline: float
    interval: float = T1
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class _Receiver:
    """The SIP and SCAIP logic both transports share."""

    def __init__(self, committer: GroupCommitter, municipality_id: int | None) -> None:
        self._committer = committer
        self._municipality_id = municipality_id
        self._loop = asyncio.get_running_loop()
        self._server_transactions: collections.OrderedDict[str, _ServerTransaction] = (
            collections.OrderedDict()
        )
        self._client_transactions: dict[str, _ClientTransaction] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections: set[_TcpConnection] = set()
        self.closing = False

    # Entry points ---------------------------------------------------------------------

    def handle(self, data: bytes, path: _Path, *, datagram: bool) -> None:
        """One datagram or one TCP frame. Never raises: a bad peer must not stop the rest."""
        try:
            self._handle(data, path, datagram=datagram)
        except Exception:
            # Only the peer and the size: the bytes may hold a client's details.
            logger.exception(
                "SCAIP: %d bytes from %s over %s could not be handled",
                len(data),
                path.address[0],
                path.transport,
            )

    async def close(self) -> None:
        self.closing = True
        for transaction in self._client_transactions.values():
            if transaction.timer is not None:
                transaction.timer.cancel()
        self._client_transactions.clear()
        for connection in list(self.connections):
            connection.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._server_transactions.clear()

    # Requests and responses -----------------------------------------------------------

    def _handle(self, data: bytes, path: _Path, *, datagram: bool) -> None:
        if self.closing:
            return
        if not data.strip(b"\r\n\t "):
            return  # a CRLF keep-alive over UDP: nothing to answer
        try:
            message = parse_message(data, datagram=datagram)
        except SipParseError:
            # The codec's reason quotes header lines, which may carry a display name.
            logger.info(
                "SCAIP: %d bytes from %s over %s are not SIP; dropped",
                len(data),
                path.address[0],
                path.transport,
            )
            return
        if isinstance(message, SipResponse):
            self._absorb(message, path)
        else:
            self._request(message, path, data)

    def _request(self, request: SipRequest, path: _Path, raw: bytes) -> None:
        if request.method == "ACK":
            return  # acknowledges an INVITE's final response; never answered (17.2.1)
        missing = request.missing_headers()
        if missing:
            self._bad_request(request, path, f"Missing {', '.join(missing)}")
            return
        try:
            key = transaction_key(request)
            cseq = request.cseq
            request.from_addr  # noqa: B018 (parsed for its error, before anything is built)
            request.to_addr  # noqa: B018
        except SipParseError:
            self._bad_request(request, path, "Malformed Header Field")
            return
        if cseq.method != request.method:
            self._bad_request(request, path, "CSeq Method Does Not Match")
            return

        known = self._server_transactions.get(key)
        if known is not None:
            # A retransmission: answered again if answered, absorbed while in flight; the
            # answer follows the unit if its NAT binding moved meanwhile.
            known.path = path
            if known.response is not None:
                path.send(known.response)
            return

        if request.method == "MESSAGE":
            self._message(key, request, path, raw)
        elif request.method == "OPTIONS":
            self._answer(
                key, request, path, 200, extra=[("Allow", ALLOW), ("Accept", CONTENT_TYPE)]
            )
        elif request.method in KNOWN_METHODS:
            self._answer(key, request, path, 405, extra=[("Allow", ALLOW)])
        else:
            # RFC 3261 §8.2.1: a method the server does not recognise is answered 501 with
            # the methods it takes (a SIP status, not unfinished code).
            self._answer(key, request, path, 501, "Not Implemented", extra=[("Allow", ALLOW)])

    def _message(self, key: str, request: SipRequest, path: _Path, raw: bytes) -> None:
        encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
        if encoding != "identity":
            self._answer(key, request, path, 415, extra=[("Accept-Encoding", "identity")])
            return
        if not accepts_content_type(request.headers.get("content-type")):
            self._answer(key, request, path, 415, extra=[("Accept", CONTENT_TYPE)])
            return
        try:
            mrq = parse_mrq(request.body)
        except ScaipError as exc:
            # The codec's reason names tags and coded values, never the free-text fields.
            logger.info(
                "SCAIP: <mrq> from %s refused with status %d (%s): %s",
                path.address[0],
                int(exc.status),
                exc.status.name,
                exc.reason,
            )
            self._acknowledge(key, request, path, exc.reference, exc.status)
            return
        if not self._remember(key, _ServerTransaction(path)):
            return
        if not path.begin():
            self._server_transactions.pop(key, None)
            logger.warning("SCAIP: too many requests waiting; one from %s dropped", path.address[0])
            return
        signal = IncomingSignal(
            protocol=Protocol.SCAIP,
            municipality_id=self._municipality_id,
            unit_ref=mrq.controller_id,
            dedupe_key=dedupe_key(request, mrq),
            received_at=dt.datetime.now(dt.UTC),
            events=incoming_events(mrq),
            raw=raw,
        )
        task = self._loop.create_task(self._commit(key, request, mrq, signal, path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commit(
        self,
        key: str,
        request: SipRequest,
        mrq: ScaipRequest,
        signal: IncomingSignal,
        path: _Path,
    ) -> None:
        try:
            try:
                outcome = await self._committer.submit(signal)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("SCAIP: the committer raised for unit %s", mrq.controller_id)
                outcome = IngestOutcome.FAILED
            transaction = self._server_transactions.get(key)
            # The latest copy's path: a unit whose NAT binding moved is answered where it is.
            reply = transaction.path if transaction is not None else path
            if outcome in _ACKNOWLEDGED:
                self._acknowledge(key, request, reply, mrq.reference, StatusNumber.OK)
            elif outcome is IngestOutcome.UNKNOWN_UNIT:
                logger.warning(
                    "SCAIP: unknown controller %s from %s refused with 403",
                    mrq.controller_id,
                    reply.address[0],
                )
                self._answer(key, request, reply, 403)
            else:
                # Not committed: no answer, and forgotten, so the unit's next
                # retransmission is submitted again (see the module docstring). Debug only:
                # the committer already logs the outage, once, not once per message.
                self._server_transactions.pop(key, None)
                logger.debug(
                    "SCAIP: message from unit %s not stored; not acknowledged",
                    mrq.controller_id,
                )
        except asyncio.CancelledError:
            self._server_transactions.pop(key, None)
            raise
        except Exception:
            self._server_transactions.pop(key, None)
            logger.exception("SCAIP: answering unit %s failed", mrq.controller_id)
        finally:
            path.end()

    def _acknowledge(
        self, key: str, request: SipRequest, path: _Path, reference: str, status: StatusNumber
    ) -> None:
        """200 OK, then our MESSAGE with the `<mrs>` in the unit's Call-ID."""
        self._answer(key, request, path, 200)
        local_host, local_port = path.local
        if local_host in _WILDCARD_HOSTS:
            local_host = _uri_host(request.uri) or local_host
        reply = build_reply_message(
            request,
            build_mrs(reference, status),
            local_host=local_host,
            local_port=local_port,
            transport=path.transport,
            user_agent=USER_AGENT,
        )
        self._send_request(reply, path)

    def _answer(
        self,
        key: str,
        request: SipRequest,
        path: _Path,
        status: int,
        reason: str | None = None,
        *,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        response = build_response(
            request, status, reason, source=path.address, extra_headers=extra
        ).to_bytes()
        transaction = self._server_transactions.get(key)
        if transaction is None:
            transaction = _ServerTransaction(path)
            if not self._remember(key, transaction):
                transaction = None
        if transaction is not None:
            transaction.response = response
            transaction.expires = time.monotonic() + TIMER_J
            self._server_transactions.move_to_end(key)
        path.send(response)

    def _bad_request(self, request: SipRequest, path: _Path, reason: str) -> None:
        """400 if the request has enough to route and match a response, else nothing."""
        if not request.headers.get("via") or not request.headers.get("cseq"):
            return
        try:
            # The default tag comes from the transaction key, which needs a parsable Via and
            # CSeq; this one does not, and is still the same for a retransmission.
            seed = [*request.headers.get_all("via"), request.headers.get("cseq") or ""]
            tag = derive_tag("|".join([*seed, request.call_id or ""]))
            response = build_response(request, 400, reason, to_tag=tag, source=path.address)
            data = response.to_bytes()
        except SipParseError:
            logger.info("SCAIP: malformed request from %s dropped", path.address[0])
            return
        logger.info("SCAIP: %s from %s answered 400 (%s)", request.method, path.address[0], reason)
        path.send(data)

    def _absorb(self, response: SipResponse, path: _Path) -> None:
        """A unit's answer to our `<mrs>` MESSAGE."""
        try:
            branch = response.top_via.branch or ""
        except SipParseError:
            return
        transaction = self._client_transactions.get(branch)
        if transaction is None or response.status < 200:
            return  # a late copy, or provisional: the final answer will come
        del self._client_transactions[branch]
        if transaction.timer is not None:
            transaction.timer.cancel()
        if response.status >= 300:
            logger.warning(
                "SCAIP: unit at %s answered our <mrs> with %d", path.address[0], response.status
            )

    # Our own requests -------------------------------------------------------------------

    def _send_request(self, request: SipRequest, path: _Path) -> None:
        data = request.to_bytes()
        path.send(data)
        branch = request.top_via.branch or ""
        if len(self._client_transactions) >= MAX_TRANSACTIONS:
            return  # sent once, not tracked: its answer is then absorbed as unknown
        transaction = _ClientTransaction(data, path, time.monotonic() + TIMER_F)
        self._client_transactions[branch] = transaction
        # Over TCP nothing is retransmitted (17.1.2.2), but the entry stays until Timer F so
        # that the answer is still recognised.
        delay = TIMER_F if path.reliable else T1
        transaction.timer = self._loop.call_later(delay, self._retransmit, branch)

    def _retransmit(self, branch: str) -> None:
        transaction = self._client_transactions.get(branch)
        if transaction is None:
            return
        now = time.monotonic()
        if transaction.path.reliable or now >= transaction.deadline or not transaction.path.is_open:
            del self._client_transactions[branch]
            if not transaction.path.reliable:
                logger.info(
                    "SCAIP: unit at %s did not answer our <mrs>", transaction.path.address[0]
                )
            return
        try:
            transaction.path.send(transaction.data)
        except Exception:
            logger.exception("SCAIP: retransmitting to %s failed", transaction.path.address[0])
        transaction.interval = min(transaction.interval * 2, T2)
        delay = min(transaction.interval, max(transaction.deadline - now, 0.0))
        transaction.timer = self._loop.call_later(delay, self._retransmit, branch)

    # Memory of answered requests --------------------------------------------------------

    def _remember(self, key: str, transaction: _ServerTransaction) -> bool:
        table = self._server_transactions
        now = time.monotonic()
        while table:
            oldest = next(iter(table.values()))
            if oldest.expires is None or oldest.expires > now:
                break
            table.popitem(last=False)
        if len(table) >= MAX_TRANSACTIONS:
            logger.warning("SCAIP: transaction table full; a request dropped")
            return False
        table[key] = transaction
        return True


def _uri_host(uri: str) -> str | None:
    match = _URI_HOST.match(uri.strip())
    return match[1].strip("[]") if match else None


# Transports -----------------------------------------------------------------------------


class _UdpEndpoint(asyncio.DatagramProtocol):
    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("", 0)
        self.pending = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.local = _address(transport.get_extra_info("sockname"))

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if len(data) > DEFAULT_MAX_MESSAGE_BYTES:
            return
        self._receiver.handle(data, _UdpPath(self, _address(addr), self.local), datagram=True)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for something we sent (a unit gone away): not ours to stop for.
        logger.debug("SCAIP: UDP error: %s", exc)


class _TcpConnection(asyncio.Protocol):
    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver
        self._splitter = StreamSplitter()
        self._transport: asyncio.Transport | None = None
        self._path: _Path | None = None
        self._pings = 0
        self._pending = 0
        self._paused = False
        self._last_activity = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = _address(transport.get_extra_info("peername"))
        if self._receiver.closing:
            self.abort()
            return
        if len(self._receiver.connections) >= MAX_CONNECTIONS:
            logger.warning("SCAIP: too many TCP connections; one from %s refused", peer[0])
            self.abort()
            return
        self._receiver.connections.add(self)
        self._path = _TcpPath(self, peer, _address(transport.get_extra_info("sockname")))
        self._idle_timer = asyncio.get_running_loop().call_later(IDLE_TIMEOUT, self._check_idle)

    def data_received(self, data: bytes) -> None:
        if self._path is None or not self.is_open:
            return
        self._last_activity = time.monotonic()
        try:
            frames = self._splitter.feed(data)
        except SipParseError:
            logger.info("SCAIP: TCP stream from %s cannot be framed; closed", self._path.address[0])
            self.abort()
            return
        if self._splitter.pings > self._pings:
            # RFC 5626 4.4.1: each double-CRLF ping is answered with one CRLF.
            self.write(b"\r\n" * (self._splitter.pings - self._pings))
            self._pings = self._splitter.pings
        for frame in frames:
            self._receiver.handle(frame, self._path, datagram=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._receiver.connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()

    def write(self, data: bytes) -> None:
        if self._transport is None or not self.is_open:
            return
        if self._transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            logger.warning("SCAIP: TCP peer is not reading its answers; closed")
            self.abort()
            return
        self._transport.write(data)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def begin(self) -> None:
        self._pending += 1
        if self._pending >= MAX_PENDING_PER_CONNECTION and not self._paused and self.is_open:
            assert self._transport is not None
            self._transport.pause_reading()
            self._paused = True

    def end(self) -> None:
        self._pending -= 1
        if self._paused and self._pending < MAX_PENDING_PER_CONNECTION // 2 and self.is_open:
            assert self._transport is not None
            self._transport.resume_reading()
            self._paused = False

    def _check_idle(self) -> None:
        idle = time.monotonic() - self._last_activity
        if idle >= IDLE_TIMEOUT and self._pending == 0:
            self.abort()
            return
        delay = max(IDLE_TIMEOUT - idle, 1.0)
        self._idle_timer = asyncio.get_running_loop().call_later(delay, self._check_idle)


# The server -----------------------------------------------------------------------------


class ScaipServer:
    """The UDP endpoint and the TCP server of one SCAIP receiver."""

    def __init__(
        self,
        receiver: _Receiver,
        udp: asyncio.DatagramTransport,
        tcp: asyncio.Server,
    ) -> None:
        self._receiver = receiver
        self._udp = udp
        self._tcp = tcp
        self.udp_port: int = _address(udp.get_extra_info("sockname"))[1]
        self.tcp_port: int = _address(tcp.sockets[0].getsockname())[1]

    async def close(self) -> None:
        """Stop listening and drop what is in flight (unanswered, so units send it again)."""
        self._tcp.close()
        self._udp.close()
        await self._receiver.close()
        await self._tcp.wait_closed()


async def start_scaip_server(
    committer: GroupCommitter,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    municipality_id: int | None = None,
) -> ScaipServer:
    """Listen for SCAIP units on UDP and TCP `port` (0: a free port for each)."""
    committer.start()  # idempotent; a receiver whose committer never runs would hang
    loop = asyncio.get_running_loop()
    receiver = _Receiver(committer, municipality_id)
    udp, _ = await loop.create_datagram_endpoint(
        lambda: _UdpEndpoint(receiver), local_addr=(host, port)
    )
    try:
        tcp = await loop.create_server(
            lambda: _TcpConnection(receiver), host, port, reuse_address=True
        )
    except BaseException:
        udp.close()
        raise
    return ScaipServer(receiver, udp, tcp)


__all__ = ["DEFAULT_PORT", "ScaipServer", "dedupe_key", "incoming_events", "start_scaip_server"]
