"""Cutting a TCP byte stream into SIP messages, however the reads fall."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trygg.receivers.scaip import (
    SipFramingError,
    SipRequest,
    StreamSplitter,
    build_mrq,
    parse_message,
)


def message(reference: str, *, compact: bool = False, body: bytes | None = None) -> bytes:
    body = build_mrq(reference, "26317", "0004", stc="0010") if body is None else body
    length = b"l" if compact else b"Content-Length"
    return (
        b"MESSAGE sip:alarm@127.0.0.1:5060 SIP/2.0\r\n"
        b"Via: SIP/2.0/TCP 127.0.0.1:40001;branch=z9hG4bK" + reference.encode() + b"\r\n"
        b"From: <sip:26317@127.0.0.1:40001>;tag=u\r\n"
        b"To: <sip:alarm@127.0.0.1:5060>\r\n"
        b"Call-ID: " + reference.encode() + b"@unit\r\n"
        b"CSeq: 1 MESSAGE\r\n"
        b"Content-Type: application/scaip+xml\r\n"
        + length
        + b": "
        + str(len(body)).encode()
        + b"\r\n"
        b"\r\n" + body
    )


def feed_all(chunks: list[bytes], **kwargs: int) -> tuple[list[bytes], StreamSplitter]:
    splitter = StreamSplitter(**kwargs)
    frames: list[bytes] = []
    for chunk in chunks:
        frames += splitter.feed(chunk)
    return frames, splitter


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


MESSAGES = [
    message("0001"),
    message("0002", compact=True),
    message("0003", body=b""),
    message("0004", body="<mrq><ref>0004</ref><lte>Kök</lte></mrq>".encode()),
]


def test_several_messages_in_one_read() -> None:
    frames, splitter = feed_all([b"".join(MESSAGES)])
    assert frames == MESSAGES
    assert splitter.buffered == 0


def test_one_message_over_many_reads() -> None:
    data = MESSAGES[0]
    splitter = StreamSplitter()
    for byte in data[:-1]:
        assert splitter.feed(bytes([byte])) == []
    assert splitter.feed(data[-1:]) == [data]


def test_frames_parse_as_stream_messages() -> None:
    frames, _ = feed_all([b"".join(MESSAGES)])
    parsed = [parse_message(frame, datagram=False) for frame in frames]
    assert all(isinstance(p, SipRequest) for p in parsed)
    assert [p.call_id for p in parsed] == ["0001@unit", "0002@unit", "0003@unit", "0004@unit"]
    assert parsed[3].body.decode() == "<mrq><ref>0004</ref><lte>Kök</lte></mrq>"


@given(
    order=st.lists(st.sampled_from(range(len(MESSAGES))), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=30),
    pings=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_any_chunking_yields_the_same_messages(
    order: list[int], cuts: list[int], pings: list[bool]
) -> None:
    expected = [MESSAGES[i] for i in order]
    stream = b"".join(
        (b"\r\n\r\n" if ping else b"") + frame for frame, ping in zip(expected, pings, strict=False)
    )
    frames, splitter = feed_all(chunked(stream, cuts))
    assert frames == expected
    assert splitter.buffered == 0
    assert splitter.pings == sum(pings[: len(expected)])


def test_keepalive_pings_are_counted_even_when_split() -> None:
    frames, splitter = feed_all([b"\r\n", b"\r\n", b"\r\n\r", b"\n", MESSAGES[0]])
    assert frames == [MESSAGES[0]]
    assert splitter.pings == 2


def test_a_lone_crlf_before_a_message_is_skipped() -> None:
    frames, splitter = feed_all([b"\r\n" + MESSAGES[1]])
    assert frames == [MESSAGES[1]]
    assert splitter.pings == 0


def test_a_partial_message_stays_buffered() -> None:
    frames, splitter = feed_all([MESSAGES[0] + MESSAGES[1][:50]])
    assert frames == [MESSAGES[0]]
    assert splitter.buffered == 50


def test_a_message_without_content_length_breaks_the_stream() -> None:
    data = MESSAGES[0].replace(b"Content-Length: ", b"X-Length: ")
    with pytest.raises(SipFramingError, match="Content-Length"):
        StreamSplitter().feed(data)


def test_a_malformed_content_length_breaks_the_stream() -> None:
    data = MESSAGES[0].replace(b"Content-Length: ", b"Content-Length: -")
    with pytest.raises(SipFramingError):
        StreamSplitter().feed(data)


def test_a_message_over_the_limit_breaks_the_stream() -> None:
    big = message("0005", body=b"x" * 2000)
    with pytest.raises(SipFramingError, match="limit"):
        StreamSplitter(max_message_bytes=1024).feed(big[:400])


def test_headers_without_an_end_are_bounded() -> None:
    splitter = StreamSplitter(max_message_bytes=1024)
    for _ in range(30):
        assert splitter.feed(b"X-Filler: " + b"a" * 20 + b"\r\n") == []
    with pytest.raises(SipFramingError, match="No end of header"):
        splitter.feed(b"X-Filler: " + b"a" * 400 + b"\r\n")


@given(cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=30))
def test_the_buffer_never_holds_more_than_one_message(cuts: list[int]) -> None:
    limit = max(len(m) for m in MESSAGES)
    splitter = StreamSplitter(max_message_bytes=limit)
    for chunk in chunked(b"".join(MESSAGES * 3), cuts):
        splitter.feed(chunk)
        assert splitter.buffered <= limit
    assert splitter.buffered == 0
