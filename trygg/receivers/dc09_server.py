"""The SIA DC-09 receiver: asyncio servers on TCP and UDP (port 7100 by default).

Thin on purpose: framing, decoding and the answers are the pure functions of the `dc09`
package, storage is the registered ingest behind the `GroupCommitter`. What lives here is
the order of things on one connection:

1. split the stream into frames (`FrameBuffer`: several frames in one read, one frame over
   several reads), and decode each (`parse_frame`); damaged frames are answered NAK at once,
   intact frames that cannot be used DUH, noise not at all;
2. hand the decoded messages of one read to the committer together and wait until they are
   committed;
3. answer each frame in the order it came: ACK (encrypted when the frame was) for a stored
   or repeated message, DUH for an unknown account, and nothing at all when the database
   could not store it — the unit then sends it again, or turns to its backup receiver, and
   nothing is acknowledged that is not stored.

Keys. `parse_frame` needs each account's AES key synchronously, inside the event loop,
where no query may run. `KeyCache` holds the keys of the encrypted DC-09 units in memory
and reloads them with the registered key loader (`registry.register_key_loader`) on the
database thread every `key_refresh` seconds; a frame that needs a key the cache does not
have yet asks for an early reload (at most one a second) and is answered DUH meanwhile,
which the unit retries. Keys never appear in logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from . import registry
from .committer import GroupCommitter
from .dc09 import (
    Dc09Error,
    Dc09Message,
    FrameBuffer,
    FrameError,
    UnknownAccount,
    ack_for,
    duh_for,
    parse_frame,
    reply_for,
)
from .dc09.events import EventKind as Dc09Kind
from .dc09.payload import Dc09Event
from .incoming import IncomingEvent, IncomingSignal, IngestOutcome, Protocol
from .registry import KeyLoader

logger = logging.getLogger(__name__)

DEFAULT_PORT = 7100
READ_SIZE = 4096
# A unit that keeps its connection open sends at least a NULL message every supervision
# interval; one silent for longer than this is gone, and its socket is closed.
IDLE_TIMEOUT = 30 * 60.0
# UDP datagrams in flight at once; beyond this a burst is dropped (the units retransmit)
# rather than growing memory without bound.
MAX_UDP_IN_FLIGHT = 10_000
# Contact ID event qualifiers as letters, the way alarm-centre software shows codes:
# E101 new event, R101 restore, P101 still present.
_CID_QUALIFIERS = {"1": "E", "3": "R", "6": "P"}


class KeyCache:
    """Encrypted accounts' keys, reloaded in the background; see the module docstring."""

    def __init__(
        self,
        committer: GroupCommitter,
        municipality_id: int | None,
        *,
        refresh: float = 15.0,
        loader: KeyLoader | None = None,
    ) -> None:
        self._committer = committer
        self._municipality_id = municipality_id
        self._refresh = refresh
        self._loader = loader if loader is not None else registry.get_key_loader()
        self._keys: dict[str, list[bytes]] = {}
        self._loaded_at = float("-inf")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="dc09-keys")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reload(self) -> None:
        try:
            self._keys = await self._committer.run_on_db_thread(self._loader, self._municipality_id)
        except Exception:
            logger.exception("Could not reload the DC-09 keys; keeping the ones held")
        self._loaded_at = time.monotonic()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._refresh)
            self._wake.clear()
            await self.reload()

    def lookup(self, account: str) -> bytes | None:
        """parse_frame's KeyLookup: the account's key, or None when it sends in clear."""
        keys = self._keys.get(account.upper())
        if not keys:
            return None
        if len(keys) > 1:
            raise UnknownAccount("the account is registered in several municipalities")
        return keys[0]

    def missing(self) -> None:
        """A frame needed a key we do not have: reload soon (at most once a second)."""
        if time.monotonic() - self._loaded_at > 1.0:
            self._wake.set()


def to_signal(
    message: Dc09Message, received_at: dt.datetime, municipality_id: int | None
) -> IncomingSignal:
    """The ingest's view of a decoded frame."""
    return IncomingSignal(
        protocol=Protocol.DC09,
        municipality_id=municipality_id,
        unit_ref=message.account,
        dedupe_key=message.fingerprint,
        received_at=received_at,
        events=tuple(_event(event) for event in message.events),
        raw=message.raw,
    )


def _event(event: Dc09Event) -> IncomingEvent:
    code = event.code
    if event.qualifier is not None:
        code = _CID_QUALIFIERS.get(event.qualifier, event.qualifier) + code
    return IncomingEvent(
        kind=event.meaning.flat_kind,
        code=code,
        zone=event.zone or "",
        text=event.text or event.meaning.label,
        restores=_restores(event),
    )


def _restores(event: Dc09Event) -> str:
    """For a restore, what ended: the technical fault when the code names it (SIA YR, TR,
    AR; Contact ID 302, 137, 301 with qualifier 3), else the kind (alarm, fire, technical)."""
    meaning = event.meaning
    if meaning.kind is not Dc09Kind.RESTORE or meaning.restores is None:
        return ""
    if meaning.technical is not None:
        return meaning.technical.value
    return meaning.restores.value


@dataclass
class _Slot:
    """One frame's answer: known at once (an error), or after the commit (a message)."""

    answer: bytes | None = None
    message: Dc09Message | None = None
    key: bytes | None = None


@dataclass
class Dc09Server:
    """The running TCP and UDP receivers."""

    committer: GroupCommitter
    keys: KeyCache
    municipality_id: int | None
    tcp_port: int = 0
    udp_port: int = 0
    _tcp: asyncio.Server | None = None
    _udp: asyncio.DatagramTransport | None = None
    _connections: set[asyncio.Task[None]] = field(default_factory=set)
    # Counters for the log and the benchmark.
    frames: int = 0
    acks: int = 0
    unanswered: int = 0

    async def close(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
        if self._udp is not None:
            self._udp.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._tcp is not None:
            await self._tcp.wait_closed()
        await self.keys.close()

    # What both transports share ------------------------------------------------------

    def decode(self, frame: bytes, now: dt.datetime) -> _Slot:
        self.frames += 1
        try:
            message = parse_frame(frame, self.keys.lookup, now)
        except Dc09Error as error:
            if isinstance(error, UnknownAccount):
                self.keys.missing()
            # The class name only: the detail can quote the frame, and with it a client's
            # details or an account's data.
            logger.info("DC-09 frame refused (%s)", type(error).__name__)
            return _Slot(answer=reply_for(error, now))
        key = self.keys.lookup(message.account) if message.encrypted else None
        return _Slot(message=message, key=key)

    async def answer(self, slots: Sequence[_Slot], now: dt.datetime) -> list[bytes]:
        """Commit the decoded messages among `slots`, then the answers in frame order."""
        pending = [slot for slot in slots if slot.message is not None]
        if pending:
            signals = [
                to_signal(slot.message, now, self.municipality_id)
                for slot in pending
                if slot.message is not None
            ]
            outcomes = await self.committer.submit_many(signals)
            answered_at = dt.datetime.now(dt.UTC)
            for slot, outcome in zip(pending, outcomes, strict=True):
                assert slot.message is not None
                if outcome in (IngestOutcome.STORED, IngestOutcome.DUPLICATE):
                    slot.answer = ack_for(slot.message, slot.key, answered_at)
                    self.acks += 1
                elif outcome is IngestOutcome.UNKNOWN_UNIT:
                    slot.answer = duh_for(slot.message)
                else:
                    self.unanswered += 1
        return [slot.answer for slot in slots if slot.answer is not None]

    # TCP -----------------------------------------------------------------------------

    async def handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        buffer = FrameBuffer()
        try:
            while True:
                try:
                    # Not wait_for: it runs the read as a task of its own, a cost per read.
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        data = await reader.read(READ_SIZE)
                except TimeoutError:
                    break
                if not data:
                    break
                now = dt.datetime.now(dt.UTC)
                slots = []
                for item in buffer.feed(data):
                    if isinstance(item, FrameError):
                        slots.append(_Slot(answer=reply_for(item, now)))
                    else:
                        slots.append(self.decode(item, now))
                answers = await self.answer(slots, now)
                if answers:
                    writer.write(b"".join(answers))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # one connection's surprise must not take the receiver down
            logger.exception("DC-09 TCP connection failed")
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _UdpProtocol(asyncio.DatagramProtocol):
    """One frame per datagram, answered to the address it came from."""

    def __init__(self, server: Dc09Server) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.in_flight = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.in_flight >= MAX_UDP_IN_FLIGHT:
            return
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._handle(data, addr))
        self.server._connections.add(task)
        task.add_done_callback(self.server._connections.discard)

    async def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            now = dt.datetime.now(dt.UTC)
            # A datagram is one frame; FrameBuffer also drops the NUL padding some units add
            # and reports noise, so the stream and the datagram are read alike.
            items = FrameBuffer().feed(data)
            if not items:
                return
            item = items[0]
            slot = (
                _Slot(answer=reply_for(item, now))
                if isinstance(item, FrameError)
                else self.server.decode(item, now)
            )
            for answer in await self.server.answer([slot], now):
                if self.transport is not None and not self.transport.is_closing():
                    self.transport.sendto(answer, addr)
        except Exception:
            logger.exception("DC-09 UDP datagram failed")
        finally:
            self.in_flight -= 1


async def start_dc09_server(
    committer: GroupCommitter,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    municipality_id: int | None = None,
    key_refresh: float = 15.0,
    udp: bool = True,
) -> Dc09Server:
    """Listen for DC-09 on TCP and UDP `port` (0: any free port, the same for both)."""
    keys = KeyCache(committer, municipality_id, refresh=key_refresh)
    await keys.start()
    server = Dc09Server(committer, keys, municipality_id)
    loop = asyncio.get_running_loop()
    server._tcp = await asyncio.start_server(server.handle_tcp, host, port, reuse_address=True)
    server.tcp_port = server._tcp.sockets[0].getsockname()[1]
    if udp:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(server), local_addr=(host, server.tcp_port)
        )
        server._udp = transport
        server.udp_port = transport.get_extra_info("sockname")[1]
    logger.info("DC-09 receiver on %s: TCP %d, UDP %d", host, server.tcp_port, server.udp_port)
    return server
