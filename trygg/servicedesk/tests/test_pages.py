"""The order pages: list with filters, the generated form, the order's page, the menu."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.models import RoleAssignment
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderStep
from trygg.servicedesk.services import change_status

from .conftest import Desk, login

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC)


def test_the_list_flags_overdue_orders_and_filters_them(desk: Desk) -> None:
    late = desk.phone_order(now=LONG_AGO)
    done_late = desk.phone_order(now=LONG_AGO)
    change_status(desk.welfare, desk.tick_all(done_late), OrderStatus.DONE)
    fresh = desk.phone_order(now=dt.datetime.now(dt.UTC))
    http = login(desk.welfare)
    page = http.get("/orders/").content.decode()
    assert page.count("Försenad") >= 1  # Swedish, as the municipality's staff read it
    overdue = http.get("/orders/?overdue=on").content.decode()
    assert late.number in overdue
    assert done_late.number not in overdue
    assert fresh.number not in overdue
    done = http.get("/orders/?status=done").content.decode()
    assert done_late.number in done
    assert late.number not in done
    found = http.get(f"/orders/?q={fresh.number}").content.decode()
    assert fresh.number in found
    assert late.number not in found


def test_htmx_gets_only_the_rows(desk: Desk) -> None:
    desk.phone_order()
    response = login(desk.welfare).get("/orders/?status=open", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body
    assert "<html" not in body


def test_the_list_costs_the_same_queries_for_many_orders(
    desk: Desk, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        desk.phone_order()
    http = login(desk.welfare)
    http.get("/orders/")  # warm the session
    # About a dozen: session, roles, the layout's menu and banners, one page of orders.
    with django_assert_max_num_queries(14):
        response = http.get("/orders/")
    assert response.status_code == 200
    assert response.content.decode().count("BS-2026-") == 30


def test_placing_through_the_page_shows_errors_per_field_and_saves_nothing(desk: Desk) -> None:
    order_type = desk.type("user_account")
    http = login(desk.leader_a)
    assert "Nytt" in http.get(f"/orders/new/{order_type.pk}/").content.decode()
    response = http.post(
        f"/orders/new/{order_type.pk}/", {"person": "", "change": "Nytt", "start_date": "x"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"person", "start_date"}
    assert 'id="id_person-errors"' in response.content.decode()
    assert not Order.objects.exists()
    response = http.post(
        f"/orders/new/{order_type.pk}/",
        {
            "person": "Sara Lind",
            "change": "Nytt",
            "roles": ["Teamledare"],
            "start_date": "2026-09-01",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert order.provider == desk.provider_a
    assert order.values["roles"] == ["Teamledare"]


def test_the_catalogue_page_offers_what_the_role_may_order(desk: Desk) -> None:
    leader_page = login(desk.leader_a).get("/orders/new/").content.decode()
    assert "Trygghetskamera" in leader_page  # providers order safety cameras
    assert "Loggutdrag" in leader_page  # and log extracts of their customers
    operator_page = login(desk.operator).get("/orders/new/").content.decode()
    assert "Trygghetskamera" not in operator_page
    assert "Loggutdrag" in operator_page  # the municipality orders one of all providers
    assert "Konfiguration av telefon" in operator_page
    camera = desk.type("safety_camera")
    assert login(desk.operator).get(f"/orders/new/{camera.pk}/").status_code == 404


def test_the_team_ticks_steps_and_changes_status_on_the_order_page(desk: Desk) -> None:
    order = desk.phone_order()
    step = order.steps.first()
    assert step is not None
    http = login(desk.welfare)
    page = http.get(f"/orders/{order.pk}/").content.decode()
    assert step.title in page
    response = http.post(
        f"/orders/{order.pk}/steps/{step.pk}/", {"done": "on"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "step-list" in response.content.decode()
    assert OrderStep.objects.get(pk=step.pk).done_by == desk.welfare
    desk.tick_all(order)
    assert 'value="done"' in http.get(f"/orders/{order.pk}/").content.decode()
    assert http.post(f"/orders/{order.pk}/status/", {"status": "done"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE
    # The orderer sees the steps but cannot tick them.
    orderer = login(desk.leader_a)
    assert orderer.post(f"/orders/{order.pk}/steps/{step.pk}/", {"done": ""}).status_code == 403


def test_the_order_page_links_the_client(desk: Desk) -> None:
    order = desk.place(
        desk.leader_a,
        "nfc_tags",
        {"client": desk.client_a.pk, "count": 3},
        provider=desk.provider_a,
    )
    page = login(desk.leader_a).get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/clients/{desk.client_a.pk}/"' in page


def test_the_menu_and_start_page_show_orders_to_those_who_work_with_them(desk: Desk) -> None:
    desk.phone_order(now=LONG_AGO)
    welfare_home = login(desk.welfare).get("/").content.decode()
    assert 'href="/orders/"' in welfare_home
    assert "/orders/?overdue=on" in welfare_home
    leader_home = login(desk.leader_a).get("/").content.decode()
    assert 'href="/orders/"' in leader_home
    assert "/orders/?overdue=on" not in leader_home
    assert 'href="/orders/"' not in login(desk.care_worker_a).get("/").content.decode()


def test_someone_at_two_providers_says_which_one_orders(desk: Desk) -> None:
    RoleAssignment.objects.create(
        user=desk.leader_a,
        role="team_leader",
        municipality=desk.municipality,
        provider=desk.provider_b,
    )
    order_type = desk.type("phone_configuration")
    http = login(desk.leader_a)
    values = {
        "staff_member": "Anna Nilsson",
        "phone_model": "iPhone SE",
        "imei": "356938035643809",
        "handed_in_on": "2026-03-10",
    }
    missing = http.post(f"/orders/new/{order_type.pk}/", values)
    assert missing.status_code == 400
    assert "order-provider" in missing.content.decode()
    http.post(f"/orders/new/{order_type.pk}/", {**values, "order-provider": desk.provider_b.pk})
    assert Order.objects.get().provider == desk.provider_b


def test_a_municipal_order_page_names_the_municipality(desk: Desk) -> None:
    order = desk.phone_order(desk.operator)
    assert order.provider is None
    response = login(desk.operator).get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    assert (
        "The municipality" in response.content.decode() or "Kommunen" in response.content.decode()
    )
