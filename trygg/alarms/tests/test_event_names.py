"""An alarm names what the unit reported in the reader's language, never as a bare code."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone, translation

from trygg.alarms.event_names import event_name, shown_code, unit_text
from trygg.alarms.models import (
    CONNECTION_RESTORED_CODE,
    Alarm,
    AlarmCategory,
    AlarmKind,
)
from trygg.core.models import User
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.receivers.dc09.events import CID_CODES, SIA_CODES
from trygg.receivers.scaip.scaip import STATUS_CODE_LABELS

from .conftest import Place


@pytest.mark.parametrize(
    ("protocol", "code", "swedish"),
    [
        ("dc09", "MA", "Medicinskt larm"),
        ("dc09", "QA", "Nödlarm, larmknapp"),
        ("dc09", "NA", "Ingen aktivitet (inaktivitetslarm)"),
        ("dc09", "YT", "Batterifel i larmenheten"),
        ("dc09", "E101", "Personligt nödlarm"),
        ("dc09", "R101", "Återställt: Personligt nödlarm"),
        ("dc09", "P641", "Inaktivitetslarm (kvarstår)"),
        ("scaip", "0010", "Larmknappen tryckt"),
        ("scaip", "0009", "Automatiskt larm (falldetektor eller sensor)"),
        ("scaip", "RE", "Återställt vid enheten"),
    ],
)
def test_a_known_code_is_named_in_swedish(protocol: str, code: str, swedish: str) -> None:
    with translation.override("sv"):
        assert event_name(protocol, code) == swedish


def test_every_code_trygg_knows_has_a_swedish_and_a_norwegian_name() -> None:
    labels = [m.label for m in (*SIA_CODES.values(), *CID_CODES.values())]
    labels += list(STATUS_CODE_LABELS.values())
    for language in ("sv", "nb"):
        with translation.override(language):
            untranslated = [label for label in labels if translation.gettext(label) == label]
        assert not untranslated, (language, untranslated[:5])


def test_an_unknown_code_has_no_name_and_is_shown_as_the_technician_looks_it_up() -> None:
    assert event_name("dc09", "XX") is None
    assert event_name("scaip", "0999") is None
    assert event_name("api", "BUTTON") is None
    assert shown_code("dc09", "XX") == "SIA XX"
    assert shown_code("dc09", "E101") == "Contact ID E101"
    assert shown_code("scaip", "0010") == "SCAIP 0010"
    assert shown_code("dc09", CONNECTION_RESTORED_CODE) == ""  # Trygg's own, not the unit's


def test_only_words_the_unit_sent_are_shown_as_its_text() -> None:
    assert unit_text("dc09", "MA", "Medical alarm") == ""  # the codec's own label
    assert unit_text("dc09", "R101", "Personal emergency restore") == ""
    assert unit_text("dc09", "XX", "SIA XX") == ""
    assert unit_text("dc09", "MA", "Sovrum") == "Sovrum"
    assert unit_text("scaip", "0010", "Kök") == "Kök"
    assert unit_text("api", "BUTTON", "Alarm button") == "Alarm button"


def _alarm(place: Place, unit: AlarmUnit, **fields: str) -> Alarm:
    kind = fields.pop("kind", AlarmKind.ALARM)
    return Alarm.objects.create(
        municipality=place.municipality,
        unit=unit,
        client=place.client,
        provider=place.client.provider,
        kind=kind,
        category=AlarmCategory.CARE if kind == AlarmKind.ALARM else AlarmCategory.TECHNICAL,
        routed_at=timezone.now(),
        **fields,
    )


def _page(user: User, alarm: Alarm, language: str = "sv") -> str:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    text = http.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_alarm_page_shows_the_alarm_type_in_swedish_and_the_code_small(place: Place) -> None:
    alarm = _alarm(place, place.unit(), code="MA", zone="1", text="Medical alarm")

    main = _page(place.alarm_operator, alarm)

    assert "<dt>Larmtyp</dt>" in main
    assert '<dd id="event-name">Medicinskt larm<br><span class="small muted">SIA MA, zon 1' in main
    assert "Medical alarm" not in main
    assert "Kod MA" not in main


def test_the_alarm_page_names_a_scaip_event_and_keeps_the_units_own_words(
    place: Place,
) -> None:
    unit = place.unit(protocol=AlarmProtocol.SCAIP)
    alarm = _alarm(place, unit, code="0010", zone="2", text="Sovrum")

    main = _page(place.alarm_operator, alarm)

    assert "Larmknappen tryckt<br>Sovrum" in main
    assert "SCAIP 0010, zon 2" in main


def test_a_lost_connection_shows_no_code(place: Place) -> None:
    alarm = _alarm(
        place,
        place.unit(),
        kind=AlarmKind.CONNECTION_LOST,
        code=CONNECTION_RESTORED_CODE,
        text="Connection lost",
    )

    main = _page(place.alarm_operator, alarm)

    assert '<dd id="event-name">Förbindelsen bruten</dd>' in main
    assert "connection" not in main.lower().replace("data-", "")


def test_the_console_names_the_event_under_the_kind(place: Place) -> None:
    _alarm(
        place, place.unit(), kind=AlarmKind.LOW_BATTERY, code="YT", text="System battery trouble"
    )
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    http.force_login(place.alarm_operator)

    page = http.get(reverse("alarms:console")).content.decode()

    assert "Batterifel i larmenheten" in page
    assert "System battery trouble" not in page
