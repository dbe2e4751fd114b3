"""The phone pages: list and filters, register, detail with actions, change, report lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.devices import services
from trygg.devices.constants import PhoneAction, PhoneStatus
from trygg.devices.models import Phone

from .conftest import World, login, new_imei

pytestmark = pytest.mark.django_db
LIST = "/devices/phones/"


def test_the_list_shows_own_providers_phones_only(world: World) -> None:
    mine = world.phone(world.colleague)
    theirs = world.phone(world.other_care_worker, provider=world.other_provider)
    page = login(world.manager).get(LIST)
    assert page.status_code == 200
    assert f"/devices/phones/{mine.pk}/" in page.text
    assert f"/devices/phones/{theirs.pk}/" not in page.text
    assert "Konkurrent" not in page.text


def test_the_list_filters_by_status_text_provider_and_overdue(world: World) -> None:
    # A name no generated name contains, so the text search can match one person only.
    world.colleague.last_name = "Telefonsdotter"
    world.colleague.save(update_fields=["last_name"])
    in_use = world.phone(world.colleague)
    late = world.phone(status=PhoneStatus.IN_STOCK)
    services.change_phone(world.manager, late, PhoneAction.HAND_IN, today=dt.date(2024, 1, 8))
    other = world.phone(world.other_care_worker, provider=world.other_provider)
    http = login(world.tech)

    def shown(**query: Any) -> set[int]:
        response = http.get(LIST, query)
        assert response.status_code == 200
        return {p.pk for p in response.context["page"].object_list}

    assert shown() == {in_use.pk, late.pk, other.pk}
    assert shown(status=PhoneStatus.IN_USE) == {in_use.pk, other.pk}
    assert shown(overdue="on") == {late.pk}
    assert shown(provider=world.other_provider.pk) == {other.pk}
    assert shown(q=world.colleague.last_name) == {in_use.pk}
    assert shown(q=in_use.imei[-6:]) == {in_use.pk}
    page = http.get(LIST)
    assert "1 overdue" in page.text
    assert page.text.count(">Overdue<") == 1


def test_the_list_answers_htmx_with_the_rows_only(world: World) -> None:
    world.phone()
    response = login(world.tech).get(LIST, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<table" in response.text


def test_the_list_takes_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(12):
        world.phone(world.colleague)
    http = login(world.tech)
    http.get(LIST)  # warm the session
    with django_assert_max_num_queries(12):
        response = http.get(LIST)
    assert len(response.context["page"].object_list) == 12


def test_a_care_worker_sees_a_report_lost_button_for_their_phone(world: World) -> None:
    phone = world.phone()
    page = login(world.care_worker).get(LIST)
    assert f"/devices/phones/{phone.pk}/change/?action=report_lost" in page.text
    colleague_page = login(world.colleague).get(LIST)
    assert "action=report_lost" not in colleague_page.text


def test_reporting_lost_takes_two_taps(world: World) -> None:
    phone = world.phone()
    http = login(world.care_worker)
    url = f"/devices/phones/{phone.pk}/change/"
    confirm = http.get(url, {"action": PhoneAction.REPORT_LOST})
    assert confirm.status_code == 200
    assert "request_wipe" not in confirm.text  # a care worker cannot ask for the wipe
    done = http.post(url, {"action": PhoneAction.REPORT_LOST})
    assert done.status_code == 302
    phone.refresh_from_db()
    assert phone.status == PhoneStatus.LOST


def test_a_manager_reports_lost_with_the_wipe_ticked(world: World) -> None:
    phone = world.phone()
    http = login(world.manager)
    url = f"/devices/phones/{phone.pk}/change/"
    assert 'name="request_wipe"' in http.get(url, {"action": "report_lost"}).text
    http.post(url, {"action": "report_lost", "request_wipe": "on", "note": "left on the bus"})
    phone.refresh_from_db()
    assert phone.status == PhoneStatus.WIPE_REQUESTED
    assert phone.events.filter(note="left on the bus").exists()


def test_detail_shows_actions_for_the_status_and_role(world: World) -> None:
    phone = world.phone(status=PhoneStatus.HANDED_IN)
    tech_page = login(world.tech).get(f"/devices/phones/{phone.pk}/")
    manager_page = login(world.manager).get(f"/devices/phones/{phone.pk}/")
    assert "action=mark_ready" in tech_page.text
    assert "action=start_configuring" in tech_page.text
    assert "action=mark_ready" not in manager_page.text
    assert "action=report_lost" not in manager_page.text  # not while handed in
    assert 'class="history"' in tech_page.text


def test_a_stale_page_gets_a_conflict_not_a_second_change(world: World) -> None:
    phone = world.phone(status=PhoneStatus.HANDED_IN)
    url = f"/devices/phones/{phone.pk}/change/"
    login(world.tech).post(url, {"action": "mark_ready"})
    response = login(world.tech2).post(url, {"action": "mark_ready"})
    assert response.status_code == 409
    assert phone.events.filter(action="mark_ready").count() == 1


def test_changes_to_another_providers_phone_are_not_found(world: World) -> None:
    theirs = world.phone(world.other_care_worker, provider=world.other_provider)
    http = login(world.manager)
    assert http.get(f"/devices/phones/{theirs.pk}/").status_code == 404
    url = f"/devices/phones/{theirs.pk}/change/"
    assert http.post(url, {"action": "report_lost"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PhoneStatus.IN_USE


def test_a_role_without_the_action_is_forbidden(world: World) -> None:
    phone = world.phone()
    url = f"/devices/phones/{phone.pk}/change/"
    assert login(world.manager).post(url, {"action": "retire"}).status_code == 403
    assert login(world.tech).post(url, {"action": "nonsense"}).status_code == 404


def test_register_a_phone(world: World) -> None:
    http = login(world.manager)
    form = http.get("/devices/phones/new/")
    assert "Konkurrent" not in form.text
    imei = new_imei()
    response = http.post(
        "/devices/phones/new/",
        {
            "provider": world.provider.pk,
            "assigned_to": world.colleague.pk,
            "imei": f"{imei[:2]} {imei[2:8]} {imei[8:14]} {imei[14]}",
            "model_name": "Nokia XR21",
            "status": PhoneStatus.HANDED_IN,
        },
    )
    assert response.status_code == 302
    phone = Phone.objects.get(imei=imei)
    assert (phone.assigned_to, phone.status, phone.handed_in_by) == (
        world.colleague,
        PhoneStatus.HANDED_IN,
        world.manager,
    )
    assert phone.ready_by is not None


def test_register_rejects_a_bad_imei_with_a_message(world: World) -> None:
    response = login(world.tech).post(
        "/devices/phones/new/",
        {"provider": world.provider.pk, "imei": "490154203237517", "model_name": "X"},
    )
    assert response.status_code == 200
    assert "last digit" in response.text
    assert not Phone.objects.exists()


def test_care_workers_cannot_register(world: World) -> None:
    assert login(world.care_worker).get("/devices/phones/new/").status_code == 403


def test_the_menu_shows_phones_to_those_who_have_them(world: World) -> None:
    assert "/devices/phones/" in login(world.care_worker).get("/").text
    assert "/devices/phones/" in login(world.tech).get("/").text
    assert "/devices/phones/" not in login(world.auditor).get("/").text
