"""The SCAIP receiver on real loopback sockets: a unit's MESSAGE is committed, then answered
200 OK and an <mrs> MESSAGE; retransmissions, heartbeats, refusals and a database that is
down. The ingest runs on the committer's thread, hence transactional test databases."""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from django.db import connection, connections
from django.utils import timezone

from trygg.alarms import ingest as alarm_ingest
from trygg.alarms.models import Alarm, Signal
from trygg.core.models import OutboxMessage
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.services import place_unit
from trygg.devices.tests.places import Place
from trygg.receivers.committer import GroupCommitter, IngestFunction
from trygg.receivers.incoming import IncomingSignal, IngestOutcome
from trygg.receivers.scaip import (
    CONTENT_TYPE,
    SipMessage,
    SipRequest,
    SipResponse,
    StatusNumber,
    StreamSplitter,
    build_mrq,
    build_response,
    parse_message,
    parse_mrq,
    parse_mrs,
)
from trygg.receivers.scaip_server import ScaipServer, incoming_events, start_scaip_server

pytestmark = pytest.mark.django_db(transaction=True)

CID = "26317"
SECRET = "Ovre Torggatan 7, portkod 4711"  # client data in the body: never in a log line
QUIET = 0.7  # longer than T1, so a retransmission of our <mrs> would show within it
T = TypeVar("T")
_calls = itertools.count(1)


@pytest.fixture
def unit(place: Place) -> AlarmUnit:
    unit = place.unit(CID, protocol=AlarmProtocol.SCAIP)
    place_unit(
        place.tech,
        unit,
        client=place.client,
        active_from=timezone.localdate() - dt.timedelta(days=30),
    )
    return unit


def fresh(unit: AlarmUnit) -> AlarmUnit:
    return AlarmUnit.objects.get(pk=unit.pk)


def mrq(ref: str = "00001883", cid: str = CID, mty: str = "ME", **tags: str) -> bytes:
    tags.setdefault("stc", "0010")
    tags.setdefault("crd", "gsm:+46701234567")
    return build_mrq(ref, cid, tags.pop("dty", "0004"), mty, **tags)


# A fake alarm unit ------------------------------------------------------------------------


class FakeUnit(abc.ABC):
    """An alarm unit on a loopback socket: sends SIP, collects what the receiver sends."""

    transport = "UDP"
    host = "127.0.0.1"
    port = 0

    def __init__(self) -> None:
        self.splitter = StreamSplitter()
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()

    @abc.abstractmethod
    def send(self, data: bytes) -> None:
        """Send bytes to the receiver over this unit's transport."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close this unit's socket."""

    def request(
        self,
        body: bytes,
        *,
        method: str = "MESSAGE",
        call_id: str | None = None,
        cseq: int = 1,
        content_type: str | None = CONTENT_TYPE,
        omit: Sequence[str] = (),
    ) -> bytes:
        """A request as a unit writes it; `omit` leaves out header fields by name."""
        n = next(_calls)
        call_id = call_id or f"{n}-scaip-test@{self.host}"
        headers = [
            ("Via", f"SIP/2.0/{self.transport} {self.host}:{self.port};branch=z9hG4bK-t{n};rport"),
            ("From", f"<sip:{CID}@{self.host}:{self.port}>;tag=unit{n}"),
            ("To", "<sip:alarm@127.0.0.1>"),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:{CID}@{self.host}:{self.port};transport={self.transport}>"),
            ("Max-Forwards", "70"),
        ]
        if content_type:
            headers.append(("Content-Type", content_type))
        headers.append(("Content-Length", str(len(body))))
        lines = [f"{method} sip:alarm@127.0.0.1 SIP/2.0"]
        lines += [f"{name}: {value}" for name, value in headers if name not in omit]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def receive(self, timeout: float = 5.0) -> SipMessage:
        data = await asyncio.wait_for(self.inbox.get(), timeout)
        return parse_message(data, datagram=self.transport == "UDP")

    async def response(self, timeout: float = 5.0) -> SipResponse:
        message = await self.receive(timeout)
        assert isinstance(message, SipResponse), message
        return message

    async def mrs_message(self, timeout: float = 5.0) -> SipRequest:
        message = await self.receive(timeout)
        assert isinstance(message, SipRequest), message
        assert message.method == "MESSAGE"
        return message

    async def nothing(self, timeout: float = QUIET) -> None:
        await asyncio.sleep(timeout)
        assert self.inbox.empty(), f"unexpected: {self.inbox.get_nowait()!r}"

    async def exchange(self, data: bytes) -> tuple[SipResponse, SipRequest]:
        """Send a MESSAGE; the 200 OK and the <mrs> MESSAGE; answer that with 200 OK."""
        self.send(data)
        ok = await self.response()
        reply = await self.mrs_message()
        self.send(build_response(reply, 200).to_bytes())
        return ok, reply


class UdpUnit(FakeUnit, asyncio.DatagramProtocol):
    def __init__(self) -> None:
        super().__init__()
        self.udp: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, server: ScaipServer) -> UdpUnit:
        unit = cls()
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: unit, local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", server.udp_port)
        )
        return unit

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.udp = cast(asyncio.DatagramTransport, transport)
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.inbox.put_nowait(data)

    def send(self, data: bytes) -> None:
        assert self.udp is not None
        self.udp.sendto(data)

    async def close(self) -> None:
        if self.udp is not None:
            self.udp.close()


class TcpUnit(FakeUnit):
    transport = "TCP"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__()
        self.reader, self.writer = reader, writer
        self.port = writer.get_extra_info("sockname")[1]
        self.closed = asyncio.Event()
        self._reading = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, server: ScaipServer) -> TcpUnit:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.tcp_port)
        return cls(reader, writer)

    async def _read(self) -> None:
        while data := await self.reader.read(4096):
            for frame in self.splitter.feed(data):
                self.inbox.put_nowait(frame)
        self.closed.set()

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def close(self) -> None:
        self._reading.cancel()
        self.writer.close()
        with suppress(ConnectionError):
            await self.writer.wait_closed()


# Running the receiver ----------------------------------------------------------------------


@asynccontextmanager
async def serving(
    ingest: IngestFunction | None = None, municipality_id: int | None = None
) -> AsyncIterator[ScaipServer]:
    committer = GroupCommitter(ingest) if ingest is not None else GroupCommitter()
    committer.start()
    server = await start_scaip_server(committer, port=0, municipality_id=municipality_id)
    try:
        yield server
    finally:
        await server.close()
        await committer.close()


async def in_thread(function: Callable[[], T]) -> T:
    """A database read from inside the event loop, on a thread with its own connection."""

    def call() -> T:
        try:
            return function()
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)


def assert_mrs(reply: SipRequest, request: bytes, ref: str, status: int) -> None:
    sent = parse_message(request)
    assert reply.call_id == sent.call_id
    assert reply.content_type == CONTENT_TYPE
    answer = parse_mrs(reply.body)
    assert (answer.reference, answer.status) == (ref, status)


# An alarm -----------------------------------------------------------------------------------


def test_an_alarm_is_committed_before_the_200_ok_and_then_gets_its_mrs(
    place: Place, unit: AlarmUnit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = mrq("00001883", stc="0010", stt=SECRET)
    stored_at_ok: list[int] = []

    async def scenario() -> tuple[bytes, SipResponse, SipRequest]:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(body)
            alarm_unit.send(data)
            ok = await alarm_unit.response()
            stored_at_ok.append(await in_thread(Signal.objects.count))
            reply = await alarm_unit.mrs_message()
            alarm_unit.send(build_response(reply, 200).to_bytes())
            await alarm_unit.nothing()  # our 200 stopped the <mrs> retransmissions
            await alarm_unit.close()
            return data, ok, reply

    data, ok, reply = asyncio.run(scenario())
    sent = parse_message(data)
    assert stored_at_ok == [1]
    assert ok.status == 200
    assert (ok.call_id, ok.cseq) == (sent.call_id, sent.cseq)
    assert_mrs(reply, data, "00001883", StatusNumber.OK)
    # The <mrs> comes from the dialog the 200 OK opened: its From tag is the 200's To tag.
    assert reply.from_addr.tag == ok.to_addr.tag
    assert reply.to_addr.tag == sent.from_addr.tag
    assert reply.cseq.method == "MESSAGE"

    signal = Signal.objects.get()
    assert bytes(signal.raw) == data
    assert (signal.protocol, signal.unit_id) == ("scaip", unit.pk)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status, alarm.code) == (
        "alarm",
        "care",
        "open",
        "0010",
    )
    assert alarm.client == place.client
    assert OutboxMessage.objects.get().subject_id == alarm.pk
    assert SECRET not in caplog.text
    assert "portkod" not in caplog.text


def test_a_udp_retransmission_is_answered_again_and_stored_once(unit: AlarmUnit) -> None:
    async def scenario() -> tuple[SipResponse, SipResponse]:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(mrq("00001884"))
            first, _ = await alarm_unit.exchange(data)
            alarm_unit.send(data)  # the unit missed our 200 OK
            again = await alarm_unit.response()
            await alarm_unit.nothing()  # one <mrs> only
            await alarm_unit.close()
            return first, again

    first, again = asyncio.run(scenario())
    assert again.to_bytes() == first.to_bytes()
    assert Signal.objects.count() == Alarm.objects.count() == 1


def test_our_mrs_is_retransmitted_over_udp_until_the_unit_answers(unit: AlarmUnit) -> None:
    async def scenario() -> list[bytes]:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(mrq("00001887")))
            await alarm_unit.response()
            copies = [(await alarm_unit.mrs_message()).to_bytes()]
            copies.append((await alarm_unit.mrs_message(timeout=2)).to_bytes())  # after T1
            reply = await alarm_unit.mrs_message(timeout=3)  # after 2*T1
            copies.append(reply.to_bytes())
            alarm_unit.send(build_response(reply, 200).to_bytes())
            await alarm_unit.nothing(1.5)
            await alarm_unit.close()
            return copies

    copies = asyncio.run(scenario())
    assert copies[0] == copies[1] == copies[2]
    assert Signal.objects.count() == 1


def test_a_retransmission_during_the_commit_gets_one_answer(unit: AlarmUnit) -> None:
    release = threading.Event()

    def slow_ingest(signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
        release.wait(5)
        return alarm_ingest.ingest(signals)

    async def scenario() -> None:
        async with serving(slow_ingest) as server:
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(mrq("00001885"))
            alarm_unit.send(data)
            await asyncio.sleep(0.1)
            alarm_unit.send(data)
            alarm_unit.send(data)
            await alarm_unit.nothing(0.3)  # nothing is acknowledged before the commit
            release.set()
            assert (await alarm_unit.response()).status == 200
            reply = await alarm_unit.mrs_message()
            alarm_unit.send(build_response(reply, 200).to_bytes())
            await alarm_unit.nothing()
            await alarm_unit.close()

    asyncio.run(scenario())
    assert Signal.objects.count() == 1


def test_a_retransmission_to_a_restarted_receiver_is_a_duplicate(unit: AlarmUnit) -> None:
    """The receiver's memory of answered requests is gone; the stored dedupe key is not."""

    async def scenario() -> list[SipRequest]:
        replies = []
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(mrq("00001886"))
            replies.append((await alarm_unit.exchange(data))[1])
            await alarm_unit.close()
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            replies.append((await alarm_unit.exchange(data))[1])
            await alarm_unit.close()
        return replies

    replies = asyncio.run(scenario())
    assert [parse_mrs(reply.body).status for reply in replies] == [0, 0]
    assert Signal.objects.count() == Alarm.objects.count() == 1


def test_the_same_reference_in_a_new_request_is_a_new_message(unit: AlarmUnit) -> None:
    """A unit whose reference counter restarted must not have its alarm taken for an old
    one: only a copy of the same SIP request (Call-ID and CSeq) is a duplicate."""

    async def scenario() -> None:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            await alarm_unit.exchange(alarm_unit.request(mrq("00000001")))
            await alarm_unit.exchange(alarm_unit.request(mrq("00000001")))
            await alarm_unit.close()

    asyncio.run(scenario())
    assert Signal.objects.count() == Alarm.objects.count() == 2


# TCP ------------------------------------------------------------------------------------------


def test_an_alarm_over_tcp_is_answered_on_the_same_connection(unit: AlarmUnit) -> None:
    async def scenario() -> tuple[bytes, SipResponse, SipRequest]:
        async with serving() as server:
            alarm_unit = await TcpUnit.open(server)
            data = alarm_unit.request(mrq("00002001"))
            ok, reply = await alarm_unit.exchange(data)
            await alarm_unit.nothing()  # no retransmission over a reliable transport
            await alarm_unit.close()
            return data, ok, reply

    data, ok, reply = asyncio.run(scenario())
    assert ok.status == 200
    assert_mrs(reply, data, "00002001", StatusNumber.OK)
    assert reply.top_via.transport == "TCP"
    assert bytes(Signal.objects.get().raw) == data


def test_tcp_messages_are_taken_however_the_stream_is_cut(unit: AlarmUnit) -> None:
    async def scenario() -> list[str]:
        async with serving() as server:
            alarm_unit = await TcpUnit.open(server)
            stream = b"\r\n\r\n".join(
                alarm_unit.request(mrq(ref)) for ref in ("00002002", "00002003", "00002004")
            )
            cut = len(stream) // 2 + 7
            alarm_unit.send(stream[:cut])
            await asyncio.sleep(0.05)
            alarm_unit.send(stream[cut:])
            references = []
            for _ in range(6):
                message = await alarm_unit.receive()
                if isinstance(message, SipRequest):
                    references.append(parse_mrs(message.body).reference)
            await alarm_unit.close()
            return references

    assert sorted(asyncio.run(scenario())) == ["00002002", "00002003", "00002004"]
    assert Signal.objects.count() == 3


def test_a_tcp_keepalive_ping_is_answered_with_crlf(unit: AlarmUnit) -> None:
    async def scenario() -> bytes:
        async with serving() as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.tcp_port)
            writer.write(b"\r\n\r\n")
            pong = await asyncio.wait_for(reader.readexactly(2), 5)
            writer.close()
            return pong

    assert asyncio.run(scenario()) == b"\r\n"


# Supervision -------------------------------------------------------------------------------


def test_a_heartbeat_moves_the_deadline_and_stores_no_alarm(unit: AlarmUnit) -> None:
    assert fresh(unit).supervision_due_at is None

    async def scenario() -> SipRequest:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            _, reply = await alarm_unit.exchange(
                alarm_unit.request(mrq("00001A85", mty="PI", dty="0002", stc="0102"))
            )
            await alarm_unit.close()
            return reply

    before = timezone.now()
    reply = asyncio.run(scenario())
    assert parse_mrs(reply.body).status == StatusNumber.OK
    unit = fresh(unit)
    assert unit.last_seen_at is not None
    assert unit.last_seen_at >= before
    assert unit.supervision_due_at == unit.last_seen_at + dt.timedelta(seconds=300 + 60)
    assert not Signal.objects.exists()
    assert not Alarm.objects.exists()


def test_a_test_transmission_is_kept_but_raises_no_care_alarm(unit: AlarmUnit) -> None:
    async def scenario() -> None:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            await alarm_unit.exchange(alarm_unit.request(mrq("00001A86", stc="0102")))
            await alarm_unit.close()

    asyncio.run(scenario())
    assert fresh(unit).supervision_due_at is not None
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status) == ("test", "technical", "closed")
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("stc", "mty", "kind"),
    [("0014", "ME", "low_battery"), ("0085", "ME", "mains_loss"), ("0093", "RE", "restore")],
)
def test_technical_messages_become_their_kinds(
    unit: AlarmUnit, stc: str, mty: str, kind: str
) -> None:
    async def scenario() -> None:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            await alarm_unit.exchange(alarm_unit.request(mrq("00003001", mty=mty, stc=stc)))
            await alarm_unit.close()

    asyncio.run(scenario())
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.code) == (kind, stc)


def test_battery_ok_closes_the_units_battery_low_alarm(unit: AlarmUnit) -> None:
    async def scenario() -> None:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            for ref, mty, stc in (("00003101", "ME", "0016"), ("00003102", "RE", "0015")):
                await alarm_unit.exchange(alarm_unit.request(mrq(ref, mty=mty, stc=stc)))
            await alarm_unit.close()

    asyncio.run(scenario())
    fault = Alarm.objects.get(kind="low_battery")
    assert (fault.code, fault.status) == ("0016", "closed")  # closed before the 200 OK
    assert Alarm.objects.get(kind="restore").code == "0015"


@pytest.mark.parametrize(
    ("mty", "stc", "restores"),
    [
        ("RE", "0015", "low_battery"),  # battery OK
        ("ME", "0086", "mains_loss"),  # power restored
        ("RE", "0070", ""),  # normal state: which condition ended is not said
        ("RE", "0094", ""),  # restoral
        ("ME", "0016", ""),  # battery low itself
    ],
)
def test_a_restore_says_what_ended_when_its_code_does(mty: str, stc: str, restores: str) -> None:
    [event] = incoming_events(parse_mrq(mrq("00003201", mty=mty, stc=stc)))
    assert event.restores == restores


# Refusals -----------------------------------------------------------------------------------


def test_an_unknown_controller_is_refused_with_403_and_no_mrs(
    unit: AlarmUnit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> SipResponse:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(mrq("00004001", cid="99999", stt=SECRET)))
            refused = await alarm_unit.response()
            await alarm_unit.nothing()
            await alarm_unit.close()
            return refused

    assert asyncio.run(scenario()).status == 403
    assert not Signal.objects.exists()
    assert fresh(unit).last_seen_at is None
    assert "unknown controller 99999" in caplog.text
    assert SECRET not in caplog.text


def test_a_unit_of_another_municipality_is_unknown_here(place: Place) -> None:
    place.unit(CID, protocol=AlarmProtocol.SCAIP, municipality=place.elsewhere)

    async def scenario() -> int:
        async with serving(municipality_id=place.municipality.pk) as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(mrq("00004002")))
            status = (await alarm_unit.response()).status
            await alarm_unit.close()
            return status

    assert asyncio.run(scenario()) == 403
    assert not Signal.objects.exists()


@pytest.mark.parametrize(
    ("body", "ref", "status"),
    [
        (
            b"<mrq><ref>0000BAD1</ref><mty>ME</mty><cid>26317</cid><stc>0010</stc></mrq>",
            "0000BAD1",
            7,
        ),
        (
            b"<mrq><ref>0000BAD2</ref><cid>26317</cid><dty>0004</dty><stc>x</stc></mrq>",
            "0000BAD2",
            3,
        ),
        (b"<mrq><ref>0000BAD3</ref><cid>26317</cid><dty>0004</dty>", "0000BAD3", 2),
        (b"<mrs><ref>0000BAD4</ref><snu>0</snu></mrs>", "0000BAD4", 2),
    ],
    ids=["mandatory-tag-missing", "wrong-data", "invalid-format", "not-an-mrq"],
)
def test_a_refused_mrq_gets_200_and_an_mrs_with_the_status(
    unit: AlarmUnit, body: bytes, ref: str, status: int
) -> None:
    async def scenario() -> tuple[bytes, SipResponse, SipRequest]:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(body)
            ok, reply = await alarm_unit.exchange(data)
            await alarm_unit.close()
            return data, ok, reply

    data, ok, reply = asyncio.run(scenario())
    assert ok.status == 200
    assert_mrs(reply, data, ref, status)
    assert not Signal.objects.exists()
    assert fresh(unit).last_seen_at is None


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_wrong_content_type_is_415_with_accept(unit: AlarmUnit, content_type: str | None) -> None:
    async def scenario() -> SipResponse:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(mrq("00005001"), content_type=content_type))
            refused = await alarm_unit.response()
            await alarm_unit.nothing()
            await alarm_unit.close()
            return refused

    refused = asyncio.run(scenario())
    assert refused.status == 415
    assert refused.headers.get("accept") == CONTENT_TYPE
    assert not Signal.objects.exists()


@pytest.mark.parametrize(
    ("method", "status"), [("OPTIONS", 200), ("INVITE", 405), ("REGISTER", 405), ("FROB", 501)]
)
def test_other_methods(unit: AlarmUnit, method: str, status: int) -> None:
    async def scenario() -> SipResponse:
        async with serving() as server:
            alarm_unit = await TcpUnit.open(server)
            alarm_unit.send(alarm_unit.request(b"", method=method, content_type=None))
            answer = await alarm_unit.response()
            await alarm_unit.nothing(0.2)
            await alarm_unit.close()
            return answer

    answer = asyncio.run(scenario())
    assert answer.status == status
    assert answer.cseq.method == method
    assert answer.headers.get("allow") == "MESSAGE, OPTIONS"


def test_an_ack_is_never_answered(unit: AlarmUnit) -> None:
    async def scenario() -> None:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(b"", method="ACK", content_type=None))
            await alarm_unit.nothing()
            await alarm_unit.close()

    asyncio.run(scenario())


def test_a_request_without_a_call_id_is_400(unit: AlarmUnit) -> None:
    async def scenario() -> SipResponse:
        async with serving() as server:
            alarm_unit = await UdpUnit.open(server)
            alarm_unit.send(alarm_unit.request(mrq("00006001"), omit=["Call-ID"]))
            answer = await alarm_unit.response()
            await alarm_unit.close()
            return answer

    answer = asyncio.run(scenario())
    assert answer.status == 400
    assert "Call-ID" in answer.reason
    assert not Signal.objects.exists()


def test_garbage_is_dropped_and_the_server_carries_on(unit: AlarmUnit) -> None:
    async def scenario() -> tuple[bool, int, int]:
        async with serving() as server:
            noisy = await UdpUnit.open(server)
            for junk in (b"\x00\xff\xfe garbage", b"MESSAGE\r\n\r\n", b"\r\n", b"x" * 9000):
                noisy.send(junk)
            await noisy.nothing(0.3)
            # A TCP stream that cannot be framed (no Content-Length, or one over the limit)
            # is closed...
            closed = True
            for head in (b"Via: x", b"Content-Length: 9999999"):
                bad = await TcpUnit.open(server)
                bad.send(b"MESSAGE sip:alarm@127.0.0.1 SIP/2.0\r\n" + head + b"\r\n\r\n")
                await asyncio.wait_for(bad.closed.wait(), 5)
                closed = closed and bad.closed.is_set()
                await bad.close()
            # ...while everyone else is still served, on both transports.
            ok_udp, _ = await noisy.exchange(noisy.request(mrq("00007001")))
            good = await TcpUnit.open(server)
            ok_tcp, _ = await good.exchange(good.request(mrq("00007002")))
            await noisy.close()
            await good.close()
            return closed, ok_udp.status, ok_tcp.status

    assert asyncio.run(scenario()) == (True, 200, 200)
    assert Signal.objects.count() == 2


# The database is down ------------------------------------------------------------------------


class UnreachableDatabase:
    """The real ingest, on a connection pointed at a database that is not there while
    `down` is set: what the receiver sees when the database server is gone."""

    def __init__(self, tmp_path: Path) -> None:
        self.down = threading.Event()
        self.original = dict(connection.settings_dict)
        missing = tmp_path / "no-such-directory"
        if connection.vendor == "sqlite":
            self.broken = {**self.original, "NAME": str(missing / "db.sqlite3")}
        else:
            self.broken = {**self.original, "HOST": str(missing), "PORT": ""}

    def __call__(self, signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
        on_this_thread = connections["default"]
        wanted = self.broken if self.down.is_set() else self.original
        if on_this_thread.settings_dict != wanted:
            on_this_thread.close()
            on_this_thread.settings_dict = dict(wanted)
        return alarm_ingest.ingest(signals)


def test_nothing_is_acknowledged_while_the_database_is_down(
    unit: AlarmUnit, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = UnreachableDatabase(tmp_path)
    database.down.set()

    async def scenario() -> SipRequest:
        async with serving(database) as server:
            for alarm_unit in (await UdpUnit.open(server), await TcpUnit.open(server)):
                alarm_unit.send(alarm_unit.request(mrq("00008001", stt=SECRET)))
                await alarm_unit.nothing()
                await alarm_unit.close()
            alarm_unit = await UdpUnit.open(server)
            data = alarm_unit.request(mrq("00008002", stt=SECRET))
            alarm_unit.send(data)
            await alarm_unit.nothing()
            alarm_unit.send(data)  # the unit retransmits (Timer E)
            await alarm_unit.nothing()
            database.down.clear()  # the database is back before the unit gives up
            _, reply = await alarm_unit.exchange(data)
            await alarm_unit.close()
            return reply

    caplog.set_level(logging.DEBUG)
    reply = asyncio.run(scenario())
    assert parse_mrs(reply.body).reference == "00008002"
    assert Signal.objects.count() == 1
    assert "not acknowledged" in caplog.text
    assert SECRET not in caplog.text
