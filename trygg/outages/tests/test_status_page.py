"""The status page and its calendar feed are public and show no personal data."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client as HttpClient
from icalendar import Calendar

from trygg.outages.constants import OutageKind, OutageStatus, System
from trygg.outages.services import cancel_outage

from .conftest import World
from .helpers import make_outage


def test_it_shows_current_and_planned_outages_without_login(world: World) -> None:
    make_outage(
        world.municipality,
        in_days=-0.05,
        status=OutageStatus.IN_PROGRESS,
        kind=OutageKind.UNPLANNED,
        system=System.LOCKS,
        title="Låsen svarar inte",
    )
    make_outage(world.municipality, in_days=3, title="Besöksappen uppgraderas")
    make_outage(world.municipality, in_days=2, status=OutageStatus.DRAFT, title="Utkast")
    response = HttpClient().get("/status/")
    assert response.status_code == 200
    text = response.text
    assert "Låsen svarar inte" in text
    assert "Besöksappen uppgraderas" in text
    assert "Utkast" not in text
    assert "badge bad" in text  # locks: red
    assert "badge warn" in text  # visit app: amber
    assert "badge ok" in text  # the rest: green


def test_it_gives_away_no_names_reasons_or_notices(world: World) -> None:
    world.welfare_tech.first_name, world.welfare_tech.last_name = "Planhild", "Planeringsson"
    world.welfare_tech.save(update_fields=["first_name", "last_name"])
    make_outage(
        world.municipality,
        in_days=3,
        title="Besöksappen uppgraderas",
        created_by=world.welfare_tech,
        override_reason="Hemlig motivering",
    )
    text = HttpClient().get("/status/").text
    for secret in (
        "Planhild",
        "Planeringsson",
        world.welfare_tech.email,
        "Hemlig motivering",
        world.manager_a.email,
    ):
        assert secret not in text


def test_one_municipality_by_its_code(world: World) -> None:
    make_outage(world.municipality, in_days=3, title="Besöksappen uppgraderas")
    assert "Besöksappen uppgraderas" not in HttpClient().get("/status/?municipality=9200").text
    assert "Besöksappen uppgraderas" in HttpClient().get("/status/?municipality=9100").text


def test_it_costs_two_queries(world: World, django_assert_max_num_queries: object) -> None:
    for days in (1, 2, 3):
        make_outage(world.municipality, in_days=days)
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        HttpClient().get("/status/")


# The feed ---------------------------------------------------------------------------------


def test_the_feed_parses_back_with_one_event_per_announced_outage(world: World) -> None:
    upcoming = make_outage(world.municipality, in_days=3, title="Besöksappen uppgraderas")
    current = make_outage(
        world.municipality,
        in_days=-0.05,
        status=OutageStatus.IN_PROGRESS,
        kind=OutageKind.UNPLANNED,
        system=System.LOCKS,
        title="Låsen svarar inte",
    )
    make_outage(world.municipality, in_days=4, status=OutageStatus.DRAFT, title="Utkast")
    response = HttpClient().get("/status/outages.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"outage-{upcoming.pk}@127.0.0.1", f"outage-{current.pk}@127.0.0.1"}
    event = events[f"outage-{upcoming.pk}@127.0.0.1"]
    assert str(event["SUMMARY"]).endswith(": Besöksappen uppgraderas")
    assert event["DTSTART"].dt == upcoming.starts_at.replace(microsecond=0)
    assert event["DTSTART"].dt.tzinfo is not None
    assert event["DTSTART"].dt.utcoffset() == dt.timedelta(0)
    assert event["DTEND"].dt == upcoming.ends_at.replace(microsecond=0)
    assert "DTSTAMP" in event
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART:" in response.content
    assert re.search(rb"^DTSTART:\d{8}T\d{6}Z\r$", response.content, re.M)


def test_a_cancelled_outage_stays_in_the_feed_as_cancelled_with_the_same_uid(
    world: World,
) -> None:
    outage = make_outage(world.municipality, in_days=3)
    first = Calendar.from_ical(HttpClient().get("/status/outages.ics").content)
    cancel_outage(outage, world.admin)
    second = Calendar.from_ical(HttpClient().get("/status/outages.ics").content)
    [before] = first.walk("VEVENT")
    [after] = second.walk("VEVENT")
    assert before["UID"] == after["UID"]
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_times_are_called_swedish_time_never_a_zone_name(world: World) -> None:
    make_outage(world.municipality, in_days=3, title="Besöksappen uppgraderas")
    text = HttpClient(headers={"cookie": "trygg_language=sv"}).get("/status/").text
    assert "Alla tider är svensk tid." in text
    assert "Europe/" not in text


def test_a_norwegian_municipality_keeps_norwegian_time(world: World) -> None:
    world.municipality.country = "NO"
    world.municipality.time_zone = "Europe/Oslo"
    world.municipality.save()
    make_outage(world.municipality, in_days=3, title="Besøksappen oppgraderes")
    text = HttpClient(headers={"cookie": "trygg_language=nb"}).get("/status/").text
    assert "Alle tider er norsk tid." in text
    assert "Europe/" not in text
