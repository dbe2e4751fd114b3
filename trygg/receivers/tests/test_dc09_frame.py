"""DC-09 framing: CRC, length, and splitting a TCP stream into frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trygg.receivers.dc09 import (
    MAX_FRAME,
    BadCrc,
    BadFormat,
    BadLength,
    FrameBuffer,
    FrameError,
    FrameTooLong,
    Garbage,
    Reply,
    build_frame,
    crc16,
    unwrap,
    wrap,
)
from trygg.receivers.dc09.frame import FILLER

# Frames published by other implementations, with their CRC and length as they wrote them.
GOLDEN_FRAMES = [
    # fioletoven/dc09, common/src/dc09/message.tests.rs
    b'\nF4D20029"SIA-DCS"0001RF3L77#1234[#1234|NRR|Atest]\r',
    b'\n96ED0016"SIA-DCS"0001L0#1234[]\r',
    b'\nE4410025"NAK"0000R0L0A0[]_16:20:01,09-24-2025\r',
    # Swissdotnet SIA-DC-09 library (mirrored as twanchai/sia-dc-09-library),
    # sia-dc-09-parsing/src/test/java/ch/swissdotnet/siadc09/tests/ParsingStandardTest.java;
    # lower-case hex fields included.
    b'\n2729002e"ACK"0001L0#080027E62A64[]_16:07:07,04-14-2015\r',
    b'\n01fc0037"ACK"0000Rc0ffdL1234#080027E62A64[]_12:10:40,06-22-2015\r',
    b'\n3C830025"NAK"0000R0L0A0[]_16:09:09,04-14-2015\r',
    b'\nC26E0038"NULL"0000RC0FFDL1234#080027E62A64[]_13:40:27,06-22-2015\r',
    b'\n1D85002B"NULL"0001L0#00653210[]_09:17:32,05-18-2016\r',
    b'\nB0AC0027"ADM-CID"0001L0#7099[#7099|1628 01 000]\r',
    b'\n953a004c"SIA-DCS"0001L0#7878[#7878|Nri01^TOTAL^/LX901^centrale d\'alarme JA-106K(R)^]\r',
    # UTF-8 text: the length counts bytes (130), not characters.
    '\n52060082"SIA-DCS"0000RC0FFDL1234#080027E62A64[#080027E62A64|NHB0003]'
    "[ITEST àäâèéêïîöôüÀÄÂÈÉÊÎÖÛÜ]_09:00:13,06-23-2015\r".encode(),
]


class TestCrc:
    def test_it_is_crc16_arc(self) -> None:
        # The catalogue check value of CRC-16/ARC (poly 0x8005 reflected, init 0, no xorout).
        assert crc16(b"123456789") == 0xBB3D
        assert crc16(b"") == 0

    @pytest.mark.parametrize("frame", GOLDEN_FRAMES)
    def test_it_matches_published_frames(self, frame: bytes) -> None:
        body = unwrap(frame)
        assert f"{crc16(body):04X}" == frame[1:5].decode().upper()
        assert int(frame[5:9], 16) == len(body)

    def test_wrap_writes_upper_case_crc_and_0lll_length(self) -> None:
        frame = wrap(b'"SIA-DCS"0001RF3L77#1234[#1234|NRR|Atest]')
        assert frame == GOLDEN_FRAMES[0]

    def test_wrap_refuses_a_body_longer_than_three_hex_digits(self) -> None:
        assert wrap(b"x" * 0xFFF)[5:9] == b"0FFF"
        with pytest.raises(ValueError, match="at most"):
            wrap(b"x" * 0x1000)


class TestUnwrap:
    def test_it_rejects_a_bad_crc(self) -> None:
        frame = bytearray(GOLDEN_FRAMES[0])
        frame[1:5] = b"0000"
        with pytest.raises(BadCrc) as exc:
            unwrap(bytes(frame))
        assert exc.value.reply is Reply.NAK

    def test_it_rejects_a_changed_byte(self) -> None:
        frame = GOLDEN_FRAMES[0].replace(b"Atest", b"Atesu")
        with pytest.raises(BadCrc):
            unwrap(frame)

    def test_it_rejects_a_wrong_length(self) -> None:
        frame = GOLDEN_FRAMES[0].replace(b"0029", b"0028")
        with pytest.raises(BadLength) as exc:
            unwrap(frame)
        assert exc.value.reply is Reply.NAK

    def test_it_rejects_a_length_that_is_not_hex(self) -> None:
        # Swissdotnet's parseLengthInvalid case.
        frame = b'\n01fc003g"ACK"0000Rc0ffdL1234#080027E62A64[]_12:10:40,06-22-2015\r'
        with pytest.raises(BadLength):
            unwrap(frame)

    def test_it_rejects_a_binary_crc(self) -> None:
        # Some panels (Egardia, some DSC/Trikdis modes) send the CRC as two raw bytes; the
        # 2013+ editions write four ASCII hex digits. Not supported: answered NAK.
        body = b'"NULL"0000R1L1#9413[]'
        frame = b"\n" + crc16(body).to_bytes(2, "big") + b"%04X" % len(body) + body + b"\r"
        with pytest.raises(FrameError):
            unwrap(frame)

    @pytest.mark.parametrize(
        "frame",
        [b"", b"\r", b"\n\r", b"\nF4D20029", b'F4D20029"SIA-DCS"0001L0#1234[]\r', b"\nF4D2\n"],
    )
    def test_it_rejects_what_is_not_lf_crc_length_body_cr(self, frame: bytes) -> None:
        with pytest.raises(BadFormat):
            unwrap(frame)


def _frames(n: int) -> list[bytes]:
    return [
        build_frame("SIA-DCS", sequence=i, account="1001", data=f"#1001|Nri1/BA{i}")
        for i in range(n)
    ]


class TestFrameBuffer:
    def test_it_returns_several_frames_from_one_read(self) -> None:
        frames = _frames(3)
        assert FrameBuffer().feed(b"".join(frames)) == frames

    def test_it_joins_a_frame_split_over_reads(self) -> None:
        frame = _frames(1)[0]
        buffer = FrameBuffer()
        assert buffer.feed(frame[:7]) == []
        assert buffer.feed(frame[7:20]) == []
        assert buffer.pending == 20
        assert buffer.feed(frame[20:]) == [frame]
        assert buffer.pending == 0

    def test_it_reports_garbage_and_resumes_at_the_next_lf(self) -> None:
        one, two = _frames(2)
        out = FrameBuffer().feed(b"hello" + one + b"junk\xff" + two)
        assert [type(x) for x in out] == [Garbage, bytes, Garbage, bytes]
        assert out[1] == one
        assert out[3] == two
        assert isinstance(out[0], Garbage)
        assert out[0].data == b"hello"
        assert out[0].reply is Reply.NONE

    def test_it_drops_nul_padding_and_line_ends_between_frames_silently(self) -> None:
        one, two = _frames(2)
        assert FrameBuffer().feed(one + b"\x00\x00" + two + b"\r\x00") == [one, two]

    def test_a_new_lf_ends_a_frame_cut_short(self) -> None:
        one, two = _frames(2)
        out = FrameBuffer().feed(one[:15] + two)
        assert len(out) == 2
        assert isinstance(out[0], Garbage)
        assert out[0].data == one[:15]
        assert out[1] == two

    def test_junk_without_cr_does_not_grow_the_buffer(self) -> None:
        buffer = FrameBuffer(max_frame=64)
        out: list[bytes | FrameError] = []
        out += buffer.feed(b"\n" + b"A" * 40)
        assert out == []
        assert buffer.pending == 41
        out += buffer.feed(b"B" * 40)
        assert [type(x) for x in out] == [FrameTooLong]
        assert buffer.pending == 0
        # The rest of the junk is skipped silently until the next frame starts.
        frame = _frames(1)[0]
        assert buffer.feed(b"C" * 1000) == []
        assert buffer.feed(b"D" * 10 + frame[:30]) == []
        assert buffer.pending == 30

    def test_a_megabyte_of_junk_in_one_read_is_bounded(self) -> None:
        buffer = FrameBuffer()
        out = buffer.feed(b"\n" + b"x" * 1_000_000)
        assert [type(x) for x in out] == [FrameTooLong]
        assert buffer.pending == 0
        assert buffer.feed(b"y" * 1_000_000) == []

    def test_a_frame_with_cr_but_over_the_limit_is_refused(self) -> None:
        buffer = FrameBuffer(max_frame=32)
        [error] = buffer.feed(_frames(1)[0])
        assert isinstance(error, FrameTooLong)
        assert error.reply is Reply.NAK

    def test_the_default_limit_is_the_largest_frame_the_length_field_allows(self) -> None:
        big = wrap(b"x" * 0xFFF)
        assert len(big) == MAX_FRAME
        assert FrameBuffer().feed(big) == [big]


# Property: however the stream is cut into reads, the same frames come out, in order, and
# garbage is reported byte for byte.


@st.composite
def _stream(draw: st.DrawFn) -> tuple[list[bytes], bytes, list[int]]:
    frames = []
    for i in range(draw(st.integers(0, 6))):
        token = draw(st.sampled_from(["SIA-DCS", "ADM-CID", "NULL"]))
        receiver = draw(st.none() | st.from_regex(r"[0-9A-F]{1,6}", fullmatch=True))
        data = draw(st.from_regex(r"[#0-9A-Za-z|/^ ]{0,60}", fullmatch=True))
        frames.append(
            build_frame(token, sequence=i, account="ABC123", receiver=receiver, data=data)
        )
    junk = st.binary(max_size=20).map(lambda b: b.replace(b"\n", b""))
    parts = []
    for frame in frames:
        parts.append(draw(junk))
        parts.append(frame)
    parts.append(draw(junk))
    stream = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    return frames, stream, cuts


@settings(max_examples=300, deadline=None)
@given(_stream())
def test_any_chunking_yields_the_same_frames(case: tuple[list[bytes], bytes, list[int]]) -> None:
    frames, stream, cuts = case
    buffer = FrameBuffer()
    out: list[bytes | FrameError] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out += buffer.feed(stream[start:end])
    assert [x for x in out if isinstance(x, bytes)] == frames
    assert all(isinstance(x, Garbage) for x in out if not isinstance(x, bytes))

    # Garbage is reported wherever the reads cut it; filler bytes (NUL, CR, tab, space)
    # only when they sit among other junk.
    def junk(items: list[bytes | FrameError]) -> bytes:
        data = b"".join(x.data for x in items if isinstance(x, Garbage))
        return bytes(b for b in data if b not in FILLER)

    assert junk(out) == junk(FrameBuffer().feed(stream))
    assert buffer.pending == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(10, 200))
def test_arbitrary_bytes_never_buffer_more_than_the_limit(data: bytes, limit: int) -> None:
    buffer = FrameBuffer(max_frame=limit)
    for i in range(0, len(data), 7):
        for item in buffer.feed(data[i : i + 7]):
            assert isinstance(item, (bytes, FrameError))
            if isinstance(item, bytes):
                assert item[:1] == b"\n"
                assert item[-1:] == b"\r"
                assert len(item) <= limit
        assert buffer.pending < limit
