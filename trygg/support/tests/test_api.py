"""The JSON API: who to call, the catalogue and the call-out register."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from trygg.core.models import User
from trygg.core.tests.factories import TeamFactory
from trygg.support.models import CallOut, Service

from .conftest import Place

pytestmark = pytest.mark.django_db

Login = Callable[[User], HttpClient]
BASE = "/api/v1/support"


def test_it_requires_a_session() -> None:
    assert HttpClient().get(f"{BASE}/who-to-call").status_code == 401


def test_who_to_call_at_lunch_gives_the_district_line(place: Place, login: Login) -> None:
    http = login(place.people["care_worker"])
    response = http.get(
        f"{BASE}/who-to-call",
        {"system": "locks", "district": place.norr.pk, "at": "2025-03-11T12:30:00+01:00"},
    )
    assert response.status_code == 200
    [answer] = response.json()
    assert answer["reason"] == "lunch"
    assert answer["line"]["name"] == "Larmorganisation Norr"
    assert answer["next_opening"].startswith("2025-03-11T13:00:00+01:00")
    assert answer["out_of_hours"] is True


def test_a_time_without_zone_is_the_municipalitys_local_time(place: Place, login: Login) -> None:
    http = login(place.people["care_worker"])
    response = http.get(f"{BASE}/who-to-call", {"system": "locks", "at": "2025-04-17T12:59:00"})
    [answer] = response.json()
    assert answer["reason"] == "open_short_day"
    assert answer["open_until"].startswith("2025-04-17T13:00:00+02:00")
    assert answer["holiday"]


def test_without_a_system_every_system_is_answered(place: Place, login: Login) -> None:
    response = login(place.people["auditor"]).get(f"{BASE}/who-to-call")
    systems = [a["system"] for a in response.json()]
    assert systems == ["visit_app", "locks", "alarms", "cameras", "sensors", "phones"]


@pytest.mark.parametrize(
    "params",
    [{"system": "toaster"}, {"at": "yesterday"}, {"district": "north"}],
)
def test_bad_parameters_are_rejected(place: Place, login: Login, params: dict[str, str]) -> None:
    response = login(place.people["care_worker"]).get(f"{BASE}/who-to-call", params)
    assert response.status_code == 422


def test_a_district_one_cannot_see_is_rejected(place: Place, login: Login) -> None:
    elsewhere = TeamFactory()
    response = login(place.people["care_worker"]).get(
        f"{BASE}/who-to-call", {"district": elsewhere.pk}
    )
    assert response.status_code == 400
    assert "district" in response.json()["detail"]


def test_services_list_the_catalogue(place: Place, login: Login) -> None:
    response = login(place.people["care_worker"]).get(f"{BASE}/services")
    assert response.status_code == 200
    by_system = {s["system"]: s for s in response.json()}
    assert Decimal(by_system["cameras"]["call_out_fee"]) == Decimal("9800")
    assert by_system["cameras"]["currency"] == "SEK"
    assert any("Låsfellinjen" in h for h in by_system["locks"]["support_hours"])


def test_call_outs_are_listed_for_the_auditor(place: Place, login: Login) -> None:
    response = login(place.people["auditor"]).get(f"{BASE}/call-outs")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert Decimal(body["totals"]["SEK"]) == Decimal("24100")


@pytest.mark.parametrize("who", ["care_worker", "provider_manager", "alarm_operator"])
def test_call_outs_are_forbidden_to_others(place: Place, login: Login, who: str) -> None:
    http = login(place.people[who])
    assert http.get(f"{BASE}/call-outs").status_code == 403
    assert _post(http, _payload(place)).status_code == 403


def _payload(place: Place, **overrides: Any) -> dict[str, Any]:
    cameras = Service.objects.get(municipality=place.municipality, system="cameras")
    payload = {
        "service_id": cameras.pk,
        "at": "2025-03-10T23:15:00+01:00",
        "vendor": "Nattöga AB",
        "reason": "Kamera ur funktion",
        "cost": "9800.00",
        "currency": "SEK",
        "ordered_by_id": place.people["night_supervisor"].pk,
        "approved_by_id": place.people["welfare_tech"].pk,
    }
    payload.update(overrides)
    return payload


def _post(http: HttpClient, payload: dict[str, Any]) -> Any:
    return http.post(f"{BASE}/call-outs", json.dumps(payload), content_type="application/json")


def test_the_welfare_technology_team_records_a_call_out(place: Place, login: Login) -> None:
    response = _post(login(place.people["welfare_tech"]), _payload(place))
    assert response.status_code == 201
    created = CallOut.objects.get(pk=response.json()["id"])
    assert created.cost == Decimal("9800.00")
    assert created.recorded_by == place.people["welfare_tech"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cost": "-1"}, "cost"),
        ({"currency": "EUR"}, "currency"),
        ({"at": "2099-01-01T10:00:00+01:00"}, "at"),
        ({"service_id": 999999}, "service_id"),
        ({"approved_by_id": 999999}, "approved_by_id"),
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_call_outs_are_rejected_with_a_message(
    place: Place, login: Login, overrides: dict[str, Any], field: str
) -> None:
    before = CallOut.objects.count()
    response = _post(login(place.people["welfare_tech"]), _payload(place, **overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert field in body["errors"]
    assert CallOut.objects.count() == before


def test_a_cost_that_is_not_a_number_is_rejected(place: Place, login: Login) -> None:
    response = _post(login(place.people["welfare_tech"]), _payload(place, cost="lots"))
    assert response.status_code == 422


SATURDAY_NIGHT = "2025-03-15T23:00:00"


def test_a_private_providers_staff_are_told_the_it_support_is_not_theirs(
    place: Place, login: Login
) -> None:
    response = login(place.people["care_worker"]).get(
        f"{BASE}/who-to-call",
        {"system": "phones", "at": SATURDAY_NIGHT},
        headers={"accept-language": "sv"},
    )
    assert response.status_code == 200
    [answer] = response.json()
    assert answer["reason"] == "not_for_caller"
    assert answer["line"] is None
    assert "070-174 06 21" not in response.text  # the municipal on-call
    names = {item["name"] for item in answer["not_for_caller"]}
    assert names == {"IT- och telefonisupport", "Beredskap välfärdsteknik"}
    assert any("eget företags IT-support" in i["explanation"] for i in answer["not_for_caller"])
    assert answer["accounts"] is None


def test_municipal_staff_get_the_on_call_and_where_accounts_go(place: Place, login: Login) -> None:
    response = login(place.people["welfare_tech"]).get(
        f"{BASE}/who-to-call",
        {"system": "phones", "at": SATURDAY_NIGHT},
        headers={"accept-language": "sv"},
    )
    [answer] = response.json()
    assert answer["line"]["name"] == "Beredskap välfärdsteknik"
    assert answer["line"]["no_account_help"] is True
    assert answer["not_for_caller"] == []
    accounts = answer["accounts"]
    assert accounts["desk"]["name"] == "IT- och telefonisupport"
    assert accounts["opens"].startswith("2025-03-17T07:00")
    assert "låser inte upp konton" in accounts["explanation"]
