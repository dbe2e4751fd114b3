"""SIP messages for SCAIP: parsing a unit's MESSAGE, answering it, and our reply MESSAGE."""

from __future__ import annotations

import pytest

from trygg.receivers.scaip import (
    SipParseError,
    SipRequest,
    SipResponse,
    build_mrs,
    build_reply_message,
    build_response,
    local_tag,
    parse_message,
    transaction_key,
)
from trygg.receivers.scaip.sip import (
    derive_tag,
    display_name,
    header_key,
    parse_name_addr,
    parse_via,
)

MRQ = b"<mrq><ref>00001883</ref><mty>ME</mty><cid>26317</cid><dty>0004</dty><stc>0010</stc></mrq>"

# A unit behind two proxies: compact and long header names mixed, two Via values in one
# compact field and one more in its own field, a folded line, a display name with a comma.
GOLDEN_MESSAGE = (
    b"MESSAGE sip:alarm@arc.example.se SIP/2.0\r\n"
    b"v: SIP/2.0/TCP proxy2.example.se:5061;branch=z9hG4bK-p2-41,"
    b" SIP/2.0/UDP proxy1.example.se;branch=z9hG4bK-p1-77\r\n"
    b"Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 68\r\n"
    b'f: "Larm, Hall" <sip:26317@192.168.1.20:5062>;tag=1928301774\r\n'
    b"TO: <sip:alarm@arc.example.se>\r\n"
    b"i: a84b4c76e66710@192.168.1.20\r\n"
    b"CSeq: 314 MESSAGE\r\n"
    b"m: <sip:26317@192.168.1.20:5062;transport=udp>\r\n"
    b"User-Agent: Essence\r\n"
    b"  CareIP/2.1\r\n"
    b"c: application/scaip+xml\r\n"
    b"l: " + str(len(MRQ)).encode() + b"\r\n"
    b"\r\n" + MRQ
)


def golden() -> SipRequest:
    message = parse_message(GOLDEN_MESSAGE)
    assert isinstance(message, SipRequest)
    return message


# Parsing -------------------------------------------------------------------------------


def test_it_parses_the_request_line_and_body() -> None:
    request = golden()
    assert request.method == "MESSAGE"
    assert request.uri == "sip:alarm@arc.example.se"
    assert request.body == MRQ
    assert request.content_type == "application/scaip+xml"


def test_it_reads_compact_and_long_header_names_alike() -> None:
    request = golden()
    assert request.call_id == "a84b4c76e66710@192.168.1.20"
    assert request.headers.get("Call-ID") == request.headers.get("i")
    assert request.headers.get("to") == "<sip:alarm@arc.example.se>"
    assert request.headers.get("CONTENT-LENGTH") == str(len(MRQ))
    assert request.cseq.number == 314
    assert request.cseq.method == "MESSAGE"


def test_it_keeps_every_via_in_order() -> None:
    vias = golden().vias
    assert [via.sent_by for via in vias] == [
        "proxy2.example.se:5061",
        "proxy1.example.se",
        "192.168.1.20:5062",
    ]
    assert vias[0].transport == "TCP"
    assert vias[2].branch == "z9hG4bK776asdhds"
    assert "rport" in vias[2].params


def test_it_joins_folded_lines() -> None:
    assert golden().headers.get("user-agent") == "Essence CareIP/2.1"


def test_it_reads_from_with_a_quoted_comma() -> None:
    sender = golden().from_addr
    assert sender.display == "Larm, Hall"
    assert sender.uri == "sip:26317@192.168.1.20:5062"
    assert sender.tag == "1928301774"


@pytest.mark.parametrize(
    ("value", "uri", "tag"),
    [
        ("<sip:1@h>;tag=a", "sip:1@h", "a"),
        ("sip:1@h;tag=a", "sip:1@h", "a"),
        ('"X" <sip:1@h;transport=tcp>', "sip:1@h;transport=tcp", None),
        ("<sip:1@h;lr>;tag=b;x=y", "sip:1@h;lr", "b"),
    ],
)
def test_it_separates_uri_parameters_from_header_parameters(
    value: str, uri: str, tag: str | None
) -> None:
    addr = parse_name_addr(value)
    assert (addr.uri, addr.tag) == (uri, tag)


def test_it_parses_a_status_line() -> None:
    response = parse_message(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 2 MESSAGE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert isinstance(response, SipResponse)
    assert (response.status, response.reason, response.cseq.number) == (200, "OK", 2)


def test_it_ignores_blank_lines_before_the_start_line() -> None:
    assert isinstance(parse_message(b"\r\n\r\n" + GOLDEN_MESSAGE), SipRequest)


def test_a_datagram_without_content_length_ends_at_the_datagram() -> None:
    data = GOLDEN_MESSAGE.replace(b"l: " + str(len(MRQ)).encode() + b"\r\n", b"")
    assert golden().body == parse_message(data).body == MRQ


def test_a_datagram_drops_bytes_past_content_length() -> None:
    assert parse_message(GOLDEN_MESSAGE + b"garbage").body == MRQ


def test_a_datagram_shorter_than_content_length_is_refused() -> None:
    with pytest.raises(SipParseError, match="Content-Length"):
        parse_message(GOLDEN_MESSAGE[:-5])


def test_a_stream_frame_needs_content_length() -> None:
    data = GOLDEN_MESSAGE.replace(b"l: " + str(len(MRQ)).encode() + b"\r\n", b"")
    with pytest.raises(SipParseError, match="required"):
        parse_message(data, datagram=False)


@pytest.mark.parametrize(
    "data",
    [
        b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n",  # no empty line
        b"HELLO\r\n\r\n",
        b"MESSAGE sip:a@b SIP/3.0\r\n\r\n",
        b"MESSAGE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n",
        b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ten\r\n\r\n",
        b"MESSAGE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
        b"MESSAGE sip:a@b SIP/2.0\r\nSubject: \xff\xfe\r\n\r\n",
    ],
)
def test_it_refuses_malformed_messages(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_message(data)


def test_it_lists_missing_mandatory_headers() -> None:
    request = parse_message(b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 0\r\n\r\n")
    assert isinstance(request, SipRequest)
    assert request.missing_headers() == ["From", "To", "Call-ID", "CSeq"]
    assert golden().missing_headers() == []


def test_header_names_are_normalised() -> None:
    assert header_key(" Call-Id ") == header_key("i") == "call-id"
    assert display_name("l") == "Content-Length"
    assert display_name("cseq") == "CSeq"
    assert display_name("X-Vendor") == "X-Vendor"


def test_it_parses_ipv6_vias() -> None:
    via = parse_via("SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKx")
    assert (via.host, via.port, via.sent_by) == ("2001:db8::9", 5060, "[2001:db8::9]:5060")


def test_serialising_a_parsed_message_gives_the_same_message() -> None:
    request = golden()
    again = parse_message(request.to_bytes())
    assert again == parse_message(request.to_bytes())
    assert again.body == request.body
    assert [v.branch for v in again.vias] == [v.branch for v in request.vias]
    assert again.headers.get("content-length") == str(len(MRQ))


# 200 OK and error responses -------------------------------------------------------------


def test_the_200_echoes_via_from_call_id_and_cseq() -> None:
    request = golden()
    response = parse_message(build_response(request, 200).to_bytes())
    assert isinstance(response, SipResponse)
    assert (response.status, response.reason) == (200, "OK")
    assert response.headers.get_all("via") == request.headers.get_all("via")
    assert response.headers.get("from") == request.headers.get("from")
    assert response.call_id == request.call_id
    assert response.headers.get("cseq") == "314 MESSAGE"
    assert response.headers.get("content-length") == "0"
    assert response.body == b""


def test_the_200_adds_our_tag_to_to() -> None:
    request = golden()
    response = build_response(request, 200)
    assert response.to_addr.uri == request.to_addr.uri
    assert response.to_addr.tag == local_tag(request)


def test_a_retransmission_gets_the_same_bytes() -> None:
    assert build_response(golden(), 200).to_bytes() == build_response(golden(), 200).to_bytes()


def test_a_to_that_has_a_tag_keeps_it() -> None:
    data = GOLDEN_MESSAGE.replace(b"TO: <sip:alarm@arc.example.se>", b"t: <sip:a@b>;tag=theirs")
    request = parse_message(data)
    assert isinstance(request, SipRequest)
    assert build_response(request, 200, to_tag="ours").to_addr.tag == "theirs"


def test_a_to_without_brackets_is_bracketed_before_the_tag() -> None:
    data = GOLDEN_MESSAGE.replace(b"TO: <sip:alarm@arc.example.se>", b"To: sip:alarm@arc;x=1")
    request = parse_message(data)
    assert isinstance(request, SipRequest)
    assert (
        build_response(request, 200, to_tag="t1").headers.get("to") == "<sip:alarm@arc>;x=1;tag=t1"
    )


def test_the_top_via_learns_where_the_request_came_from() -> None:
    request = golden()
    response = build_response(request, 200, source=("198.51.100.7", 40312))
    top, *rest = response.headers.get_all("via")
    assert parse_via(top).sent_by == "proxy2.example.se:5061"
    assert parse_via(top).params["received"] == "198.51.100.7"
    assert rest == request.headers.get_all("via")[1:]


def test_rport_is_filled_in_when_asked_for() -> None:
    data = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKq;rport\r\n"
    data += (
        b"From: <sip:1@10.0.0.2>;tag=u\r\nTo: <sip:a@b>\r\ni: c1\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n"
    )
    request = parse_message(data)
    assert isinstance(request, SipRequest)
    via = build_response(request, 200, source=("203.0.113.9", 61000)).top_via
    assert via.params["rport"] == "61000"
    assert via.params["received"] == "203.0.113.9"


@pytest.mark.parametrize(
    ("status", "reason", "extra"),
    [
        (400, "Bad Request", []),
        (415, "Unsupported Media Type", [("Accept", "application/scaip+xml")]),
        (405, "Method Not Allowed", [("Allow", "MESSAGE")]),
    ],
)
def test_error_responses_follow_the_same_echo_rules(
    status: int, reason: str, extra: list[tuple[str, str]]
) -> None:
    request = golden()
    response = build_response(request, status, extra_headers=extra)
    raw = response.to_bytes()
    assert raw.startswith(f"SIP/2.0 {status} {reason}\r\n".encode())
    assert response.headers.get_all("via") == request.headers.get_all("via")
    assert response.to_addr.tag == local_tag(request)
    for name, value in extra:
        assert response.headers.get(name) == value
    assert raw.endswith(b"Content-Length: 0\r\n\r\n")


def test_a_response_can_be_built_for_a_request_missing_headers() -> None:
    request = parse_message(b"MESSAGE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKa\r\n\r\n")
    assert isinstance(request, SipRequest)
    response = build_response(request, 400, "Missing Call-ID")
    assert response.to_bytes().startswith(b"SIP/2.0 400 Missing Call-ID\r\nVia: SIP/2.0/UDP h")


# Our MESSAGE with the <mrs> -------------------------------------------------------------


def reply() -> SipRequest:
    request = golden()
    body = build_mrs("00001883", 0)
    return build_reply_message(request, body, local_host="10.20.0.5", local_port=5060)


def test_the_reply_goes_to_the_units_contact() -> None:
    assert reply().method == "MESSAGE"
    assert reply().uri == "sip:26317@192.168.1.20:5062;transport=udp"


def test_the_reply_goes_to_the_from_uri_without_a_contact() -> None:
    data = GOLDEN_MESSAGE.replace(b"m: <sip:26317@192.168.1.20:5062;transport=udp>\r\n", b"")
    request = parse_message(data)
    assert isinstance(request, SipRequest)
    message = build_reply_message(request, b"<mrs/>", local_host="h", local_port=1)
    assert message.uri == "sip:26317@192.168.1.20:5062"


def test_the_reply_swaps_from_and_to_and_keeps_the_call_id() -> None:
    request, message = golden(), reply()
    assert message.headers.get("to") == request.headers.get("from")
    assert message.to_addr.tag == "1928301774"
    assert message.from_addr.uri == request.to_addr.uri
    assert message.from_addr.tag == build_response(request, 200).to_addr.tag
    assert message.call_id == request.call_id


def test_the_reply_has_its_own_via_cseq_and_scaip_body() -> None:
    message = parse_message(reply().to_bytes())
    assert isinstance(message, SipRequest)
    (via,) = message.vias
    assert (via.transport, via.sent_by) == ("UDP", "10.20.0.5:5060")
    assert via.branch is not None
    assert via.branch.startswith("z9hG4bK")
    assert via.branch != golden().top_via.branch
    assert message.cseq.method == "MESSAGE"
    assert message.cseq.number == 315
    assert message.headers.get("max-forwards") == "70"
    assert message.content_type == "application/scaip+xml"
    assert message.body == b"<mrs><ref>00001883</ref><snu>0</snu></mrs>"
    assert message.headers.get("content-length") == str(len(message.body))


def test_every_reply_gets_a_fresh_branch() -> None:
    assert reply().top_via.branch != reply().top_via.branch


def test_the_reply_takes_transport_cseq_and_branch_when_given() -> None:
    message = build_reply_message(
        golden(),
        b"<mrs/>",
        local_host="2001:db8::5",
        local_port=5061,
        transport="tcp",
        cseq=1,
        branch="z9hG4bKfixed",
    )
    assert message.headers.get("via") == "SIP/2.0/TCP [2001:db8::5]:5061;branch=z9hG4bKfixed;rport"
    assert message.headers.get("cseq") == "1 MESSAGE"


# Retransmissions -----------------------------------------------------------------------


def test_a_retransmission_has_the_same_transaction_key() -> None:
    assert transaction_key(golden()) == transaction_key(golden())


def test_a_new_branch_is_a_new_transaction() -> None:
    other = parse_message(GOLDEN_MESSAGE.replace(b"z9hG4bK-p2-41", b"z9hG4bK-p2-42"))
    assert isinstance(other, SipRequest)
    assert transaction_key(other) != transaction_key(golden())


def test_a_new_cseq_is_a_new_transaction() -> None:
    other = parse_message(GOLDEN_MESSAGE.replace(b"CSeq: 314", b"CSeq: 315"))
    assert isinstance(other, SipRequest)
    assert transaction_key(other) != transaction_key(golden())


def test_the_same_branch_from_another_host_is_another_transaction() -> None:
    other = parse_message(GOLDEN_MESSAGE.replace(b"proxy2.example.se:5061", b"proxy3:5061"))
    assert isinstance(other, SipRequest)
    assert transaction_key(other) != transaction_key(golden())


def test_rfc_2543_clients_are_keyed_on_call_id_cseq_and_from_tag() -> None:
    data = (
        b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060\r\n"
        b"From: <sip:1@x>;tag=u1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n"
    )
    first, same, later = (
        parse_message(data),
        parse_message(data),
        parse_message(data.replace(b"CSeq: 1", b"CSeq: 2")),
    )
    assert isinstance(first, SipRequest)
    assert isinstance(same, SipRequest)
    assert isinstance(later, SipRequest)
    assert transaction_key(first) == transaction_key(same) != transaction_key(later)


def test_derived_tags_are_stable_and_distinct() -> None:
    assert derive_tag("a") == derive_tag("a") != derive_tag("b")
    assert local_tag(golden()) == derive_tag(transaction_key(golden()))
