"""The client's record shows the client's recent alarms with how each ended (issue 12), by
the alarm app's rule of who sees which alarm, and the access log names them; the record as
a whole carries the devices' and the orders' sections too, in one logged read."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.alarms import steps
from trygg.alarms.models import Alarm, AlarmCategory, AlarmCause, AlarmKind, AlarmStatus
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, Team, User
from trygg.core.tests.factories import ClientFactory, TeamFactory, make_staff
from trygg.devices.models import AlarmUnit
from trygg.devices.services import place_unit
from trygg.servicedesk import access as desk_access
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import OrderType
from trygg.servicedesk.services import place_order

from .conftest import Place

pytestmark = pytest.mark.django_db


def login(user: User, language: str = "en") -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    return http


def make_alarm(
    place: Place,
    *,
    client: Client | None = None,
    team: Team | None = None,
    kind: str = AlarmKind.ALARM,
    category: str = AlarmCategory.CARE,
    unit: AlarmUnit | None = None,
    ago: dt.timedelta = dt.timedelta(hours=1),
    **fields: Any,
) -> Alarm:
    client = client if client is not None else place.client
    return Alarm.objects.create(
        municipality=place.municipality,
        unit=unit or place.unit(),
        client=client,
        provider=client.provider,
        kind=kind,
        category=category,
        team=team,
        created_at=timezone.now() - ago,
        routed_at=timezone.now() - ago,
        **fields,
    )


def section(page: str, key: str) -> str:
    """The HTML of one section of the record, or '' when the page has none."""
    found = re.search(rf'<section[^>]*id="record-{key}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def record_row(user: User, client: Client) -> AccessLogEntry:
    (row,) = AccessLogEntry.objects.filter(user=user, client=client, action=AccessAction.DETAIL)
    return row


@pytest.fixture
def day_team(place: Place) -> Team:
    return TeamFactory(provider=place.provider, name="Norr dag")


@pytest.fixture
def night_team(place: Place) -> Team:
    return TeamFactory(provider=place.provider, name="Nattpatrullen")


@pytest.fixture
def handled(place: Place, day_team: Team, night_team: Team) -> dict[str, Alarm]:
    """The client's alarms: one the day team went out to and closed, one open at night, an
    old one, a test, and a neighbour's."""
    responder = make_staff(
        Role.CARE_WORKER,
        provider=place.provider,
        teams=[day_team],
        first_name="Rut",
        last_name="Responder",
    )
    fall = make_alarm(place, team=day_team, ago=dt.timedelta(days=2))
    steps.acknowledge_alarm(place.alarm_operator, fall.pk)
    steps.assign_responder(place.alarm_operator, fall.pk, responder)
    steps.mark_on_site(responder, fall.pk)
    steps.close_alarm(responder, fall.pk, AlarmCause.FALL, "Helped up, no injury.")
    return {
        "fall": fall,
        "night": make_alarm(place, team=night_team),
        "old": make_alarm(
            place,
            team=day_team,
            ago=dt.timedelta(days=120),
            status=AlarmStatus.CLOSED,
            closed_at=timezone.now() - dt.timedelta(days=120),
            cause=AlarmCause.BY_MISTAKE,
        ),
        "old_open": make_alarm(
            place, team=night_team, ago=dt.timedelta(days=100), status=AlarmStatus.ACKNOWLEDGED
        ),
        "test": make_alarm(
            place,
            kind=AlarmKind.TEST,
            category=AlarmCategory.TECHNICAL,
            status=AlarmStatus.CLOSED,
            closed_at=timezone.now(),
            ago=dt.timedelta(days=5),
        ),
        "neighbour": make_alarm(place, client=place.neighbour, team=day_team),
        "responder": responder,  # type: ignore[dict-item]
    }


def test_the_alarm_centre_sees_the_clients_recent_alarms_and_how_they_ended(
    place: Place, handled: dict[str, Any]
) -> None:
    page = login(place.alarm_operator).get(f"/clients/{place.client.pk}/").content.decode()
    alarms = section(page, "alarms")
    fall, night, old_open = handled["fall"], handled["night"], handled["old_open"]
    for alarm in (fall, night, old_open):  # an alarm still in hand is shown whatever its age
        assert f'id="record-alarm-{alarm.pk}"' in alarms
        assert f'href="/alarms/{alarm.pk}/?next=/clients/{place.client.pk}/"' in alarms
    for alarm in (handled["old"], handled["test"], handled["neighbour"]):
        assert f"record-alarm-{alarm.pk}" not in alarms
    closed = alarms[alarms.index(f"record-alarm-{fall.pk}") :].split("</tr>")[0]
    assert "Fall" in closed
    assert "Rut Responder" in closed  # who went out
    assert "on site" in closed
    assert "Not acknowledged" in alarms.split(f"record-alarm-{night.pk}")[1].split("</tr>")[0]
    assert "Last test alarm:" in alarms
    # One row for the record, naming the alarms it showed.
    row = record_row(place.alarm_operator, place.client)
    assert sorted(row.shown["alarms"]) == sorted(f"#{a.pk}" for a in (fall, night, old_open))


def test_a_care_worker_sees_the_alarms_sent_to_their_team_and_is_told_so(
    place: Place, handled: dict[str, Any], day_team: Team
) -> None:
    page = login(handled["responder"]).get(f"/clients/{place.client.pk}/").content.decode()
    alarms = section(page, "alarms")
    assert f"record-alarm-{handled['fall'].pk}" in alarms
    assert f"record-alarm-{handled['night'].pk}" not in alarms  # the night patrol's
    assert "Alarms sent to your teams." in alarms
    assert record_row(handled["responder"], place.client).shown["alarms"] == [
        f"#{handled['fall'].pk}"
    ]
    # Another client of theirs, with no alarm sent to the team: the section says just that.
    quiet_client = ClientFactory(provider=place.provider)
    quiet = login(handled["responder"]).get(f"/clients/{quiet_client.pk}/").content.decode()
    assert "No alarms sent to your teams in the last 90 days." in section(quiet, "alarms")
    assert "The last 90 days, and" not in section(quiet, "alarms")


def test_someone_who_sees_no_alarms_gets_no_alarm_section(
    place: Place, handled: dict[str, Any]
) -> None:
    page = login(place.care_worker).get(f"/clients/{place.client.pk}/").content.decode()
    assert section(page, "alarms") == ""
    assert "alarms" not in record_row(place.care_worker, place.client).shown


def test_an_empty_alarm_section_says_so(place: Place) -> None:
    page = login(place.alarm_operator).get(f"/clients/{place.client.pk}/").content.decode()
    assert "No alarms in the last 90 days." in section(page, "alarms")
    assert record_row(place.alarm_operator, place.client).shown["alarms"] == []


def test_swedish_readers_get_the_section_in_swedish(place: Place, handled: dict[str, Any]) -> None:
    page = login(place.alarm_operator, "sv").get(f"/clients/{place.client.pk}/").content.decode()
    alarms = section(page, "alarms")
    assert "Larm" in alarms
    assert "Stängt" in alarms or "Avslutat" in alarms
    assert "Ej kvitterat" in alarms
    assert "The last 90 days" not in alarms


def test_the_night_patrol_of_another_provider_never_sees_the_record(
    place: Place, handled: dict[str, Any]
) -> None:
    """It may see and answer the client's alarm, with its own logged read, but not open the
    client's record: the provider is the secrecy boundary."""
    patrol_team = TeamFactory(provider=place.other_provider, name="Kommunens nattpatrull")
    patrol = make_staff(Role.NIGHT_SUPERVISOR, provider=place.other_provider, teams=[patrol_team])
    alarm = make_alarm(place, team=patrol_team)
    http = login(patrol)
    assert http.get(f"/alarms/{alarm.pk}/").status_code == 200
    assert http.get(f"/clients/{place.client.pk}/").status_code == 404
    assert not AccessLogEntry.objects.filter(user=patrol, action=AccessAction.DETAIL).exclude(
        path=f"/alarms/{alarm.pk}/"
    )


def test_the_whole_record_is_one_logged_read_naming_every_section(
    place: Place, handled: dict[str, Any]
) -> None:
    """Devices, alarms and orders on one page: one access-log row for the record, with what
    each section showed; nothing of another client or provider."""
    ensure_default_catalogue(place.municipality)
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=dt.date(2025, 1, 1))
    leader = make_staff(Role.TEAM_LEADER, provider=place.provider)
    order_type = OrderType.objects.get(municipality=place.municipality, code="lock_fault")
    order = place_order(
        leader,
        order_type,
        {"client": str(place.client.pk), "fault": "The lock does not answer."},
        provider=place.provider,
        clients=desk_access.order_clients(leader, place.municipality.pk),
    )
    other_order = place_order(
        make_staff(Role.TEAM_LEADER, provider=place.other_provider),
        order_type,
        {"client": str(place.other_client.pk), "fault": "Another client's lock."},
        provider=place.other_provider,
        clients=Client.objects.filter(pk=place.other_client.pk),
    )
    page = login(place.manager).get(f"/clients/{place.client.pk}/").content.decode()
    assert page.index('id="record-devices"') < page.index('id="record-alarms"')
    assert page.index('id="record-alarms"') < page.index('id="record-orders"')
    assert f'href="/orders/{order.pk}/"' in section(page, "orders")
    assert other_order.number not in page
    row = record_row(place.manager, place.client)
    assert row.shown == {
        "devices": [unit.serial_number],
        "alarms": row.shown["alarms"],
        "orders": [order.number],
        # The sections of the apps above, shown empty for this client: named all the same.
        "tags": [],
        "supervision": [],
        "key_receipts": [],
    }
    assert f"#{handled['fall'].pk}" in row.shown["alarms"]
    assert f"#{handled['neighbour'].pk}" not in row.shown["alarms"]
    assert not row.flagged
    # The review shows what the read showed.
    review = login(place.auditor).get("/audit/access-log/").content.decode()
    assert f"Orders: {order.number}" in review
    assert f"Alarm units and devices: {unit.serial_number}" in review
