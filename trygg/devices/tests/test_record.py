"""The client's record shows the alarm units in the client's home (issue 12): whether the
unit is connected, since when it is there, the units removed lately; the wire identity for
those who look after units; a link to the unit's page for those who may open it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, User
from trygg.core.tests.factories import make_staff
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.services import end_placement, place_unit

from .places import Place

pytestmark = pytest.mark.django_db


def login(user: User, language: str = "en") -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    return http


def devices_section(user: User, client: Client, language: str = "en") -> str:
    page = login(user, language).get(f"/clients/{client.pk}/").content.decode()
    found = re.search(r'<section[^>]*id="record-devices".*?</section>', page, re.S)
    assert found, "no devices section"
    return found.group(0)


def shown(user: User, client: Client) -> list[str]:
    (row,) = AccessLogEntry.objects.filter(user=user, client=client, action=AccessAction.DETAIL)
    return list(row.shown["devices"])


@pytest.fixture
def units(place: Place) -> dict[str, AlarmUnit]:
    """A unit in the client's home now (heard from, then silent), one taken away last year,
    and the neighbour's."""
    today = place.municipality.today()
    old = place.unit()
    placement = place_unit(place.tech, old, client=place.client, active_from=dt.date(2024, 1, 1))
    end_placement(place.tech, placement, today - dt.timedelta(days=200))
    current = place.unit(protocol=AlarmProtocol.SCAIP)
    place_unit(place.tech, current, client=place.client, active_from=today - dt.timedelta(days=199))
    AlarmUnit.objects.filter(pk=current.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(hours=2), connection_lost=True
    )
    neighbours = place.unit()
    place_unit(place.tech, neighbours, client=place.neighbour, active_from=dt.date(2025, 1, 1))
    return {"old": old, "current": current, "neighbours": neighbours}


def test_care_staff_see_the_clients_units_and_whether_they_are_connected(
    place: Place, units: dict[str, AlarmUnit]
) -> None:
    html = devices_section(place.care_worker, place.client)
    current = html.split(f'id="record-unit-{units["current"].pk}"')[1].split("</tr>")[0]
    assert units["current"].serial_number in current
    assert "In use" in current
    assert "Connection lost" in current
    assert "last heard" in current
    removed = html.split(f'id="record-unit-{units["old"].pk}"')[1].split("</tr>")[0]
    assert "Removed" in removed
    assert units["neighbours"].serial_number not in html
    # The wire identity and the register are for those who look after units.
    assert "SCAIP" not in html
    assert units["current"].scaip_controller_id not in html
    assert "/admin/" not in html
    assert sorted(shown(place.care_worker, place.client)) == sorted(
        [units["current"].serial_number, units["old"].serial_number]
    )


def test_the_welfare_technology_team_sees_how_each_unit_reports(
    place: Place, units: dict[str, AlarmUnit]
) -> None:
    html = devices_section(place.tech, place.client)
    assert "SCAIP (SS 91100)" in html
    assert units["current"].scaip_controller_id in html
    assert "encryption" not in html.lower()


def test_the_administrator_opens_the_unit_in_the_register(
    place: Place, units: dict[str, AlarmUnit]
) -> None:
    html = devices_section(place.admin, place.client)
    assert f'href="/admin/devices/alarmunit/{units["current"].pk}/change/"' in html
    change_page = f"/admin/devices/alarmunit/{units['current'].pk}/change/"
    assert login(place.admin).get(change_page).status_code == 200


def test_a_client_without_units_is_told_so(place: Place) -> None:
    html = devices_section(place.care_worker, place.neighbour)
    assert "No alarm unit or other device is registered with the client." in html
    assert shown(place.care_worker, place.neighbour) == []


def test_another_providers_staff_never_see_the_section(
    place: Place, units: dict[str, AlarmUnit]
) -> None:
    stranger = make_staff(Role.PROVIDER_MANAGER, provider=place.other_provider)
    assert login(stranger).get(f"/clients/{place.client.pk}/").status_code == 404
    assert not AccessLogEntry.objects.filter(user=stranger).exists()


def test_swedish_readers_get_the_section_in_swedish(
    place: Place, units: dict[str, AlarmUnit]
) -> None:
    html = devices_section(place.care_worker, place.client, "sv")
    assert "Larmenheter" in html
    assert "Förbindelsen bruten" in html
    assert "In use" not in html
    assert "last heard" not in html
