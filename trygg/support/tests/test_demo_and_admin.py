"""The demo content and the admin pages for support data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient

from trygg.core.models import User
from trygg.support import demo, services
from trygg.support.constants import Reason, System
from trygg.support.models import CallOut, OpeningRule, Service, SupportLine

from .conftest import STOCKHOLM, Place

pytestmark = pytest.mark.django_db

Login = Callable[[User], HttpClient]


def test_the_demo_has_five_services_with_roles_and_fees(place: Place) -> None:
    catalogue = Service.objects.filter(municipality=place.municipality)
    assert {s.system for s in catalogue} == {
        System.CAMERAS,
        System.ALARMS,
        System.LOCKS,
        System.VISIT_APP,
        System.PHONES,
    }
    cameras = catalogue.get(system=System.CAMERAS)
    assert cameras.manager == place.people["welfare_tech"]
    assert cameras.owner == place.people["municipal_admin"]
    assert cameras.call_out_fee is not None
    assert cameras.call_out_fee > 0
    assert CallOut.objects.filter(service__municipality=place.municipality).count() == 3


def test_the_demo_is_seeded_once(place: Place) -> None:
    lines = SupportLine.objects.count()
    assert demo.seed_demo(place.municipality) == {}
    assert SupportLine.objects.count() == lines


def test_the_demo_has_a_line_per_district(place: Place) -> None:
    assert SupportLine.objects.filter(district=place.norr).exists()
    assert SupportLine.objects.filter(district=place.soder).exists()


def test_the_demo_routes_a_lock_fault_on_a_saturday(place: Place) -> None:
    [answer] = services.answers(
        place.municipality,
        dt.datetime(2025, 3, 15, 9, 0, tzinfo=STOCKHOLM),
        place.soder.pk,
        [System.LOCKS],
    )
    assert answer.reason == Reason.WEEKEND
    assert answer.line is not None
    assert answer.line.name == "Larmorganisation Söder"
    assert [s.text for s in answer.first_steps] == ["Använd reservnyckeln."]


def test_the_hours_read_as_text(place: Place) -> None:
    support = SupportLine.objects.get(municipality=place.municipality, name__startswith="Support")
    text = services.hours_text(support)
    assert any("07:00\u201316:00" in line for line in text)
    assert any("12:00\u201313:00" in line for line in text)
    assert len(text) == 5  # four rules and "closed on holidays"


@pytest.mark.parametrize("model", ["service", "supportline", "escalationstep", "callout"])
def test_administrators_manage_support_data_in_the_admin(
    place: Place, login: Login, model: str
) -> None:
    http = login(place.people["municipal_admin"])
    assert http.get(f"/admin/support/{model}/").status_code == 200
    assert http.get(f"/admin/support/{model}/add/").status_code == 200


def test_the_admin_saves_a_line_with_systems_and_weekdays(place: Place, login: Login) -> None:
    http = login(place.people["municipal_admin"])
    response = http.post(
        "/admin/support/supportline/add/",
        {
            "municipality": place.municipality.pk,
            "name": "Ny linje",
            "phone": "08-465 004 50",
            "email": "",
            "systems": ["visit_app", "locks"],
            "kind": "primary",
            "district": "",
            "priority": "10",
            "note": "",
            "audience": "municipal",
            "others_instead": "Privata utförare: er egen IT-support.",
            "no_account_help": "on",
            "is_active": "on",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-day_type": "regular",
            "rules-0-weekdays": ["1", "2", "3"],
            "rules-0-start": "08:00",
            "rules-0-end": "17:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    line = SupportLine.objects.get(name="Ny linje")
    assert line.systems == "visit_app,locks"
    assert OpeningRule.objects.get(line=line).weekdays == "123"
    assert line.audience == "municipal"
    assert line.others_instead == "Privata utförare: er egen IT-support."
    assert line.no_account_help


def test_the_demo_on_call_and_it_support_serve_municipal_staff_only(place: Place) -> None:
    on_call = SupportLine.objects.get(municipality=place.municipality, kind="on_call")
    assert on_call.audience == "municipal"
    assert on_call.no_account_help
    assert on_call.others_instead
    it_support = SupportLine.objects.get(municipality=place.municipality, systems="phones")
    assert it_support.audience == "municipal"
    assert "IT-support" in it_support.others_instead


def test_other_roles_are_kept_out_of_the_admin(place: Place, login: Login) -> None:
    response = login(place.people["welfare_tech"]).get("/admin/support/callout/")
    assert response.status_code == 302
