"""The DC-09 receiver on real loopback sockets: what a unit sends, what it gets back, and
what is stored by the time it gets it."""

from __future__ import annotations

import datetime as dt
import io
import logging
import socket
from collections.abc import Iterator, Sequence
from functools import partial

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from trygg.alarms.models import Alarm, Signal
from trygg.core.models import OutboxMessage
from trygg.devices.models import AlarmUnit
from trygg.devices.services import place_unit
from trygg.devices.tests.places import Place
from trygg.receivers.dc09 import (
    ADM_CID,
    NULL,
    SIA_DCS,
    SiaEvent,
    build_frame,
    format_adm_cid,
    format_sia_dcs,
    key_from_hex,
    parse_frame,
    parse_response,
)
from trygg.receivers.dc09_server import Dc09Server, start_dc09_server, to_signal
from trygg.receivers.incoming import IncomingEvent, IncomingSignal, IngestOutcome

from .receivers import read_frames, running, tcp_exchange, udp_exchange

pytestmark = pytest.mark.django_db(transaction=True)

KEY_HEX = "000102030405060708090A0B0C0D0E0F"
KEY = key_from_hex(KEY_HEX)


def alarm_frame(seq: int = 1, account: str = "1001", code: str = "QA", **kwargs: object) -> bytes:
    data = format_sia_dcs([SiaEvent(code, zone="1", area="1")], account=account)
    return build_frame(SIA_DCS, sequence=seq, account=account, data=data, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def units(place: Place) -> dict[str, AlarmUnit]:
    today = timezone.localdate()
    clear = place.unit("1001")
    place_unit(place.tech, clear, client=place.client, active_from=today - dt.timedelta(days=7))
    secret = place.unit("2001", key=KEY_HEX)
    place_unit(place.tech, secret, client=place.neighbour, active_from=today)
    return {"1001": clear, "2001": secret}


@pytest.fixture
def server(units: dict[str, AlarmUnit]) -> Iterator[Dc09Server]:
    with running(partial(start_dc09_server, port=0)) as server:
        yield server


def test_an_alarm_over_tcp_is_stored_before_it_is_acknowledged(
    server: Dc09Server, place: Place
) -> None:
    answer = tcp_exchange(server.tcp_port, alarm_frame(seq=7))
    response = parse_response(answer)
    assert (response.token, response.sequence, response.account) == ("ACK", "0007", "1001")
    # The ACK came back only after the commit, so the alarm is there now.
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.category, alarm.status, alarm.code) == ("alarm", "care", "open", "QA")
    assert alarm.client == place.client
    assert bytes(Signal.objects.get().raw) == alarm_frame(seq=7)
    assert OutboxMessage.objects.filter(stream="alarm", subject_id=alarm.pk).exists()


def test_an_alarm_over_udp_is_acknowledged_to_its_sender(server: Dc09Server) -> None:
    answer = udp_exchange(server.udp_port, alarm_frame(seq=8))
    assert answer is not None
    assert parse_response(answer).token == "ACK"
    assert Alarm.objects.count() == 1


def test_a_retransmission_is_acknowledged_again_and_stored_once(server: Dc09Server) -> None:
    first = tcp_exchange(server.tcp_port, alarm_frame(seq=9))
    again = tcp_exchange(server.tcp_port, alarm_frame(seq=9))
    over_udp = udp_exchange(server.udp_port, alarm_frame(seq=9))
    assert first == again == over_udp
    assert Signal.objects.count() == Alarm.objects.count() == 1


def test_several_frames_in_one_read_are_answered_in_order(server: Dc09Server) -> None:
    frames = alarm_frame(seq=1) + build_frame(NULL, sequence=2, account="1001") + alarm_frame(3)
    answer = tcp_exchange(server.tcp_port, frames, answers=3)
    sequences = [parse_response(part + b"\r").sequence for part in answer.split(b"\r")[:-1]]
    assert sequences == ["0001", "0002", "0003"]
    assert Alarm.objects.count() == 2  # the NULL message is supervision only


def test_a_frame_split_over_reads_is_put_together(server: Dc09Server) -> None:
    frame = alarm_frame(seq=11)
    with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=10) as sock:
        for i in range(0, len(frame), 5):
            sock.sendall(frame[i : i + 5])
        assert parse_response(read_frames(sock, 1)).token == "ACK"
    assert Alarm.objects.count() == 1


def test_one_connection_carries_many_messages(server: Dc09Server) -> None:
    with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=10) as sock:
        for seq in range(1, 21):
            sock.sendall(alarm_frame(seq=seq))
            assert parse_response(read_frames(sock, 1)).sequence == f"{seq:04d}"
    assert Alarm.objects.count() == 20


def test_an_encrypted_alarm_gets_an_encrypted_ack(server: Dc09Server, place: Place) -> None:
    now = dt.datetime.now(dt.UTC)
    frame = alarm_frame(seq=5, account="2001", key=KEY, timestamp=now)
    answer = tcp_exchange(server.tcp_port, frame)
    assert answer.startswith(b"\n")
    assert b'"*ACK"0005L0#2001[' in answer
    response = parse_response(answer, KEY)
    assert response.encrypted
    assert response.timestamp is not None
    assert Alarm.objects.get().client == place.neighbour


def test_an_encrypted_frame_outside_the_time_window_gets_a_nak_with_our_time(
    server: Dc09Server,
) -> None:
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    answer = tcp_exchange(server.tcp_port, alarm_frame(account="2001", key=KEY, timestamp=stale))
    response = parse_response(answer)
    assert response.token == "NAK"
    assert response.timestamp is not None
    assert abs(response.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert not Signal.objects.exists()


def test_clear_text_from_an_encrypted_account_is_refused(server: Dc09Server) -> None:
    answer = tcp_exchange(server.tcp_port, alarm_frame(account="2001"))
    assert parse_response(answer).token == "DUH"
    assert not Signal.objects.exists()


def test_an_unknown_account_is_refused_with_duh(
    server: Dc09Server, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        answer = tcp_exchange(server.tcp_port, alarm_frame(account="BEEF"))
    assert parse_response(answer).token == "DUH"
    assert not Signal.objects.exists()
    assert "BEEF" in caplog.text  # logged, so the team can see who is knocking
    assert "Nri1" not in caplog.text  # but never the frame's data


def test_a_damaged_frame_gets_a_nak_and_noise_gets_nothing(server: Dc09Server) -> None:
    frame = bytearray(alarm_frame(seq=3))
    frame[-3] = ord("X") if frame[-3] != ord("X") else ord("Y")  # inside the timestamp/data
    with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=3) as sock:
        sock.sendall(b"hello there\r\n" + bytes(frame))
        answer = read_frames(sock, 1)
    assert parse_response(answer).token == "NAK"
    assert not Signal.objects.exists()


def test_a_unit_that_sends_junk_cannot_stop_the_receiver(server: Dc09Server) -> None:
    with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=3) as sock:
        sock.sendall(b"\n" + b"A" * 100_000)
    assert parse_response(tcp_exchange(server.tcp_port, alarm_frame(seq=4))).token == "ACK"


def test_a_null_message_moves_the_deadline_and_raises_nothing(
    server: Dc09Server, units: dict[str, AlarmUnit]
) -> None:
    answer = udp_exchange(server.udp_port, build_frame(NULL, sequence=1, account="1001"))
    assert answer is not None
    assert parse_response(answer).token == "ACK"
    unit = AlarmUnit.objects.get(pk=units["1001"].pk)
    assert unit.last_seen_at is not None
    assert unit.supervision_due_at is not None
    assert not Alarm.objects.exists()


def test_contact_id_events_keep_their_qualifier(server: Dc09Server) -> None:
    data = format_adm_cid("1", "101", "01", "003", account="1001")
    frame = build_frame(ADM_CID, sequence=12, account="1001", data=data)
    assert parse_response(tcp_exchange(server.tcp_port, frame)).token == "ACK"
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.code, alarm.zone) == ("alarm", "E101", "003")


def test_a_battery_restore_closes_the_low_battery_alarm(server: Dc09Server) -> None:
    for seq, code in ((21, "YT"), (22, "YR")):  # system battery trouble, then its restoral
        data = format_sia_dcs([SiaEvent(code, area="1")], account="1001")
        frame = build_frame(SIA_DCS, sequence=seq, account="1001", data=data)
        assert parse_response(tcp_exchange(server.tcp_port, frame)).token == "ACK"
    fault = Alarm.objects.get(kind="low_battery")
    assert (fault.code, fault.status) == ("YT", "closed")  # closed before the ACK came
    assert Alarm.objects.get(kind="restore").code == "YR"


def test_a_contact_id_restore_closes_the_fault_in_its_zone(server: Dc09Server) -> None:
    for seq, qualifier, zone in ((31, "1", "002"), (32, "1", "003"), (33, "3", "002")):
        data = format_adm_cid(qualifier, "384", "01", zone, account="1001")  # RF low battery
        frame = build_frame(ADM_CID, sequence=seq, account="1001", data=data)
        assert parse_response(tcp_exchange(server.tcp_port, frame)).token == "ACK"
    faults = dict(Alarm.objects.filter(kind="low_battery").values_list("zone", "status"))
    assert faults == {"002": "closed", "003": "open"}


@pytest.mark.parametrize(
    ("code", "restores"),
    [
        ("YR", "low_battery"),
        ("TR", "tamper"),
        ("AR", "mains_loss"),
        ("YK", "technical"),  # communications restoral: which fault is not said
        ("MH", "alarm"),
        ("FH", "fire"),
        ("YT", ""),  # not a restore
    ],
)
def test_a_sia_restore_says_what_ended(code: str, restores: str) -> None:
    data = format_sia_dcs([SiaEvent(code, area="1")], account="1001")
    assert decoded(SIA_DCS, data).restores == restores


@pytest.mark.parametrize(
    ("qualifier", "code", "restores"),
    [
        ("3", "302", "low_battery"),
        ("3", "137", "tamper"),
        ("3", "301", "mains_loss"),
        ("3", "350", "technical"),
        ("3", "101", "alarm"),
        ("1", "302", ""),  # the fault itself
        ("3", "602", ""),  # qualifier 3 on a test code is no restore
    ],
)
def test_a_contact_id_restore_says_what_ended(qualifier: str, code: str, restores: str) -> None:
    data = format_adm_cid(qualifier, code, account="1001")
    assert decoded(ADM_CID, data).restores == restores


def decoded(token: str, data: str) -> IncomingEvent:
    """The one event of a frame with `data`, as the receiver hands it to the ingest."""
    now = timezone.now()
    frame = build_frame(token, sequence=1, account="1001", data=data)
    [event] = to_signal(parse_frame(frame, lambda account: None, now), now, None).events
    return event


def test_a_unit_registered_after_start_is_known_without_a_restart(
    server: Dc09Server, place: Place
) -> None:
    place.unit("3001", key=KEY_HEX)
    frame = alarm_frame(account="3001", key=KEY, timestamp=dt.datetime.now(dt.UTC))
    answers = []
    for _ in range(40):  # the unit retransmits after a DUH; the key cache catches up
        answers.append(parse_response(tcp_exchange(server.tcp_port, frame), KEY).token)
        if answers[-1] == "ACK":
            break
        import time

        time.sleep(0.25)
    assert answers[-1] == "ACK", answers
    assert Signal.objects.count() == 1


def _failing(signals: Sequence[IncomingSignal]) -> list[IngestOutcome]:
    return [IngestOutcome.FAILED] * len(signals)


def test_nothing_is_acknowledged_when_the_database_cannot_store_it(
    units: dict[str, AlarmUnit],
) -> None:
    with running(partial(start_dc09_server, port=0), ingest=_failing) as server:
        with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=1.5) as sock:
            sock.sendall(alarm_frame(seq=1))
            assert read_frames(sock, 1) == b""  # silence: the unit will send it again
        assert udp_exchange(server.udp_port, alarm_frame(seq=1), timeout=1.5) is None
        assert server.acks == 0
        assert server.unanswered == 2


def test_the_send_tool_raises_an_alarm_and_reports_the_answer(server: Dc09Server) -> None:
    out = io.StringIO()
    call_command(
        "dc09_send", "--account", "1001", "--code", "MA", "--port", str(server.tcp_port), stdout=out
    )
    assert "answered ACK" in out.getvalue()
    call_command(
        "dc09_send",
        "--account",
        "2001",
        "--key",
        KEY_HEX,
        "--udp",
        "--port",
        str(server.udp_port),
        stdout=out,
    )
    assert sorted(Alarm.objects.values_list("code", flat=True)) == ["MA", "QA"]


def test_the_send_tool_says_when_a_unit_is_refused(server: Dc09Server) -> None:
    with pytest.raises(CommandError, match="Not acknowledged \\(DUH\\)"):
        call_command("dc09_send", "--account", "FFFF", "--port", str(server.tcp_port))
    with pytest.raises(CommandError, match="--cid is a qualifier and a code"):
        call_command("dc09_send", "--account", "1001", "--cid", "11", "--port", "1")
