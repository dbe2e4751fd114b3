"""Reading DC-09 messages: golden frames, echo rules, encryption, the timestamp window, and
the answer (NAK or DUH) each error gets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from trygg.receivers.dc09 import (
    BadCrc,
    BadFormat,
    BadLength,
    BadPayload,
    Dc09Error,
    DecryptionFailed,
    EncryptionRequired,
    EventKind,
    KeyLookup,
    MissingKey,
    Reply,
    SiaEvent,
    StaleTimestamp,
    TimestampWindow,
    UnknownAccount,
    UnsupportedToken,
    ack_for,
    build_frame,
    crc16,
    crypto,
    format_adm_cid,
    format_sia_dcs,
    key_from_hex,
    parse_frame,
    parse_response,
    reply_for,
    wrap,
)

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
KEY_128 = key_from_hex("000102030405060708090A0B0C0D0E0F")
KEY_192 = key_from_hex("000102030405060708090A0B0C0D0E0F1011121314151617")
KEY_256 = key_from_hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
# Swissdotnet SIA-DC-09 library test key (ParsingStandardTest.java, see test_dc09_frame).
SWISS_KEY = key_from_hex("ABCDABCDABCDABCDABCDABCDABCDABCD")


def keys(table: dict[str, bytes | None]) -> KeyLookup:
    """A lookup over known accounts; others are refused as unknown."""

    def lookup(account: str) -> bytes | None:
        if account.upper() not in table:
            raise UnknownAccount(f"unknown account {account}")
        return table[account.upper()]

    return lookup


CLEAR = keys({"1001": None, "080027E62A64": None, "7099": None, "00653210": None, "1234": None})
SWISS = keys({"080027E62A64": SWISS_KEY})


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


class TestGoldenFrames:
    """Frames written by other implementations (cited per case) read as they meant them."""

    def test_encrypted_sia_dcs_from_swissdotnet(self) -> None:
        frame = (
            b'\nE88800a7"*SIA-DCS"0000RC0FFDL1234#080027E62A64[A054F111518361720BAB126501C6D9'
            b"94CD9151D2C84881C0FEA933A0790F49A9236EBD45F2AED32FAA252EB1AA18FC3CDEDE2452F33185E5"
            b"931D31308D9B9882\r"
        )
        msg = parse_frame(frame, SWISS, at("2015-06-22 15:12:40"))
        assert msg.encrypted
        assert msg.token == "SIA-DCS"
        assert (msg.sequence, msg.receiver, msg.line_prefix) == ("0000", "C0FFD", "1234")
        assert msg.account == "080027E62A64"
        assert msg.data == "#080027E62A64|NHB0003"
        assert [(x.letter, x.value) for x in msg.extended] == [("E", "115000")]
        assert msg.timestamp == at("2015-06-22 15:12:40")
        assert [(e.code, e.zone) for e in msg.events] == [("HB", "0003")]
        assert msg.raw == frame

    def test_lower_case_hex_is_kept_as_received(self) -> None:
        frame = (
            b'\na60a00a7"*SIA-DCS"0000Rc0ffdL1234#080027E62A64[1636385bf3ee2cf761f578f5b57eea4'
            b"22ca7601e0823c89d6f19feadf690104690e105e61d3989316bcb26df482a42dc3b4b3b0e9c40da4d3"
            b"642e7d72cc5ce95\r"
        )
        msg = parse_frame(frame, SWISS, at("2015-06-22 15:05:02"))
        assert msg.receiver == "c0ffd"
        assert b'"*ACK"0000Rc0ffdL1234#080027E62A64[' in ack_for(msg, SWISS_KEY, NOW)

    def test_encrypted_null_is_a_heartbeat(self) -> None:
        frame = (
            b'\nCAC10064"*NULL"0000RC0FFDL1234#080027E62A64[70D7DC480FA7DC0DE428CE02447BA2E29'
            b"81A161EA14CB780D2CD917208059E11\r"
        )
        msg = parse_frame(frame, SWISS, at("2015-06-22 13:43:09"))
        assert msg.is_null
        assert [e.kind for e in msg.events] == [EventKind.HEARTBEAT]

    def test_encrypted_null_with_extended_text_and_no_receiver(self) -> None:
        frame = (
            b'\n073D005b"*NULL"0000L0#080027E62A64[64F30F9D4A84D1AE116442CD5DA9708E306AD70133'
            b"809009A1FE9CB92A57A66A\r"
        )
        msg = parse_frame(frame, SWISS, at("2015-06-29 13:57:05"))
        assert msg.receiver is None
        assert [(x.letter, x.name, x.value) for x in msg.extended] == [("I", "alarm text", "Hello")]

    def test_clear_sia_dcs_with_three_extended_blocks(self) -> None:
        frame = (
            b'\n7C37006b"SIA-DCS"0000RC0FFDL1234#080027E62A64[#080027E62A64|NHB0003][X115000]'
            b"[X115000][X115000]_13:53:11,06-22-2015\r"
        )
        msg = parse_frame(frame, CLEAR, NOW)
        assert [x.name for x in msg.extended] == ["longitude"] * 3
        assert msg.timestamp == at("2015-06-22 13:53:11")  # clear text: not window-checked

    def test_clear_adm_cid(self) -> None:
        frame = b'\nB0AC0027"ADM-CID"0001L0#7099[#7099|1628 01 000]\r'
        msg = parse_frame(frame, CLEAR, NOW)
        assert msg.timestamp is None
        event = msg.events[0]
        assert (event.qualifier, event.code, event.area, event.zone) == ("1", "628", "01", "000")

    def test_leading_zeros_of_sequence_and_account_are_kept(self) -> None:
        frame = b'\n1D85002B"NULL"0001L0#00653210[]_09:17:32,05-18-2016\r'
        msg = parse_frame(frame, CLEAR, NOW)
        assert (msg.sequence, msg.account) == ("0001", "00653210")
        assert b'"ACK"0001L0#00653210[]' in ack_for(msg, None, NOW)

    def test_fioletoven_sia_dcs_with_an_ascii_block(self) -> None:
        # fioletoven/dc09 common/src/dc09/message.tests.rs
        frame = b'\nF4D20029"SIA-DCS"0001RF3L77#1234[#1234|NRR|Atest]\r'
        msg = parse_frame(frame, CLEAR, NOW)
        assert (msg.receiver, msg.line_prefix) == ("F3", "77")
        assert [(e.code, e.text) for e in msg.events] == [("RR", "test")]

    def test_a_sia_dcs_message_with_no_event_cannot_be_processed(self) -> None:
        frame = b'\n96ED0016"SIA-DCS"0001L0#1234[]\r'  # fioletoven/dc09: CRC right, no event
        with pytest.raises(BadPayload) as exc:
            parse_frame(frame, CLEAR, NOW)
        assert exc.value.reply is Reply.DUH


class TestEchoRules:
    def test_an_omitted_receiver_stays_omitted(self) -> None:
        msg = parse_frame(build_frame("NULL", sequence=1, account="1001"), CLEAR, NOW)
        assert msg.receiver is None
        assert ack_for(msg, None, NOW) == wrap(b'"ACK"0001L0#1001[]')

    def test_a_receiver_is_echoed_as_sent(self) -> None:
        frame = build_frame("NULL", sequence=9999, account="1001", receiver="0A", line_prefix="00")
        msg = parse_frame(frame, CLEAR, NOW)
        assert ack_for(msg, None, NOW) == wrap(b'"ACK"9999R0AL00#1001[]')

    def test_an_account_only_in_the_data_is_used_but_not_added_to_the_ack(self) -> None:
        # pysiaalarm's case_op: "4738R0001L0001[#006969|Nri04/OP001NM]" (older units).
        body = b'"SIA-DCS"4738R0001L0001[#006969|Nri04/OP001NM]'
        msg = parse_frame(wrap(body), keys({"006969": None}), NOW)
        assert msg.account == "006969"
        assert msg.header.account is None
        assert ack_for(msg, None, NOW) == wrap(b'"ACK"4738R0001L0001[]')


def _reply(error: Dc09Error) -> str | None:
    answer = reply_for(error, NOW)
    return None if answer is None else parse_response(answer).token


def _raises(frame: bytes, lookup: KeyLookup = CLEAR, now: datetime = NOW) -> Dc09Error:
    with pytest.raises(Dc09Error) as exc:
        parse_frame(frame, lookup, now)
    return exc.value


def _sia(**kw: object) -> bytes:
    args: dict[str, object] = {
        "sequence": 5,
        "account": "1001",
        "data": "#1001|Nri1/MA003",
        "timestamp": NOW,
    }
    args.update(kw)
    return build_frame("SIA-DCS", **args)  # type: ignore[arg-type]  # test shorthand


class TestErrorsAndAnswers:
    """Every error maps to the answer the standard asks for (see errors.py)."""

    def test_bad_crc_is_answered_nak(self) -> None:
        frame = bytearray(_sia())
        frame[1:5] = b"FFFF" if frame[1:5] != b"FFFF" else b"0000"
        error = _raises(bytes(frame))
        assert isinstance(error, BadCrc)
        assert _reply(error) == "NAK"

    def test_bad_length_is_answered_nak(self) -> None:
        body = _sia()[9:-1]
        frame = b"\n%04X%04X%s\r" % (crc16(body), len(body) + 1, body)
        error = _raises(frame)
        assert isinstance(error, BadLength)
        assert _reply(error) == "NAK"

    def test_a_body_that_is_not_a_dc09_header_is_answered_nak(self) -> None:
        error = _raises(wrap(b"hello world"))
        assert isinstance(error, BadFormat)
        assert error.header is None
        assert _reply(error) == "NAK"

    def test_an_unknown_id_token_is_answered_duh_with_the_header_echoed(self) -> None:
        error = _raises(build_frame("SIA-DCX", sequence=12, account="1001", receiver="7"))
        assert isinstance(error, UnsupportedToken)
        answer = reply_for(error, NOW)
        assert answer == wrap(b'"DUH"0012R7L0#1001[]')

    def test_an_unknown_account_is_answered_duh(self) -> None:
        error = _raises(_sia(account="FFFF", data="#FFFF|Nri1/MA003"))
        assert isinstance(error, UnknownAccount)
        assert _reply(error) == "DUH"
        assert error.header is not None
        assert error.header.account == "FFFF"

    def test_an_encrypted_message_for_an_account_without_key_is_answered_duh(self) -> None:
        error = _raises(_sia(key=KEY_128))
        assert isinstance(error, MissingKey)
        assert _reply(error) == "DUH"

    def test_a_clear_message_for_an_account_with_a_key_is_answered_duh(self) -> None:
        error = _raises(_sia(), keys({"1001": KEY_128}))
        assert isinstance(error, EncryptionRequired)
        assert _reply(error) == "DUH"

    def test_a_clear_null_for_an_account_with_a_key_is_refused_too(self) -> None:
        error = _raises(build_frame("NULL", sequence=0, account="1001"), keys({"1001": KEY_128}))
        assert isinstance(error, EncryptionRequired)

    def test_the_wrong_key_is_answered_duh(self) -> None:
        wrong = keys({"1001": key_from_hex("000102030405060708090A0B0C0D0E0E")})
        error = _raises(_sia(key=KEY_128), wrong)
        assert isinstance(error, DecryptionFailed)
        assert _reply(error) == "DUH"

    def test_encrypted_data_that_is_not_hex_blocks_is_answered_nak(self) -> None:
        for junk in (b"XYZ", b"ABCD", b""):
            error = _raises(wrap(b'"*SIA-DCS"0001L0#1001[' + junk), keys({"1001": KEY_128}))
            assert isinstance(error, BadFormat)
            assert _reply(error) == "NAK"

    @pytest.mark.parametrize("data", ["#1001|N!!", "#1001|Nri1/MA3^open", "#1001|N"])
    def test_unreadable_sia_data_is_answered_duh(self, data: str) -> None:
        error = _raises(_sia(data=data))
        assert isinstance(error, BadPayload)
        assert _reply(error) == "DUH"

    @pytest.mark.parametrize("data", ["#1001|9130 01 012", "#1001|1130 1 012", "#1001|"])
    def test_unreadable_contact_id_data_is_answered_duh(self, data: str) -> None:
        frame = build_frame("ADM-CID", sequence=1, account="1001", data=data)
        error = _raises(frame)
        assert isinstance(error, BadPayload)
        assert _reply(error) == "DUH"

    def test_a_malformed_timestamp_is_answered_nak(self) -> None:
        # The year cut short, as in pysiaalarm's case_adm_cid test frame.
        body = b'"ADM-CID"9876R579BDFL789ABC#12345A[#12345A|1110 00 129]_14:12:04,09-25-201'
        error = _raises(wrap(body), keys({"12345A": None}))
        assert isinstance(error, BadFormat)
        assert _reply(error) == "NAK"

    def test_a_message_without_any_account_is_answered_duh(self) -> None:
        error = _raises(wrap(b'"NULL"0001L0[]'))
        assert isinstance(error, UnknownAccount)
        assert _reply(error) == "DUH"
        assert reply_for(error, NOW) == wrap(b'"DUH"0001L0[]')

    def test_noise_gets_no_answer(self) -> None:
        from trygg.receivers.dc09 import Garbage

        assert reply_for(Garbage(b"noise"), NOW) is None


class TestTimestampWindow:
    """DC-09 §5.5.1.8: an encrypted message 20 s ahead to 40 s behind the receiver passes."""

    @pytest.mark.parametrize("offset", [-40, -1, 0, 20])
    def test_it_accepts_encrypted_messages_inside_the_window(self, offset: int) -> None:
        frame = _sia(key=KEY_128, timestamp=NOW + timedelta(seconds=offset))
        assert parse_frame(frame, keys({"1001": KEY_128}), NOW).timestamp is not None

    @pytest.mark.parametrize("offset", [-41, 21, -3600, 86400])
    def test_it_naks_encrypted_messages_outside_it_with_the_receiver_time(
        self, offset: int
    ) -> None:
        frame = _sia(key=KEY_128, timestamp=NOW + timedelta(seconds=offset))
        error = _raises(frame, keys({"1001": KEY_128}))
        assert isinstance(error, StaleTimestamp)
        assert error.reply is Reply.NAK
        assert error.timestamp == NOW + timedelta(seconds=offset)
        assert error.receiver_time == NOW
        assert reply_for(error, NOW + timedelta(hours=1)) == error.nak  # the checked time
        assert error.nak == wrap(b'"NAK"0000R0L0A0[]_09:26:53,03-14-2025')

    def test_an_encrypted_message_without_timestamp_is_nakd(self) -> None:
        clear = b"#1001|Nri1/MA003]"
        body = b'"*SIA-DCS"0001L0#1001[' + crypto.encrypt(KEY_128, clear).encode()
        error = _raises(wrap(body), keys({"1001": KEY_128}))
        assert isinstance(error, StaleTimestamp)
        assert error.timestamp is None

    def test_the_nak_time_is_utc_whatever_zone_now_is_in(self) -> None:
        local_now = NOW.astimezone(ZoneInfo("Europe/Stockholm"))
        frame = _sia(key=KEY_128, timestamp=NOW - timedelta(minutes=5))
        error = _raises(frame, keys({"1001": KEY_128}), local_now)
        response = parse_response(reply_for(error, local_now) or b"")
        assert response.token == "NAK"
        assert response.timestamp == NOW
        assert (response.sequence, response.receiver, response.line_prefix) == ("0000", "0", "0")

    def test_the_window_is_configurable(self) -> None:
        wide = TimestampWindow(behind=timedelta(minutes=10), ahead=timedelta(minutes=1))
        frame = _sia(key=KEY_128, timestamp=NOW - timedelta(minutes=5))
        assert parse_frame(frame, keys({"1001": KEY_128}), NOW, window=wide).encrypted

    def test_clear_text_timestamps_are_not_checked(self) -> None:
        frame = _sia(timestamp=NOW - timedelta(days=400))
        assert parse_frame(frame, CLEAR, NOW).timestamp == NOW - timedelta(days=400)

    def test_now_must_be_aware(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            parse_frame(_sia(), CLEAR, NOW.replace(tzinfo=None))


class TestEncryption:
    @pytest.mark.parametrize("key", [KEY_128, KEY_192, KEY_256], ids=["aes128", "aes192", "aes256"])
    def test_round_trip_with_encrypted_ack(self, key: bytes) -> None:
        lookup = keys({"1001": key})
        data = format_sia_dcs([SiaEvent("QA", "003", area="1", text="Hall")], account="1001")
        frame = build_frame(
            "SIA-DCS",
            sequence=77,
            account="1001",
            receiver="12",
            data=data,
            extended=("X18.0686", "Y59.3293"),
            timestamp=NOW,
            key=key,
        )
        assert frame.startswith(b"\n")
        assert b'"*SIA-DCS"0077R12L0#1001[' in frame
        msg = parse_frame(frame, lookup, NOW)
        assert msg.encrypted
        assert msg.data == data
        assert [(e.code, e.zone, e.area, e.text) for e in msg.events] == [
            ("QA", "003", "1", "Hall")
        ]
        assert [x.value for x in msg.extended] == ["18.0686", "59.3293"]

        ack = ack_for(msg, key, NOW + timedelta(seconds=1))
        assert ack.startswith(b"\n")
        assert b'"*ACK"0077R12L0#1001[' in ack
        response = parse_response(ack, key)
        assert (response.token, response.encrypted, response.sequence) == ("ACK", True, "0077")
        assert (response.receiver, response.account) == ("12", "1001")
        assert response.timestamp == NOW + timedelta(seconds=1)

    def test_an_encrypted_ack_needs_the_key(self) -> None:
        msg = parse_frame(_sia(key=KEY_128), keys({"1001": KEY_128}), NOW)
        with pytest.raises(ValueError, match="key"):
            ack_for(msg, None, NOW)

    def test_adm_cid_round_trip(self) -> None:
        data = format_adm_cid("1", "101", "01", "004", account="1001")
        frame = build_frame(
            "ADM-CID", sequence=3, account="1001", data=data, timestamp=NOW, key=KEY_256
        )
        msg = parse_frame(frame, keys({"1001": KEY_256}), NOW)
        assert [(e.qualifier, e.code, e.kind) for e in msg.events] == [
            ("1", "101", EventKind.ALARM)
        ]

    @pytest.mark.parametrize("pad", [b"", b"0" * 11, bytes(range(17))], ids=["none", "zeros", "17"])
    def test_pads_of_other_lengths_are_read(self, pad: bytes) -> None:
        # Units differ: pysiaalarm pads with '0' characters, jvanovost/dc09_spt up to 17
        # random bytes. Whatever comes before the first '|' is the pad.
        clear = b"|#1001|Nri0/RP0000]_09:26:53,03-14-2025"
        plain = pad + clear
        plain = b"\x01" * (-len(plain) % 16) + plain
        encryptor = Cipher(algorithms.AES(KEY_128), modes.CBC(bytes(16))).encryptor()
        text = (encryptor.update(plain) + encryptor.finalize()).hex().upper()
        frame = wrap(b'"*SIA-DCS"0001L0#1001[' + text.encode())
        assert parse_frame(frame, keys({"1001": KEY_128}), NOW).events[0].code == "RP"

    def test_fingerprint_ignores_pad_and_timestamp_of_a_retransmission(self) -> None:
        lookup = keys({"1001": KEY_128})
        first = parse_frame(_sia(key=KEY_128), lookup, NOW)
        again = parse_frame(_sia(key=KEY_128, timestamp=NOW + timedelta(seconds=9)), lookup, NOW)
        other = parse_frame(_sia(key=KEY_128, sequence=6), lookup, NOW)
        assert first.raw != again.raw
        assert first.fingerprint == again.fingerprint != other.fingerprint

    def test_keys_are_16_24_or_32_bytes_of_hex(self) -> None:
        with pytest.raises(ValueError, match="16, 24 or 32"):
            key_from_hex("0011")
        with pytest.raises(ValueError, match="hex"):
            key_from_hex("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAZ")


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.sampled_from([KEY_128, KEY_192, KEY_256]))
def test_pad_follows_the_standard(clear: bytes, key: bytes) -> None:
    """§5.4.4: 1-16 pad bytes without | [ ], then |, filling whole 16-byte blocks."""
    text = crypto.encrypt(key, clear)
    assert text == text.upper()
    assert len(text) % 32 == 0
    pad, back = crypto.decrypt(key, text)
    assert back == clear
    assert 1 <= len(pad) <= 16
    assert not set(pad) & set(b"|[]")
    assert (len(pad) + 1 + len(clear)) % 16 == 0


_hex = st.from_regex(r"[0-9A-F]{1,6}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    sequence=st.integers(0, 9999),
    receiver=st.none() | _hex,
    line=_hex,
    account=st.from_regex(r"[0-9A-F]{3,16}", fullmatch=True),
    key=st.none() | st.sampled_from([KEY_128, KEY_192, KEY_256]),
    events=st.lists(
        st.tuples(
            st.sampled_from(["MA", "QA", "FA", "YT", "RP", "BR"]),
            st.from_regex(r"[0-9]{0,4}", fullmatch=True),
            st.none() | st.from_regex(r"[0-9]{1,2}", fullmatch=True),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_what_build_frame_writes_parse_frame_reads(
    sequence: int,
    receiver: str | None,
    line: str,
    account: str,
    key: bytes | None,
    events: list[tuple[str, str, str | None]],
) -> None:
    data = format_sia_dcs([SiaEvent(c, z, area=a) for c, z, a in events], account=account)
    frame = build_frame(
        "SIA-DCS",
        sequence=sequence,
        account=account,
        receiver=receiver,
        line_prefix=line,
        data=data,
        timestamp=NOW,
        key=key,
    )
    msg = parse_frame(frame, keys({account: key}), NOW)
    assert (msg.sequence, msg.receiver, msg.line_prefix) == (f"{sequence:04d}", receiver, line)
    assert (msg.account, msg.encrypted, msg.timestamp) == (account, key is not None, NOW)
    assert [(e.code, e.zone or "") for e in msg.events] == [(c, z) for c, z, _ in events]
    response = parse_response(ack_for(msg, key, NOW), key)
    assert (response.sequence, response.receiver, response.line_prefix, response.account) == (
        f"{sequence:04d}",
        receiver,
        line,
        account,
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_bodies_raise_only_dc09_errors(body: bytes) -> None:
    lookup: Callable[[str], bytes | None] = lambda account: KEY_128  # noqa: E731
    replies = []
    for candidate in (body, b'"*SIA-DCS"0001L0#1001[' + body.hex().upper().encode()):
        try:
            parse_frame(wrap(candidate), lookup, NOW)
        except Dc09Error as error:  # anything else would escape and fail the test
            replies.append(error.reply)
    assert set(replies) <= {Reply.NAK, Reply.DUH}
