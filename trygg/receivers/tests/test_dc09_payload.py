"""SIA-DCS and ADM-CID data, and what their event codes mean to Trygg."""

from __future__ import annotations

import pytest

from trygg.receivers.dc09 import (
    CID_CODES,
    SIA_CODES,
    BadPayload,
    EventKind,
    SiaEvent,
    Technical,
    cid_meaning,
    format_adm_cid,
    format_sia_dcs,
    sia_meaning,
)
from trygg.receivers.dc09.payload import parse_adm_cid, parse_sia_dcs


class TestSiaDcs:
    def test_account_area_code_and_zone(self) -> None:
        account, events = parse_sia_dcs("#1001|Nri1/BA12")
        assert account == "1001"
        [event] = events
        assert (event.code, event.area, event.zone, event.text) == ("BA", "1", "12", None)
        assert event.modifiers == (("ri", "1"),)

    def test_text_and_no_account(self) -> None:
        account, events = parse_sia_dcs("Nri01/FA12^Kök^")
        assert account is None
        assert [(e.code, e.area, e.zone, e.text) for e in events] == [("FA", "01", "12", "Kök")]

    def test_several_events_and_modifiers_carrying_over(self) -> None:
        _, events = parse_sia_dcs("#1001|Nid3ti10:23/ri1/MA003/QA004/ri2/YT")
        assert [(e.code, e.area, e.zone) for e in events] == [
            ("MA", "1", "003"),
            ("QA", "1", "004"),
            ("YT", "2", None),
        ]
        assert dict(events[0].modifiers) == {"id": "3", "ti": "10:23", "ri": "1"}

    def test_an_event_right_after_its_area(self) -> None:
        # pysiaalarm test cases from its issues #11 and #42 (real panels).
        _, events = parse_sia_dcs("#123456|Nri1CL0^VX FRONTE ^")
        assert [(e.code, e.area, e.zone, e.text) for e in events] == [
            ("CL", "1", "0", "VX FRONTE ")
        ]
        _, events = parse_sia_dcs("#123456|Nri0KR1^TAST. 001 ^")
        assert events[0].code == "KR"
        assert events[0].kind is EventKind.RESTORE

    def test_text_naming_the_area_is_not_taken_as_an_event(self) -> None:
        # Swissdotnet ParsingStandardTest parseEventStandard4 (Jablotron JA-106K).
        _, events = parse_sia_dcs("#7878|Nri01^TOTAL^/LX901^centrale d'alarme JA-106K(R)^")
        assert [(e.code, e.area, e.zone, e.text) for e in events] == [
            ("LX", "01", "901", "centrale d'alarme JA-106K(R)")
        ]

    def test_an_ascii_block_is_the_text_of_the_event_before_it(self) -> None:
        _, events = parse_sia_dcs("#1234|NRR|AStart")
        assert [(e.code, e.text) for e in events] == [("RR", "Start")]

    def test_a_leading_bar_without_account(self) -> None:
        _, events = parse_sia_dcs("|Nri1/CL501")
        assert events[0].zone == "501"

    def test_a_block_without_n_marker_is_still_read(self) -> None:
        _, events = parse_sia_dcs("#1001|ri1/MA3")
        assert events[0].code == "MA"

    @pytest.mark.parametrize("data", ["", "#1001|", "#1001|N", "#1001|Nri1", "#1001|N^x^"])
    def test_data_without_events_is_refused(self, data: str) -> None:
        with pytest.raises(BadPayload, match="no event"):
            parse_sia_dcs(data)

    @pytest.mark.parametrize("data", ["#1001|N*", "#1001|NM", "#1001|Nr", "#1001|NMA1^open"])
    def test_malformed_data_is_refused(self, data: str) -> None:
        with pytest.raises(BadPayload):
            parse_sia_dcs(data)

    def test_format_writes_what_parse_reads(self) -> None:
        written = format_sia_dcs(
            [
                SiaEvent("MA", "3", area="1", text="Hall"),
                SiaEvent("QA", "4", area="1"),
                SiaEvent("YT", area="2"),
            ],
            account="1001",
        )
        assert written == "#1001|Nri1/MA3^Hall^/QA4/ri2/YT"
        assert [(e.code, e.zone, e.area) for e in parse_sia_dcs(written)[1]] == [
            ("MA", "3", "1"),
            ("QA", "4", "1"),
            ("YT", None, "2"),
        ]


class TestAdmCid:
    def test_qualifier_code_group_zone(self) -> None:
        account, events = parse_adm_cid("#1001|1130 01 012")
        assert account == "1001"
        [event] = events
        assert (event.qualifier, event.code, event.area, event.zone) == ("1", "130", "01", "012")

    def test_restore_and_status_qualifiers(self) -> None:
        _, (restore,) = parse_adm_cid("#1001|3101 01 003")
        assert restore.kind is EventKind.RESTORE
        assert restore.restores is EventKind.ALARM
        _, (status,) = parse_adm_cid("#1001|6101 01 003")
        assert status.kind is EventKind.ALARM
        assert status.is_status

    def test_several_events(self) -> None:
        _, events = parse_adm_cid("#1001|1101 01 003/1302 00 000")
        assert [e.code for e in events] == ["101", "302"]

    @pytest.mark.parametrize(
        "data", ["", "#1001|", "#1001|2130 01 012", "#1001|1130 01 12", "#1001|113001012"]
    )
    def test_malformed_data_is_refused(self, data: str) -> None:
        with pytest.raises(BadPayload):
            parse_adm_cid(data)

    def test_format(self) -> None:
        assert format_adm_cid("1", "101", "01", "003", account="1001") == "#1001|1101 01 003"


class TestMeanings:
    @pytest.mark.parametrize("code", ["MA", "QA", "PA", "HA", "NA", "UA"])
    def test_sia_alarms(self, code: str) -> None:
        assert sia_meaning(code).kind is EventKind.ALARM

    @pytest.mark.parametrize("code", ["100", "101", "102", "120", "121", "122", "641"])
    def test_contact_id_alarms(self, code: str) -> None:
        assert cid_meaning("1", code).kind is EventKind.ALARM

    def test_social_alarm_codes_are_marked(self) -> None:
        assert {c for c, m in SIA_CODES.items() if m.social and m.kind is EventKind.ALARM} == {
            "MA",
            "QA",
            "NA",
        }
        assert {c for c, m in CID_CODES.items() if m.social} == {"100", "101", "102", "641"}

    @pytest.mark.parametrize(
        ("code", "technical"),
        [
            ("YT", Technical.LOW_BATTERY),
            ("XT", Technical.LOW_BATTERY),
            ("TA", Technical.TAMPER),
            ("AT", Technical.MAINS_LOSS),
        ],
    )
    def test_sia_technical(self, code: str, technical: Technical) -> None:
        meaning = sia_meaning(code)
        assert (meaning.kind, meaning.technical, meaning.flat_kind) == (
            EventKind.TECHNICAL,
            technical,
            technical.value,
        )

    @pytest.mark.parametrize(
        ("code", "technical"),
        [
            ("302", Technical.LOW_BATTERY),
            ("384", Technical.LOW_BATTERY),
            ("137", Technical.TAMPER),
            ("144", Technical.TAMPER),
            ("383", Technical.TAMPER),
            ("301", Technical.MAINS_LOSS),
        ],
    )
    def test_contact_id_technical(self, code: str, technical: Technical) -> None:
        assert cid_meaning("1", code).technical is technical
        restore = cid_meaning("3", code)
        assert (restore.kind, restore.restores, restore.technical) == (
            EventKind.RESTORE,
            EventKind.TECHNICAL,
            technical,
        )

    @pytest.mark.parametrize(
        ("code", "restores"),
        [
            ("BR", EventKind.ALARM),
            ("YR", EventKind.TECHNICAL),
            ("AR", EventKind.TECHNICAL),
            ("TR", EventKind.TECHNICAL),
            ("MH", EventKind.ALARM),
            ("FH", EventKind.FIRE),
        ],
    )
    def test_sia_restores(self, code: str, restores: EventKind) -> None:
        assert sia_meaning(code).kind is EventKind.RESTORE
        assert sia_meaning(code).restores is restores

    @pytest.mark.parametrize("code", ["RP", "RX"])
    def test_sia_tests(self, code: str) -> None:
        assert sia_meaning(code).kind is EventKind.TEST

    @pytest.mark.parametrize("code", ["601", "602", "603"])
    def test_contact_id_tests_keep_their_kind_whatever_the_qualifier(self, code: str) -> None:
        assert cid_meaning("1", code).kind is EventKind.TEST
        assert cid_meaning("3", code).kind is EventKind.TEST

    def test_fire(self) -> None:
        assert sia_meaning("FA").kind is EventKind.FIRE
        assert cid_meaning("1", "111").kind is EventKind.FIRE
        assert cid_meaning("3", "111").restores is EventKind.FIRE

    def test_opening_and_closing_is_other_even_with_qualifier_3(self) -> None:
        assert cid_meaning("1", "401").kind is EventKind.OTHER
        assert cid_meaning("3", "401").kind is EventKind.OTHER
        assert sia_meaning("CL").kind is EventKind.OTHER

    def test_unknown_codes_are_other_not_errors(self) -> None:
        assert sia_meaning("QQ").kind is EventKind.OTHER
        assert cid_meaning("1", "999").kind is EventKind.OTHER
