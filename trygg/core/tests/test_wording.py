"""Values written as people say them: language names, "svensk tid", "7 dec 14:05", money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import Client as HttpClient
from django.utils import timezone, translation

from trygg.core.constants import Role
from trygg.core.languages import language_name, language_names
from trygg.core.moments import day_text, moment_text, month_text

from .factories import ClientFactory, MunicipalityFactory, ProviderFactory, make_staff

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NBSP = "\u00a0"


def render(source: str, language: str = "sv", **context: object) -> str:
    with translation.override(language):
        return Template("{% load wording %}" + source).render(Context(context))


# Language names ------------------------------------------------------------------------


def test_language_codes_read_as_names_in_the_readers_language() -> None:
    with translation.override("sv"):
        assert language_names(["sv", "fi"]) == "svenska, finska"
        assert language_name("so") == "somaliska"
    with translation.override("nb"):
        assert language_names(["sv", "ar"]) == "svensk, arabisk"
    with translation.override("en"):
        assert language_names(["fa", "sv"]) == "Persian, Swedish"


def test_an_unlisted_code_is_shown_as_it_is_rather_than_hidden() -> None:
    with translation.override("sv"):
        assert language_names(["sv", "wo"]) == "svenska, wo"


@pytest.mark.django_db
def test_the_client_record_names_the_languages_not_their_codes() -> None:
    client = ClientFactory(languages="fi,sv")
    worker = make_staff(Role.PROVIDER_MANAGER, provider=client.provider)
    http = HttpClient()
    http.force_login(worker)
    main = http.get(f"/clients/{client.pk}/").text.split("<main", 1)[1]
    assert "<dd>finska, svenska</dd>" in main
    assert "<dd>fi, sv</dd>" not in main


# The municipality's clock --------------------------------------------------------------


@pytest.mark.django_db
def test_a_municipalitys_time_is_named_by_its_country() -> None:
    sweden = MunicipalityFactory(country="SE", time_zone="Europe/Stockholm")
    norway = MunicipalityFactory(country="NO", time_zone="Europe/Oslo")
    with translation.override("sv"):
        assert sweden.clock_name == "svensk tid"
        assert norway.clock_name == "norsk tid"
    with translation.override("nb"):
        assert norway.clock_name == "norsk tid"
    with translation.override("en"):
        assert sweden.clock_name == "Swedish time"


@pytest.mark.django_db
def test_a_zone_not_the_countrys_own_is_named_rather_than_called_swedish_time() -> None:
    odd = MunicipalityFactory(country="SE", time_zone="UTC")
    assert odd.clock_name == "UTC"


@pytest.mark.django_db
def test_the_call_out_form_says_swedish_time() -> None:
    provider = ProviderFactory()
    tech = make_staff(Role.WELFARE_TECH, municipality=provider.municipality)
    http = HttpClient()
    http.force_login(tech)
    page = http.get(f"/support/call-outs/new/?municipality={provider.municipality.pk}").text
    assert "Alla tider är svensk tid." in page
    assert "Europe/" not in page


# Moments -------------------------------------------------------------------------------


def test_a_moment_reads_as_day_month_and_time() -> None:
    this_year = timezone.now().astimezone(STOCKHOLM).year
    moment = dt.datetime(this_year, 12, 7, 14, 5, 33, tzinfo=STOCKHOLM)
    with translation.override("sv"):
        assert moment_text(moment) == "7 dec 14:05"
        assert moment_text(moment, seconds=True) == "7 dec 14:05:33"
        assert moment_text(moment, weekday=True, this_year=this_year).endswith("7 dec 14:05")
    with translation.override("nb"):
        assert moment_text(moment) == "7. des 14:05"
    with translation.override("en"):
        assert moment_text(moment) == "7 Dec 14:05"


def test_a_moment_of_another_year_says_the_year() -> None:
    moment = dt.datetime(2025, 5, 2, 9, 0, tzinfo=STOCKHOLM)
    with translation.override("sv"):
        assert moment_text(moment, this_year=2026) == "2 maj 2025 09:00"
        assert moment_text(moment, weekday=True, this_year=2026) == "fre 2 maj 2025 09:00"


def test_the_moment_filter_uses_the_pages_time_zone_and_never_iso() -> None:
    utc = dt.datetime(timezone.now().year, 12, 7, 13, 5, tzinfo=dt.UTC)
    with timezone.override(STOCKHOLM):
        text = render("{{ at|moment }}", at=utc)
    assert text == "7 dec 14:05"
    assert render("{{ at|moment|default:'—' }}", at=None) == "—"


def test_days_and_months_read_as_people_say_them() -> None:
    """A night in a report, a battery's change-by day, a month of figures: "mån 7 dec",
    "dec 2026", never "7 Dec" in a Swedish page."""
    this_year = timezone.localdate().year
    monday = dt.date(2026, 12, 7)
    with translation.override("sv"):
        assert day_text(dt.date(this_year, 12, 7)) == "7 dec"
        assert day_text(monday, weekday=True, this_year=2026) == "mån 7 dec"
        assert day_text(monday, this_year=2027) == "7 dec 2026"
        assert month_text(monday) == "dec 2026"
        assert render("{{ d|day:'weekday' }}", d=dt.date(this_year, 5, 2)).endswith("2 maj")
        assert render("{{ d|month }}", d=monday) == "dec 2026"
    with translation.override("nb"):
        assert day_text(monday, this_year=2026) == "7. des"
        assert month_text(monday) == "des. 2026"
    assert render("{{ d|day|default:'—' }}", d=None) == "—"


# Money ---------------------------------------------------------------------------------


def test_the_money_filter_writes_kronor_the_readers_way() -> None:
    assert render("{{ fee|money:'SEK' }}", fee=Decimal("9800.00")) == f"9{NBSP}800{NBSP}kr"
    assert render("{{ fee|money:'NOK' }}", "nb", fee=Decimal("10000")) == f"10{NBSP}000{NBSP}kr"
    assert render("{{ fee|money:'SEK' }}", "en", fee=Decimal("9800")) == f"SEK{NBSP}9,800"
