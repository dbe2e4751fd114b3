"""Supervision plans, the camera order's report-back and the look-in report.

Each view parses, asks `access`, calls a service, renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.core import clock
from trygg.core.constants import AccessAction, Technology
from trygg.core.models import Consent, Team
from trygg.core.services import log_request_access
from trygg.core.web import request_user
from trygg.servicedesk import access as desk_access

from . import access, orders, plans, reports, rounds
from .forms import PauseForm, PlanForm, RemoveForm, ReportBackForm, ReportForm
from .models import SupervisionPlan
from .times import night_of, night_order

RECENT_PAUSES = dt.timedelta(days=30)


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_plans(user):
        raise PermissionDenied
    show_ended = request.GET.get("ended") == "1"
    queryset = access.plans(user).select_related("client", "camera", "night_team", "client__team")
    if not show_ended:
        queryset = queryset.filter(ended_on__isnull=True)
    found = list(queryset.prefetch_related("times")[:500])
    log_request_access(request, [p.client for p in found], AccessAction.LIST)
    return render(
        request,
        "supervision/plan_list.html",
        {"plans": found, "show_ended": show_ended, "today": clock.today_for(user)},
    )


def _plan_context(request: HttpRequest, plan: SupervisionPlan) -> dict[str, Any]:
    user = request_user(request)
    today = plan.municipality.today()
    tonight = night_of(timezone.now(), plan.municipality.zone)
    linked = [pk for pk in (plan.order_id, plan.fault_order_id) if pk]
    return {
        "plan": plan,
        # The orders behind the plan link only for those who may open them (an auditor
        # reads the plan, not the service desk): their numbers are shown to everyone.
        "openable_orders": set(
            desk_access.orders(user).filter(pk__in=linked).values_list("pk", flat=True)
        ),
        "times": sorted(plan.times.all(), key=lambda t: night_order(t.at)),
        "pauses": list(plan.pauses.filter(last_night__gte=today - RECENT_PAUSES)),
        "sessions": list(rounds.sessions_of(plan)[:20]),
        "keeps": access.keeps_plan(user, plan),
        "pauses_plan": access.pauses_plan(user, plan) and plan.ended_on is None,
        "keeps_camera": access.keeps_camera(user, plan) and plan.ended_on is None,
        "pause_form": PauseForm(initial={"first_night": tonight, "last_night": tonight}),
        "remove_form": RemoveForm(initial={"last_day": today}),
        "today": today,
    }


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.get_plan(request.user, pk)
    log_request_access(request, [plan.client], AccessAction.DETAIL)
    return render(request, "supervision/plan.html", _plan_context(request, plan))


def _plan_form(plan: SupervisionPlan, data: Any = None) -> PlanForm:
    teams = Team.objects.filter(provider_id=plan.provider_id, is_active=True).order_by("name")
    consents = Consent.objects.filter(
        client_id=plan.client_id,
        technology=Technology.CAMERA_SUPERVISION,
        withdrawn_on__isnull=True,
    ).order_by("-given_on")
    return PlanForm(teams, consents, data, initial=PlanForm.initial_for(plan))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    plan = access.get_plan(user, pk)
    if not access.keeps_plan(user, plan):
        raise PermissionDenied
    form = _plan_form(plan, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plans.change_plan(
                user,
                plan,
                plans.PlanChanges(
                    times=data["times"],
                    window_minutes=data["window_minutes"],
                    session_seconds=data["session_seconds"],
                    retry_minutes=data["retry_minutes"],
                    then_phone=data["then_phone"],
                    then_patrol=data["then_patrol"],
                    night_team=data["night_team"],
                    consent=data["consent"],
                    decision=data["decision"] or "",
                    review_on=data["review_on"],
                ),
            )
        except plans.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The plan is saved."))
            return redirect("supervision:plan", pk=plan.pk)
    log_request_access(request, [plan.client], AccessAction.DETAIL)
    return render(
        request,
        "supervision/plan_edit.html",
        {"plan": plan, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _done(
    request: HttpRequest,
    plan: SupervisionPlan,
    act: Callable[[], object],
    success: str,
) -> HttpResponse:
    """Run one of the plan's actions and go back to the plan, saying how it went: a rule the
    action refuses (or a placement's own rule, a ValueError) is shown, not raised."""
    try:
        act()
    except PermissionError as exc:
        raise PermissionDenied from exc
    except (plans.PlanError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return _back(plan)


def _back(plan: SupervisionPlan) -> HttpResponse:
    return redirect("supervision:plan", pk=plan.pk)


@login_required
@require_POST
def plan_journal(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    plan = access.get_plan(user, pk)
    return _done(
        request,
        plan,
        lambda: plans.confirm_journal(user, plan),
        _("Confirmed: look-ins run from the start date."),
    )


@login_required
@require_POST
def plan_pause(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    plan = access.get_plan(user, pk)
    if not access.pauses_plan(user, plan):
        raise PermissionDenied
    form = PauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the nights and the reason for the pause."))
        return _back(plan)
    data = form.cleaned_data
    return _done(
        request,
        plan,
        lambda: plans.add_pause(
            user, plan, data["first_night"], data["last_night"], data["reason"], data["note"]
        ),
        _("No look-ins on those nights."),
    )


@login_required
@require_POST
def plan_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    plan = access.get_plan(user, pk)
    if not access.keeps_camera(user, plan):
        raise PermissionDenied
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the last day with the camera."))
        return _back(plan)
    return _done(
        request,
        plan,
        lambda: plans.end_supervision(user, plan, form.cleaned_data["last_day"]),
        _("The camera is removed; its look-ins have ended."),
    )


@login_required
@require_POST
def plan_repaired(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    plan = access.get_plan(user, pk)
    return _done(
        request,
        plan,
        lambda: plans.camera_repaired(user, plan),
        _("The camera is repaired: look-ins are by camera again."),
    )


@login_required
@require_POST
def report_back(request: HttpRequest, order_pk: int) -> HttpResponse:
    """The camera order's report-back form (on the order's page)."""
    user = request_user(request)
    order = desk_access.get_order(user, order_pk)
    if not desk_access.can_fulfil_orders(user, order.municipality_id):
        raise PermissionDenied
    today = order.municipality.today()
    form = ReportBackForm(orders.cameras_in_stock(order.municipality_id, today), request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("servicedesk:order_detail", pk=order.pk)
    data = form.cleaned_data
    try:
        plan = orders.report_back(
            user,
            order,
            orders.ReportBack(
                camera=data["camera"],
                installed_on=data["installed_on"],
                sign_languages=data["sign_languages"],
                sign_placement=data["sign_placement"],
                tested=data["tested"],
            ),
        )
    except orders.ReportBackError as exc:
        messages.error(request, str(exc))
    except ValueError as exc:  # the placement's own rules
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Camera %(serial)s is placed with the client; the orderer is asked to confirm.")
            % {"serial": plan.camera.serial_number},
        )
    return redirect("servicedesk:order_detail", pk=order.pk)


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_reports(user):
        raise PermissionDenied
    today = clock.today_for(user)
    form = ReportForm(request.GET or None)
    first, last = today - dt.timedelta(days=7), today
    status = 200
    if form.is_bound:
        if form.is_valid():
            first = form.cleaned_data.get("first") or first
            last = form.cleaned_data.get("last") or last
            if last < first:
                first = last
        else:
            status = 400
    rows = reports.report(access.report_lookins(user), first, last) if status == 200 else []
    kind = request.GET.get("format", "")
    if kind in ("csv", "xlsx") and status == 200:
        name = f"tillsyner-{first.isoformat()}-{last.isoformat()}.{kind}"
        if kind == "csv":
            response = HttpResponse(reports.as_csv(rows), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                reports.as_xlsx(rows),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    totals = {
        "planned": sum(r.planned for r in rows),
        "done": sum(r.done for r in rows),
        "missed": sum(r.missed for r in rows),
    }
    return render(
        request,
        "supervision/report.html",
        {
            "form": form,
            "rows": rows,
            "first": first,
            "last": last,
            "totals": totals,
            "headers": reports.headers(),
            "query": f"first={first.isoformat()}&last={last.isoformat()}",
        },
        status=status,
    )
