"""Keeping a plan (times, pauses, the consent it rests on), the client's record, and the
look-in report with its files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from trygg.core.constants import Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import make_staff
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType
from trygg.supervision import plans
from trygg.supervision.constants import LookInStatus
from trygg.supervision.models import LookIn
from trygg.supervision.schedule import raise_missed

from .conftest import AT_2300, NIGHT, Night, login

pytestmark = pytest.mark.django_db


def test_the_plan_page_shows_what_it_rests_on_and_logs_the_read(night: Night) -> None:
    plan = night.plan()
    page = login(night.leader).get(f"/supervision/plans/{plan.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Samtycke" in text
    assert "2027-05-01" in text  # the review date
    assert AccessLogEntry.objects.filter(user=night.leader, client=night.client).exists()
    assert (
        login(night.foreign_night_worker).get(f"/supervision/plans/{plan.pk}/").status_code == 404
    )


def test_the_leader_changes_the_times_and_bad_times_are_refused(night: Night) -> None:
    plan = night.plan()
    http = login(night.leader)
    form = {
        "times": "kl tio",
        "window_minutes": "30",
        "session_seconds": "30",
        "retry_minutes": "10",
        "then_phone": "on",
        "then_patrol": "on",
        "consent": str(night.consent.pk),
    }
    response = http.post(f"/supervision/plans/{plan.pk}/edit/", form)
    assert response.status_code == 400
    assert "22:00" in response.content.decode()
    form["times"] = "22:30, 03:00"
    assert http.post(f"/supervision/plans/{plan.pk}/edit/", form).status_code == 302
    plan.refresh_from_db()
    assert plan.retry_minutes == 10
    assert [t.at for t in plan.times.all()] == [dt.time(3), dt.time(22, 30)]
    assert login(night.night_worker).get(f"/supervision/plans/{plan.pk}/edit/").status_code == 403


def test_a_plan_needs_a_consent_or_a_decision(night: Night) -> None:
    plan = night.plan(make=False)
    with pytest.raises(plans.PlanError):
        plans.change_plan(
            night.leader,
            plan,
            plans.PlanChanges([dt.time(22)], 30, 30, 15, True, True, None, None, "", None),
        )


def test_night_staff_pause_a_night_from_the_page(night: Night) -> None:
    plan = night.plan()
    http = login(night.night_worker)
    today = night.municipality.today()
    response = http.post(
        f"/supervision/plans/{plan.pk}/pause/",
        {"first_night": today.isoformat(), "last_night": today.isoformat(), "reason": "hospital"},
    )
    assert response.status_code == 302
    assert plan.pauses.get().reason == "hospital"
    assert login(night.care_worker).post(
        f"/supervision/plans/{plan.pk}/pause/", {}
    ).status_code in (403, 404)


def test_the_report_counts_done_and_missed_per_night_and_team(night: Night) -> None:
    night.plan()
    raise_missed(AT_2300 + dt.timedelta(hours=5))
    assert LookIn.objects.filter(status=LookInStatus.MISSED).count() == 2
    http = login(night.manager)
    query = f"first={NIGHT.isoformat()}&last={NIGHT.isoformat()}"
    page = http.get(f"/supervision/reports/?{query}")
    assert page.status_code == 200
    csv_text = http.get(f"/supervision/reports/?{query}&format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].split(";")[:4] == [NIGHT.isoformat(), "Norr", "2", "0"]
    book = load_workbook(io.BytesIO(http.get(f"/supervision/reports/?{query}&format=xlsx").content))
    sheet = book.active
    assert sheet is not None
    assert sheet["J2"].value == 2  # missed
    bad = http.get("/supervision/reports/?first=2026-12-01&last=2026-01-01")
    assert bad.status_code == 400
    assert login(night.night_worker).get("/supervision/reports/").status_code == 403


def test_the_plans_order_links_only_for_those_who_may_open_it(night: Night) -> None:
    ensure_default_catalogue(night.municipality)
    order = Order.objects.create(
        municipality=night.municipality,
        number="BS-2026-09001",
        order_type=OrderType.objects.filter(municipality=night.municipality).order_by("pk")[0],
        provider=night.provider,
        orderer=night.leader,
        client=night.client,
        placed_at=timezone.now(),
        due_on=dt.date(2026, 11, 10),
    )
    plan = night.plan()
    plan.order = order
    plan.save(update_fields=["order"])
    link = f'href="/orders/{order.pk}/"'

    leader_page = login(night.leader).get(f"/supervision/plans/{plan.pk}/").content.decode()
    assert link in leader_page
    # The auditor reads the plan and sees the order's number, with no link to a page that
    # would answer "not found".
    auditor = make_staff(Role.AUDITOR, municipality=night.municipality)
    page = login(auditor).get(f"/supervision/plans/{plan.pk}/")
    assert page.status_code == 200
    main = page.content.decode().split("<main", 1)[1]
    assert order.number in main
    assert link not in main
    assert login(auditor).get(f"/orders/{order.pk}/").status_code == 404
