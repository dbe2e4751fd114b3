"""The sensor pages: who sees which events and rules, who sets the rules, every viewing in
the access log, the client record's section, and the report of sensor alarms and response
times with its CSV and XLSX, a provider seeing only its own clients."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from trygg.alarms.models import Alarm, AlarmPriority
from trygg.core.constants import AccessAction, ConsentRelation, Role, Technology
from trygg.core.models import AccessLogEntry, Consent
from trygg.core.tests.factories import make_staff
from trygg.devices import services as device_services
from trygg.devices.models import AlarmProtocol, AlarmUnitKind
from trygg.sensors import services
from trygg.sensors.models import SensorEvent, SensorRule

from .conftest import Room, login

pytestmark = pytest.mark.django_db


def record(room: Room, kind: str, minutes_ago: int = 1, n: int = 0, camera: Any = None) -> None:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    services.record_sensor_events(
        camera or room.camera, [services.ReportedEvent(f"{kind}-{n}-{minutes_ago}", kind, at)]
    )


def other_camera(room: Room) -> Any:
    camera = room.place.unit(protocol=AlarmProtocol.API, kind=AlarmUnitKind.INFRARED_CAMERA)
    device_services.place_unit(
        room.place.tech, camera, client=room.place.other_client, active_from=dt.date(2025, 1, 1)
    )
    return camera


def main_of(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_the_events_page_lists_the_providers_own_clients_and_logs_it(room: Room) -> None:
    record(room, "fall")
    record(room, "left_room", camera=other_camera(room))
    response = login(room.night).get("/sensors/")
    assert response.status_code == 200
    main = main_of(response)
    mine = SensorEvent.objects.get(client=room.place.client)
    theirs = SensorEvent.objects.get(client=room.place.other_client)
    assert f'id="sensor-event-{mine.pk}"' in main
    assert f'id="sensor-event-{theirs.pk}"' not in main
    assert room.place.other_client.last_name not in main
    logged = AccessLogEntry.objects.filter(user=room.night, action=AccessAction.LIST)
    assert set(logged.values_list("client", flat=True)) == {room.place.client.pk}


def test_the_welfare_technology_team_sees_only_the_cameras_own_reports(room: Room) -> None:
    record(room, "fall")
    record(room, "covered")
    main = main_of(login(room.place.tech).get("/sensors/"))
    covered = SensorEvent.objects.get(kind="covered")
    fall = SensorEvent.objects.get(kind="fall")
    assert f'id="sensor-event-{covered.pk}"' in main
    assert f'id="sensor-event-{fall.pk}"' not in main
    page = login(room.place.tech).get(f"/sensors/clients/{room.place.client.pk}/")
    assert page.status_code == 200
    assert f'id="sensor-event-{fall.pk}"' not in main_of(page)
    assert 'id="rule-' in main_of(page)  # rules are read, not changed
    assert "Add a rule" not in main_of(page)


def test_a_filter_that_does_not_parse_lists_nothing(room: Room) -> None:
    record(room, "fall")
    response = login(room.place.manager).get("/sensors/?since=2026-13-01")
    assert response.status_code == 400
    assert 'id="sensor-event-' not in main_of(response)


def test_another_providers_client_is_not_found(room: Room) -> None:
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=room.place.other_provider)
    http = login(other_manager)
    assert http.get(f"/sensors/clients/{room.place.client.pk}/").status_code == 404
    rule = SensorRule.objects.filter(client=room.place.client).first()
    assert rule is not None
    url = f"/sensors/clients/{room.place.client.pk}/rules/{rule.pk}/delete/"
    assert http.post(url).status_code == 404
    assert SensorRule.objects.filter(pk=rule.pk).exists()


def test_the_client_page_shows_camera_consent_rules_and_events_and_logs_them(room: Room) -> None:
    Consent.objects.create(
        client=room.place.client,
        technology=Technology.SENSOR_SUPERVISION,
        given_by="Anna Andersson",
        relation=ConsentRelation.CLIENT,
        given_on=dt.date(2026, 1, 10),
        review_on=dt.date(2026, 7, 10),
    )
    record(room, "fall")
    response = login(room.place.manager, language="sv").get(
        f"/sensors/clients/{room.place.client.pk}/"
    )
    main = main_of(response)
    assert room.camera.serial_number in main
    assert "Anna Andersson" in main
    assert "Skulle ha omprövats 2026-07-10" in main or "Omprövas senast 2026-07-10" in main
    assert "Larm, hög prioritet" in main
    entry = AccessLogEntry.objects.get(user=room.place.manager, action=AccessAction.DETAIL)
    assert entry.client == room.place.client
    assert entry.shown is not None
    assert entry.shown["sensors"] == [f"#{SensorEvent.objects.get().pk}"]
    assert len(entry.shown["sensor_rules"]) == 2


def test_a_missing_consent_is_said_on_the_page(room: Room) -> None:
    response = login(room.place.manager).get(f"/sensors/clients/{room.place.client.pk}/")
    assert "No consent to sensor supervision is recorded" in main_of(response)


def test_the_manager_adds_changes_and_removes_a_rule(room: Room) -> None:
    http = login(room.place.manager)
    url = f"/sensors/clients/{room.place.client.pk}/"
    form = {"kind": "bathroom_too_long", "starts": "22:00", "ends": "07:00", "priority": "1"}
    assert http.post(url, form).status_code == 302
    rule = SensorRule.objects.get(kind="bathroom_too_long")
    assert (rule.starts, rule.ends, rule.priority) == (dt.time(22), dt.time(7), 1)
    assert rule.changed_by == room.place.manager
    # Overlapping hours for the same event: refused with the reason, nothing saved.
    clash = {**form, "starts": "06:00", "ends": "08:00"}
    refused = http.post(url, clash)
    assert refused.status_code == 400
    assert "already a rule" in main_of(refused)
    assert SensorRule.objects.filter(kind="bathroom_too_long").count() == 1
    edit = f"{url}rules/{rule.pk}/"
    assert http.post(edit, {**form, "starts": "21:00", "priority": "2"}).status_code == 302
    rule.refresh_from_db()
    assert (rule.starts, rule.priority) == (dt.time(21), AlarmPriority.NORMAL)
    assert http.post(f"{edit}delete/").status_code == 302
    assert not SensorRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_form_with_bad_times_says_so(room: Room) -> None:
    http = login(room.place.manager, language="sv")
    url = f"/sensors/clients/{room.place.client.pk}/"
    response = http.post(url, {"kind": "fall", "starts": "", "ends": "25:00", "priority": "9"})
    assert response.status_code == 400
    assert "Ange när regeln börjar." in main_of(response)


@pytest.mark.parametrize("role", ["night", "tech", "care_worker"])
def test_only_leaders_and_administrators_set_rules(room: Room, role: str) -> None:
    user = {"night": room.night, "tech": room.place.tech, "care_worker": room.place.care_worker}[
        role
    ]
    url = f"/sensors/clients/{room.place.client.pk}/"
    form = {"kind": "left_room", "starts": "22:00", "ends": "07:00", "priority": "2"}
    assert login(user).post(url, form).status_code in (403, 404)
    assert not SensorRule.objects.filter(kind="left_room").exists()


def test_the_administrator_sets_rules_for_any_providers_client(room: Room) -> None:
    url = f"/sensors/clients/{room.place.other_client.pk}/"
    form = {"kind": "left_room", "starts": "22:00", "ends": "07:00", "priority": "2"}
    assert login(room.place.admin).post(url, form).status_code == 302


def test_the_client_record_shows_the_sensor_section(room: Room) -> None:
    record(room, "fall")
    response = login(room.place.manager).get(f"/clients/{room.place.client.pk}/")
    main = main_of(response)
    assert 'id="record-sensors"' in main
    assert room.camera.serial_number in main
    entry = AccessLogEntry.objects.get(user=room.place.manager, action=AccessAction.DETAIL)
    assert entry.shown is not None
    assert f"#{SensorEvent.objects.get().pk}" in entry.shown["sensors"]


def _handled(room: Room) -> Alarm:
    record(room, "fall", minutes_ago=30)
    alarm = Alarm.objects.get()
    Alarm.objects.filter(pk=alarm.pk).update(
        acknowledged_at=alarm.created_at + dt.timedelta(minutes=2),
        on_site_at=alarm.created_at + dt.timedelta(minutes=14),
    )
    return alarm


def test_the_report_counts_alarms_and_response_times_per_client_and_month(room: Room) -> None:
    _handled(room)
    record(room, "fall", minutes_ago=5, n=1)  # not acknowledged yet
    record(room, "fall", minutes_ago=5, camera=other_camera(room))
    response = login(room.place.manager).get("/sensors/report/")
    assert response.status_code == 200
    main = main_of(response)
    month = f"{room.place.municipality.today():%Y-%m}"
    row = f'id="report-{month}-{room.place.client.pk}"'
    assert row in main
    assert f'id="report-{month}-{room.place.other_client.pk}"' not in main
    csv = login(room.place.manager).get("/sensors/report/?format=csv").content.decode("utf-8-sig")
    lines = [line.split(";") for line in csv.strip().splitlines()]
    assert lines[0][:3] == ["Month", "Client", "Alarms"]
    assert len(lines) == 2
    assert lines[1][0] == month
    assert lines[1][2:5] == ["2", "2", "1"]  # two alarms, both high, one not acknowledged
    assert lines[1][5] == "2.0"
    assert lines[1][8] == "14.0"
    exported = AccessLogEntry.objects.filter(user=room.place.manager, action=AccessAction.EXPORT)
    assert list(exported.values_list("client", flat=True)) == [room.place.client.pk]


def test_the_report_as_a_workbook(room: Room) -> None:
    _handled(room)
    response = login(room.place.admin).get("/sensors/report/?format=xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == room.place.client.full_name
    assert rows[1][2] == 1
    assert rows[1][5] == 2.0


@pytest.mark.parametrize("query", ["first=2026-13", "first=2026-05&last=2026-01", "last=x"])
def test_a_report_period_that_does_not_parse_is_refused(room: Room, query: str) -> None:
    response = login(room.place.manager).get(f"/sensors/report/?{query}")
    assert response.status_code == 400
    assert login(room.place.manager).get(f"/sensors/report/?{query}&format=csv").status_code == 400


def test_the_care_worker_has_no_sensor_pages(room: Room) -> None:
    http = login(room.place.care_worker)
    assert http.get("/sensors/").status_code == 403
    assert http.get("/sensors/report/").status_code == 403
