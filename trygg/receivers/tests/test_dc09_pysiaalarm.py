"""Against an implementation we did not write: pysiaalarm 3.2.2 (the Home Assistant SIA
integration's library).

Both directions: frames pysiaalarm's own CRC and AES code produce are read by our parser,
and our frames are read by pysiaalarm's parser (its receiver side, `SIAEvent.from_line`).
pysiaalarm has no alarm-unit side, so "frames it produces" are assembled from its
primitives (`SIAEvent._crc_calc`, `SIAEvent.encrypt_content`) the way its test utilities
do, and its answers come from `SIAEvent.create_response`.

Where pysiaalarm departs from DC-09, the test says so and asserts the standard's behaviour
for ours. Known departures (checked below):

- keys: pysiaalarm uses the 16/24/32 characters of the key text as the AES key bytes; we
  take key bytes (configured as hex). The same AES key is b"AAAA..." on our side.
- its encrypted ACK has no `|` after the pad (§5.4.4.3 requires it in every encrypted
  message), so a conforming unit cannot read it;
- its ACK/DUH write "None" where the unit omitted the receiver (its issue #88) instead of
  omitting R;
- its NAK without a message is `"NAK"0000L0R0A0[]` (L before R), with a message it echoes
  the message's R/L instead of the fixed R0L0;
- it reads the 0LLL length field as a decimal number (`valid_length` raises on "003D");
- it checks the timestamp window on clear-text messages too (DC-09 asks it for encrypted
  ones) and answers NAK;
- it reads only the first event of a SIA-DCS message and maps NULL messages to "RP".
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from trygg.receivers.dc09 import (
    BadFormat,
    DecryptionFailed,
    EventKind,
    KeyLookup,
    SiaEvent,
    StaleTimestamp,
    ack_for,
    build_frame,
    crc16,
    format_adm_cid,
    format_sia_dcs,
    nak,
    parse_frame,
    parse_response,
    unwrap,
)
from trygg.receivers.dc09.header import format_timestamp

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pysiaalarm import SIAAccount, SIAEvent
    from pysiaalarm.event import NAKEvent
    from pysiaalarm.utils import ResponseType

ACCOUNT = "1001"
# pysiaalarm keys are text whose characters are the key bytes: 16, 24, 32 characters.
PYSIA_KEYS = ["AAAAAAAAAAAAAAAA", "0123456789ABCDEF01234567", "Trygg-DC09-interop-key-32-bytes!"]


def _keys(key_text: str | None) -> KeyLookup:
    key = None if key_text is None else key_text.encode("ascii")
    return lambda account: key


def pysia_frame(
    content: str,
    *,
    token: str = "SIA-DCS",  # noqa: S107 - an id token, not a secret
    key: str | None = None,
    head: str = "0042R12L3",
) -> bytes:
    """A frame built with pysiaalarm's CRC and AES-CBC code, as its test utilities do.

    `content` is what follows the opening bracket in clear. pysiaalarm pads with '0'
    characters (str.zfill) and writes no '|' itself, so we give it the '|' the standard
    wants after the pad.
    """
    rest = content
    if key is not None:
        encrypted = SIAEvent(sia_account=SIAAccount(ACCOUNT, key)).encrypt_content("|" + content)
        assert encrypted is not None
        rest = encrypted
    line = f'"{"*" if key else ""}{token}"{head}#{ACCOUNT}[{rest}'
    return f"\n{SIAEvent._crc_calc(line)}{len(line):04X}{line}\r".encode("ascii")


def pysia_read(frame: bytes, key: str | None = None) -> SIAEvent:
    """pysiaalarm's receiver parsing one of our frames (it strips LF and CR first)."""
    line = frame.decode("ascii").strip()
    return SIAEvent.from_line(line, {ACCOUNT: SIAAccount(ACCOUNT, key)})


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200))
def test_both_compute_the_same_crc(text: str) -> None:
    assert f"{crc16(text.encode('ascii')):04X}" == SIAEvent._crc_calc(text)


class TestPysiaalarmFramesReadByUs:
    @pytest.mark.parametrize(
        "key", [None, *PYSIA_KEYS], ids=["clear", "aes128", "aes192", "aes256"]
    )
    def test_sia_dcs(self, key: str | None) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        frame = pysia_frame(f"#{ACCOUNT}|Nri1/MA003]{format_timestamp(now)}", key=key)
        msg = parse_frame(frame, _keys(key), now)
        assert (msg.encrypted, msg.sequence, msg.receiver, msg.line_prefix) == (
            key is not None,
            "0042",
            "12",
            "3",
        )
        assert [(e.code, e.area, e.zone, e.kind) for e in msg.events] == [
            ("MA", "1", "003", EventKind.ALARM)
        ]
        assert msg.timestamp == now

    def test_adm_cid_and_null(self) -> None:
        now = datetime.now(UTC)
        msg = parse_frame(
            pysia_frame(f"#{ACCOUNT}|1101 01 003]", token="ADM-CID"), _keys(None), now
        )
        assert [(e.qualifier, e.code, e.area, e.zone) for e in msg.events] == [
            ("1", "101", "01", "003")
        ]
        msg = parse_frame(pysia_frame("]", token="NULL"), _keys(None), now)
        assert msg.is_null

    def test_its_clear_ack_with_a_receiver_is_read(self) -> None:
        event = pysia_read(build_frame("NULL", sequence=7, account=ACCOUNT, receiver="12"))
        response = parse_response(event.create_response())
        assert (response.token, response.sequence, response.receiver, response.account) == (
            "ACK",
            "0007",
            "12",
            ACCOUNT,
        )

    def test_its_ack_writes_none_for_an_omitted_receiver(self) -> None:
        # pysiaalarm issue #88. DC-09: an omitted receiver is omitted in the answer too.
        frame = build_frame("NULL", sequence=7, account=ACCOUNT)
        answer = pysia_read(frame).create_response()
        assert b'"ACK"0007NoneL0#1001[]' in answer
        with pytest.raises(BadFormat):
            parse_response(answer)
        ours = ack_for(parse_frame(frame, _keys(None), datetime.now(UTC)), None, datetime.now(UTC))
        assert b'"ACK"0007L0#1001[]' in ours

    @pytest.mark.parametrize("key", PYSIA_KEYS, ids=["aes128", "aes192", "aes256"])
    def test_its_encrypted_ack_lacks_the_pad_terminator(self, key: str) -> None:
        now = datetime.now(UTC)
        frame = build_frame(
            "SIA-DCS",
            sequence=8,
            account=ACCOUNT,
            receiver="12",
            data=f"#{ACCOUNT}|Nri1/QA3",
            timestamp=now,
            key=key.encode(),
        )
        answer = pysia_read(frame, key).create_response()
        assert answer.startswith(b"\n")
        assert b'"*ACK"0008R12L0#1001[' in answer
        # Its plaintext is '0' padding then "]_time": no '|' (DC-09 §5.4.4.3 wants one).
        hex_text = unwrap(answer).split(b"[", 1)[1].decode()
        decryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(bytes(16))).decryptor()
        plain = decryptor.update(bytes.fromhex(hex_text)) + decryptor.finalize()
        assert b"|" not in plain
        assert plain.lstrip(b"0").startswith(b"]_")
        with pytest.raises(DecryptionFailed):
            parse_response(answer, key.encode())
        # Ours to the same message carries the '|' and reads back.
        msg = parse_frame(frame, _keys(key), now)
        assert parse_response(ack_for(msg, key.encode(), now), key.encode()).token == "ACK"

    def test_its_nak_has_fields_out_of_order(self) -> None:
        answer = NAKEvent().create_response()
        assert b'"NAK"0000L0R0A0[]_' in answer
        with pytest.raises(BadFormat):
            parse_response(answer)
        assert b'"NAK"0000R0L0A0[]_' in nak(datetime.now(UTC))


class TestOurFramesReadByPysiaalarm:
    @pytest.mark.parametrize(
        "key", [None, *PYSIA_KEYS], ids=["clear", "aes128", "aes192", "aes256"]
    )
    def test_sia_dcs(self, key: str | None) -> None:
        now = datetime.now(UTC)
        frame = build_frame(
            "SIA-DCS",
            sequence=42,
            account=ACCOUNT,
            receiver="12",
            line_prefix="3",
            data=format_sia_dcs([SiaEvent("QA", "003", area="1")], account=ACCOUNT),
            timestamp=now,
            key=None if key is None else key.encode(),
        )
        event = pysia_read(frame, key)
        assert event.valid_message  # its CRC check
        assert (event.code, event.ri, event.message) == ("QA", "1", "003")
        assert (event.account, event.sequence, event.receiver, event.line) == (
            ACCOUNT,
            "0042",
            "R12",
            "L3",
        )
        assert event.timestamp == now.replace(microsecond=0)
        assert event.response is ResponseType.ACK
        assert event.encrypted is (key is not None)

    def test_adm_cid(self) -> None:
        frame = build_frame(
            "ADM-CID",
            sequence=9,
            account=ACCOUNT,
            data=format_adm_cid("1", "101", "01", "003", account=ACCOUNT),
        )
        event = pysia_read(frame)
        assert (event.event_qualifier, event.event_type, event.partition, event.ri) == (
            "1",
            "101",
            "01",
            "003",
        )
        # pysiaalarm maps Contact ID 101 (personal emergency) to SIA QA (emergency alarm):
        # both are our social-alarm ALARM.
        assert event.code == "QA"
        assert event.response is ResponseType.ACK

    def test_null_is_a_heartbeat_for_us_and_rp_for_pysiaalarm(self) -> None:
        frame = build_frame("NULL", sequence=0, account=ACCOUNT, timestamp=datetime.now(UTC))
        event = pysia_read(frame)
        assert event.valid_message
        assert event.code == "RP"
        assert parse_frame(frame, _keys(None), datetime.now(UTC)).events[0].kind is (
            EventKind.HEARTBEAT
        )

    def test_it_reads_only_the_first_of_several_events(self) -> None:
        events = [SiaEvent("MA", "3", area="1"), SiaEvent("YT", area="1")]
        frame = build_frame(
            "SIA-DCS", sequence=1, account=ACCOUNT, data=format_sia_dcs(events, account=ACCOUNT)
        )
        assert (pysia_read(frame).code, pysia_read(frame).message) == ("MA", "3/YT")
        ours = parse_frame(frame, _keys(None), datetime.now(UTC))
        assert [e.code for e in ours.events] == ["MA", "YT"]

    def test_it_reads_the_length_field_as_decimal(self) -> None:
        frame = build_frame("SIA-DCS", sequence=1, account=ACCOUNT, data="#1001|Nri1/MA3")
        assert frame[5:9] == b"0024"
        assert len(unwrap(frame)) == 0x24
        assert pysia_read(frame).valid_length is False  # it compares 24 with 0x36
        frame = build_frame("SIA-DCS", sequence=1, account=ACCOUNT, data="#1001|Nri1/MA3^Hall^")
        assert frame[5:9] == b"002A"
        with pytest.raises(ValueError, match="invalid literal"):
            pysia_read(frame).valid_length  # noqa: B018

    def test_it_naks_old_clear_text_timestamps_which_dc09_does_not_ask(self) -> None:
        old = datetime.now(UTC) - timedelta(minutes=10)
        frame = build_frame(
            "SIA-DCS", sequence=1, account=ACCOUNT, data="#1001|Nri1/MA3", timestamp=old
        )
        assert pysia_read(frame).response is ResponseType.NAK
        assert parse_frame(frame, _keys(None), datetime.now(UTC)).events[0].code == "MA"

    def test_both_nak_a_stale_encrypted_message(self) -> None:
        key = PYSIA_KEYS[0]
        old = datetime.now(UTC) - timedelta(minutes=10)
        frame = build_frame(
            "SIA-DCS",
            sequence=1,
            account=ACCOUNT,
            receiver="12",
            data="#1001|Nri1/MA3",
            timestamp=old,
            key=key.encode(),
        )
        event = pysia_read(frame, key)
        assert event.response is ResponseType.NAK
        # pysiaalarm echoes the message's R and L; the standard's NAK has fixed R0L0A0.
        assert b'"NAK"0000R12L0A0[]_' in event.create_response()
        with pytest.raises(StaleTimestamp) as exc:
            parse_frame(frame, _keys(key), datetime.now(UTC))
        assert b'"NAK"0000R0L0A0[]_' in exc.value.nak
