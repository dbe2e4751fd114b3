"""The safety-camera order as Linköping's routine has it: sent only when its preconditions
hold, worked as the routine's checklist, reported back with a serial number from stock."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest

from trygg.devices.models import AlarmPlacement
from trygg.notifications.models import Notification
from trygg.servicedesk import services as desk
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderType
from trygg.supervision import orders, plans
from trygg.supervision.constants import LookInStatus, PlanState
from trygg.supervision.models import LookIn, SupervisionPlan

from .conftest import Night, login

pytestmark = pytest.mark.django_db


def _values(night: Night, **changes: Any) -> dict[str, Any]:
    start = night.municipality.today() + dt.timedelta(days=7)
    values: dict[str, Any] = {
        "client": str(night.client.pk),
        "supervision_times": "22:00, 01:00, 04:30",
        "start_date": start.isoformat(),
        "keys": "En lägenhetsnyckel, porttagg",
        "booking_contact": "Dottern Eva, 070-174 06 50",
        "letter_swedish": "on",
        "letter_languages": ["Arabiska"],
        "sign_languages": ["Arabiska"],
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def _place(night: Night, **changes: Any) -> Order:
    order_type = OrderType.objects.get(municipality=night.municipality, code="safety_camera")
    return desk.place_order(
        night.leader,
        order_type,
        _values(night, **changes),
        provider=night.provider,
        clients=night.provider.clients.all(),
    )


def _errors(night: Night, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(desk.InvalidOrder) as caught:
        _place(night, **changes)
    return caught.value.errors


def _work(night: Night, order: Order) -> None:
    for step in order.steps.all():
        with contextlib.suppress(desk.OrderError):
            desk.complete_step(night.tech, step)


def test_it_refuses_a_client_without_night_supervision_or_key_receipt(night: Night) -> None:
    errors = _errors(night, client=str(night.bare_client.pk))
    text = " ".join(errors["client"])
    assert "no granted night-supervision service" in text or "ingen beviljad nattillsyn" in text
    assert "nyckelkvittens" in text
    assert not Order.objects.exists()


def test_it_refuses_a_past_start_date_and_a_letter_not_given(night: Night) -> None:
    today = night.municipality.today()
    errors = _errors(night, start_date=today.isoformat(), letter_swedish=None)
    assert "start_date" in errors
    assert "letter_swedish" in errors
    assert "svenska" in " ".join(errors["letter_swedish"]).lower()


def test_it_refuses_times_it_cannot_read(night: Night) -> None:
    errors = _errors(night, supervision_times="kl tio")
    assert "supervision_times" in errors


def test_the_order_is_placed_when_the_routine_is_followed(night: Night) -> None:
    order = _place(night)
    assert order.client == night.client
    assert [s.title for s in order.steps.all()][-1] == "Återkoppla med kamerans serienummer"


def test_the_report_back_step_is_not_ticked_by_hand(night: Night) -> None:
    order = _place(night)
    last = order.steps.order_by("-position").first()
    assert last is not None
    with pytest.raises(desk.OrderError, match=r"formulär|form"):
        desk.complete_step(night.tech, last)


def test_reporting_back_needs_the_steps_before_it_and_a_camera_in_stock(night: Night) -> None:
    order = _place(night)
    camera = night.camera()
    report = orders.ReportBack(camera, night.municipality.today(), [], "I hallen", True)
    with pytest.raises(orders.ReportBackError, match="Boka installation"):
        orders.report_back(night.tech, order, report)
    _work(night, order)
    taken = night.camera()
    AlarmPlacement.objects.create(
        unit=taken, client=night.bare_client, active_from=dt.date(2026, 1, 1)
    )
    with pytest.raises(orders.ReportBackError, match="CAM-"):
        orders.report_back(
            night.tech, order, orders.ReportBack(taken, night.municipality.today(), [], "x", True)
        )
    assert not SupervisionPlan.objects.exists()


def test_reporting_back_places_the_camera_and_asks_for_the_journal_note(night: Night) -> None:
    order = _place(night)
    _work(night, order)
    camera = night.camera()
    today = night.municipality.today()
    plan = orders.report_back(
        night.tech, order, orders.ReportBack(camera, today, ["Arabiska"], "I hallen", True)
    )
    assert plan.state == PlanState.AWAITING_JOURNAL
    placement = AlarmPlacement.objects.get(unit=camera)
    assert placement.client == night.client
    assert placement.active_from == today
    assert plan.sign_languages == ["Svenska", "Arabiska"]
    assert [t.at.strftime("%H:%M") for t in plan.times.all()] == ["01:00", "04:30", "22:00"]
    assert Notification.objects.filter(recipient=night.leader).exists()
    assert not order.steps.filter(done_at__isnull=True).exists()
    desk.change_status(night.tech, order, OrderStatus.DONE)
    # The client's record shows the camera and the plan.
    page = login(night.leader).get(f"/clients/{night.client.pk}/").content.decode()
    assert camera.serial_number in page
    assert "record-plan-" in page
    # No look-ins before the journal note; the orderer confirms it.
    assert not LookIn.objects.exists()
    plans.confirm_journal(night.leader, plan)
    plan.refresh_from_db()
    assert plan.state == PlanState.ACTIVE


def test_the_order_page_offers_cameras_in_stock_to_the_team_only(night: Night) -> None:
    order = _place(night)
    camera = night.camera()
    page = login(night.tech).get(f"/orders/{order.pk}/").content.decode()
    assert camera.serial_number in page
    assert "report-back" in page
    orderer_page = login(night.leader).get(f"/orders/{order.pk}/").content.decode()
    assert camera.serial_number not in orderer_page


def test_the_report_back_form_refuses_bad_input_without_writing(night: Night) -> None:
    order = _place(night)
    http = login(night.tech)
    response = http.post(f"/supervision/orders/{order.pk}/report-back/", {"camera": "x"})
    assert response.status_code == 302
    assert not SupervisionPlan.objects.exists()


def test_new_signs_need_a_client_with_a_camera(night: Night) -> None:
    order_type = OrderType.objects.get(municipality=night.municipality, code="new_signs")
    with pytest.raises(desk.InvalidOrder):
        desk.place_order(
            night.leader,
            order_type,
            {"client": str(night.bare_client.pk), "languages": ["Svenska"], "count": "2"},
            provider=night.provider,
            clients=night.provider.clients.all(),
        )
    night.plan(make=False)
    desk.place_order(
        night.leader,
        order_type,
        {"client": str(night.client.pk), "languages": ["Svenska", "Somaliska"], "count": "2"},
        provider=night.provider,
        clients=night.provider.clients.all(),
    )


def test_removing_the_camera_ends_its_placement_and_the_look_ins(night: Night) -> None:
    plan = night.plan()
    due = LookIn.objects.filter(plan=plan, status=LookInStatus.DUE)
    assert due.count() == 2
    with pytest.raises(PermissionError):
        plans.end_supervision(night.leader, plan, dt.date(2026, 11, 24))
    plans.end_supervision(night.tech, plan, dt.date(2026, 11, 24))
    assert AlarmPlacement.objects.get(pk=plan.placement_id).active_to == dt.date(2026, 11, 24)
    assert not due.exists()
    assert LookIn.objects.filter(plan=plan, status=LookInStatus.CANCELLED).count() == 2
