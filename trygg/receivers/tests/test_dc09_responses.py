"""The receiver's answers: ACK, encrypted ACK, NAK, DUH, byte for byte, and reading them back
as an alarm unit (the benchmark's sender) does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trygg.receivers.dc09 import (
    BadCrc,
    BadFormat,
    Dc09Header,
    DecryptionFailed,
    MissingKey,
    ack_for,
    build_frame,
    duh_for,
    key_from_hex,
    nak,
    parse_response,
    wrap,
)

SWISS_KEY = key_from_hex("ABCDABCDABCDABCDABCDABCDABCDABCD")


def _at(y: int, mo: int, d: int, h: int, mi: int, s: int) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


class TestGoldenAnswers:
    """Swissdotnet SIA-DC-09 library, SerializationStandardTest.java: answers written with a
    fixed pad, reproduced here byte for byte (an independent AES-CBC/pad/CRC check)."""

    def test_encrypted_ack(self) -> None:
        header = Dc09Header("SIA-DCS", True, "0001", "5678", "1234", "080027E62A64")
        ack = ack_for(
            header,
            SWISS_KEY,
            _at(2015, 4, 14, 16, 8, 12),
            pad=bytes.fromhex("12f1c22a88eb445679da"),
        )
        assert ack == (
            b'\nE34C0062"*ACK"0001R5678L1234#080027E62A64[14F088FF5DCB19D1908069507EAB97C7CDB20F'
            b"1C6EFA550BB59864D54B2DFA1C\r"
        )

    def test_encrypted_ack_with_another_key(self) -> None:
        header = Dc09Header("NULL", True, "0000", "C0FFD", "1234", "00900B376AB6")
        ack = ack_for(
            header,
            key_from_hex("28376EF26E782E1A4A160E3276E5FB93"),
            _at(2015, 4, 27, 8, 6, 26),
            pad=bytes.fromhex("730b1d81a5453a526f57"),
        )
        assert ack == (
            b'\n02B70063"*ACK"0000RC0FFDL1234#00900B376AB6[5F1BEAF37775DEC5F901894BDD25D9565C122B'
            b"2BBAAD72E84E23B8F75554EF8C\r"
        )

    def test_encrypted_null_as_a_unit_sends_it(self) -> None:
        frame = build_frame(
            "NULL",
            sequence=0,
            account="080027E62A64",
            receiver="C0FFD",
            line_prefix="1234",
            timestamp=_at(2015, 6, 22, 13, 43, 9),
            key=SWISS_KEY,
            pad=bytes.fromhex("4cf8588f492eea78cfae"),
        )
        assert frame == (
            b'\nCAC10064"*NULL"0000RC0FFDL1234#080027E62A64[70D7DC480FA7DC0DE428CE02447BA2E2981A1'
            b"61EA14CB780D2CD917208059E11\r"
        )

    def test_nak(self) -> None:
        assert (
            nak(_at(2015, 4, 14, 16, 9, 9)) == b'\n3C830025"NAK"0000R0L0A0[]_16:09:09,04-14-2015\r'
        )

    def test_clear_null_as_a_unit_sends_it(self) -> None:
        frame = build_frame(
            "NULL",
            sequence=0,
            account="080027E62A64",
            receiver="C0FFD",
            line_prefix="1234",
            timestamp=_at(2015, 6, 22, 13, 40, 27),
        )
        assert frame == b'\nC26E0038"NULL"0000RC0FFDL1234#080027E62A64[]_13:40:27,06-22-2015\r'


class TestAnswers:
    header = Dc09Header("SIA-DCS", False, "0042", None, "3", "1001")

    def test_clear_ack_has_no_timestamp(self) -> None:
        assert ack_for(self.header, None, _at(2025, 1, 1, 0, 0, 0)) == wrap(b'"ACK"0042L3#1001[]')

    def test_a_key_does_not_encrypt_the_ack_to_a_clear_message(self) -> None:
        ack = ack_for(self.header, SWISS_KEY, _at(2025, 1, 1, 0, 0, 0))
        assert ack == wrap(b'"ACK"0042L3#1001[]')

    def test_duh_echoes_the_header_in_clear_even_for_an_encrypted_message(self) -> None:
        encrypted = Dc09Header("SIA-DCS", True, "0042", "A", "3", "1001")
        assert duh_for(encrypted) == wrap(b'"DUH"0042RAL3#1001[]')

    def test_nak_needs_an_aware_time(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            nak(datetime(2025, 1, 1))


class TestParseResponse:
    def test_it_reads_nak_with_the_receiver_time(self) -> None:
        # fioletoven/dc09 parse_nak_test
        response = parse_response(b'\nE4410025"NAK"0000R0L0A0[]_16:20:01,09-24-2025\r')
        assert (response.token, response.account) == ("NAK", "0")
        assert response.timestamp == _at(2025, 9, 24, 16, 20, 1)

    def test_it_reads_a_nak_written_with_hash_account(self) -> None:
        # Swissdotnet parseNakCorrectly3: "#0" instead of "A0" (as pysiaalarm issue #88 asks).
        response = parse_response(b'\nEB510025"NAK"0001R0L0#0[]_16:09:09,04-14-2015\r')
        assert (response.token, response.sequence, response.account) == ("NAK", "0001", "0")

    def test_it_reads_plain_ack_and_duh(self) -> None:
        ack = parse_response(b'\nA62A0012"ACK"0001L0#7099[]\r')
        assert (ack.token, ack.sequence, ack.receiver, ack.account) == ("ACK", "0001", None, "7099")
        duh = parse_response(b'\n14140023"DUH"0045RC0FFDL1234#080027E62A64[]\r')
        assert (duh.token, duh.receiver, duh.timestamp) == ("DUH", "C0FFD", None)

    def test_it_decrypts_an_encrypted_ack(self) -> None:
        frame = (
            b'\nE34C0062"*ACK"0001R5678L1234#080027E62A64[14F088FF5DCB19D1908069507EAB97C7CDB20F'
            b"1C6EFA550BB59864D54B2DFA1C\r"
        )
        response = parse_response(frame, SWISS_KEY)
        assert response.encrypted
        assert response.timestamp == _at(2015, 4, 14, 16, 8, 12)
        with pytest.raises(MissingKey):
            parse_response(frame)
        with pytest.raises(DecryptionFailed):
            parse_response(frame, key_from_hex("ABCDABCDABCDABCDABCDABCDABCDABCE"))

    @pytest.mark.parametrize(
        "frame",
        [
            build_frame("SIA-DCS", sequence=1, account="1001", data="#1001|NRP"),
            wrap(b'"NAK"0000L0R0A0[]_16:09:09,04-14-2015'),  # fields in the wrong order
            wrap(b'"ACK"0001NoneL0#1001[]'),
        ],
    )
    def test_it_refuses_what_is_not_a_response(self, frame: bytes) -> None:
        with pytest.raises(BadFormat):
            parse_response(frame)

    def test_it_checks_the_crc(self) -> None:
        with pytest.raises(BadCrc):
            parse_response(b'\nA62B0012"ACK"0001L0#7099[]\r')
