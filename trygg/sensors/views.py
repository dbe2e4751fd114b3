"""The sensor pages: the events the infrared cameras reported, one client's cameras, rules
and events, and the report of sensor alarms and response times. Each view parses, asks
`access`, calls a service, renders; every list of events is in the access log."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.alarms.access import alarms as visible_alarms
from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import log_request_access
from trygg.core.web import filter_status, render_page, request_user, wants_fragment

from . import access, report, services
from .constants import RECENT_DAYS
from .forms import EventFilterForm, ReportForm, RuleForm
from .models import SensorEvent, SensorRule
from .services import cameras_now, consent_in_force

PAGE_SIZE = 50
CLIENT_EVENTS = 50


def _get_client(user: User, pk: int) -> Client:
    try:
        return (
            access.sensor_clients(user)
            .select_related("provider", "team", "municipality")
            .get(pk=pk)
        )
    except Client.DoesNotExist as exc:
        raise Http404 from exc


def _with_alarm_links(user: User, events: list[SensorEvent]) -> set[int]:
    """Of the alarms the events raised, those the viewer may open."""
    ids = [e.alarm_id for e in events if e.alarm_id]
    if not ids:
        return set()
    return set(visible_alarms(user).filter(pk__in=ids).values_list("pk", flat=True))


@login_required
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_sensors(user):
        raise PermissionDenied
    today = clock.today_for(user)
    zone = clock.zone_for(user)
    form = EventFilterForm(request.GET or None)
    queryset = access.events(user)
    since = today - dt.timedelta(days=RECENT_DAYS - 1)
    until = today
    if form.is_valid():
        data = form.cleaned_data
        since, until = data["since"] or since, data["until"] or until
        for word in data["q"].split():
            queryset = queryset.filter(
                Q(client__first_name__icontains=word) | Q(client__last_name__icontains=word)
            )
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["alarms"]:
            queryset = queryset.filter(alarm__isnull=False)
    elif form.is_bound:
        queryset = queryset.none()
    queryset = queryset.filter(
        at__gte=dt.datetime.combine(since, dt.time(), zone),
        at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone),
    )
    page = Paginator(
        queryset.select_related("client", "unit", "alarm").in_order(), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    listed: list[SensorEvent] = list(page.object_list)
    log_request_access(request, {e.client_id: e.client for e in listed}.values(), AccessAction.LIST)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "events": listed,
        "alarm_links": _with_alarm_links(user, listed),
        "since": since,
        "until": until,
    }
    if not wants_fragment(request):
        visible = access.sensor_clients(user)
        placements = cameras_now(visible, today)
        rule_counts = dict(
            SensorRule.objects.filter(client__in=[p.client_id for p in placements])
            .values("client")
            .annotate(n=Count("pk"))
            .values_list("client", "n")
        )
        held = [(p, p.client) for p in placements if p.client is not None]
        context["cameras"] = [(p, rule_counts.get(client.pk, 0)) for p, client in held]
        log_request_access(
            request, {client.pk: client for _p, client in held}.values(), AccessAction.LIST
        )
    context["can_report"] = access.can_open_report(user)
    return render_page(
        request,
        "sensors/events.html",
        "sensors/partials/event_rows.html",
        context,
        status=filter_status(request, form),
    )


def _client_context(user: User, client: Client, form: RuleForm | None) -> dict[str, Any]:
    today = client.municipality.today()
    events = list(
        access.events(user)
        .filter(client=client)
        .select_related("unit", "alarm")
        .in_order()[:CLIENT_EVENTS]
    )
    can_set = access.can_set_rules(user, client)
    return {
        "client": client,
        "cameras": cameras_now([client], today),
        "consent": consent_in_force(client, today),
        "today": today,
        "rules": list(SensorRule.objects.filter(client=client).select_related("changed_by")),
        "events": events,
        "alarm_links": _with_alarm_links(user, events),
        "only_technical": access.sees_only_technical(user, client),
        "can_set_rules": can_set,
        "form": form if form is not None else (RuleForm() if can_set else None),
    }


def _shown(context: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "sensors": [f"#{e.pk}" for e in context["events"]],
        "sensor_rules": [f"#{r.pk}" for r in context["rules"]],
    }


@login_required
@require_http_methods(["GET", "POST"])
def client_sensors(request: HttpRequest, pk: int) -> HttpResponse:
    """One client's cameras, the consent they rest on, the rules and the latest events; a
    new rule is added here."""
    user = request_user(request)
    client = _get_client(user, pk)
    form: RuleForm | None = None
    if request.method == "POST":
        if not access.can_set_rules(user, client):
            raise PermissionDenied
        form = RuleForm(request.POST)
        if form.is_valid() and _save(request, user, client, form, None):
            return redirect("sensors:client", pk=client.pk)
    context = _client_context(user, client, form)
    log_request_access(request, [client], AccessAction.DETAIL, shown=_shown(context))
    status = 400 if form is not None and form.errors else 200
    return render(request, "sensors/client.html", context, status=status)


def _save(
    request: HttpRequest, user: User, client: Client, form: RuleForm, rule: SensorRule | None
) -> bool:
    data = form.cleaned_data
    try:
        services.save_rule(
            user,
            client,
            kind=data["kind"],
            starts=data["starts"],
            ends=data["ends"],
            priority=data["priority"],
            note=data["note"],
            rule=rule,
        )
    except services.RuleError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, _("The rule is saved. It applies to events from now on."))
    return True


def _get_rule(user: User, client: Client, rule_pk: int) -> SensorRule:
    try:
        return SensorRule.objects.select_related("client").get(pk=rule_pk, client=client)
    except SensorRule.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int, sensorrule_pk: int) -> HttpResponse:
    user = request_user(request)
    client = _get_client(user, pk)
    if not access.can_set_rules(user, client):
        raise PermissionDenied
    rule = _get_rule(user, client, sensorrule_pk)
    form = RuleForm(request.POST or None, instance=SensorRule.objects.get(pk=rule.pk))
    if request.method == "POST" and form.is_valid() and _save(request, user, client, form, rule):
        return redirect("sensors:client", pk=client.pk)
    log_request_access(
        request, [client], AccessAction.DETAIL, shown={"sensor_rules": [f"#{rule.pk}"]}
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "sensors/rule_edit.html",
        {"client": client, "rule": rule, "form": form},
        status=status,
    )


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int, sensorrule_pk: int) -> HttpResponse:
    user = request_user(request)
    client = _get_client(user, pk)
    if not access.can_set_rules(user, client):
        raise PermissionDenied
    rule = _get_rule(user, client, sensorrule_pk)
    services.delete_rule(user, rule)
    messages.success(
        request,
        _("The rule for %(kind)s is removed: those events are recorded only.")
        % {"kind": rule.get_kind_display().lower()},
    )
    return redirect("sensors:client", pk=client.pk)


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_report(user):
        raise PermissionDenied
    municipality = clock.home_municipality(user)
    if municipality is None:
        raise PermissionDenied
    today = municipality.today()
    last = report.month_start(today)
    first = report.month_start(last - dt.timedelta(days=62))
    form = ReportForm(request.GET or None, initial={"first": first, "last": last})
    rows: list[report.ReportRow] = []
    valid = not form.is_bound or form.is_valid()
    if valid:
        if form.is_bound:
            first = form.cleaned_data["first"] or first
            last = form.cleaned_data["last"] or last
            if last < first:
                first = last
        rows = report.report_rows(user, municipality, first, last)
    wanted = request.GET.get("format", "")
    if valid and wanted in ("csv", "xlsx"):
        log_request_access(
            request, {r.client.pk: r.client for r in rows}.values(), AccessAction.EXPORT
        )
        return _export(rows, wanted, first, last)
    log_request_access(request, {r.client.pk: r.client for r in rows}.values(), AccessAction.LIST)
    return render(
        request,
        "sensors/report.html",
        {
            "form": form,
            "rows": rows,
            "first": first,
            "last": last,
            "query": f"first={first:%Y-%m}&last={last:%Y-%m}",
            "technical_only": not access.sees_care_alarms(user),
        },
        status=400 if not valid else 200,
    )


def _export(
    rows: list[report.ReportRow], wanted: str, first: dt.date, last: dt.date
) -> HttpResponse:
    name = f"sensorlarm-{first:%Y-%m}-{last:%Y-%m}"
    if wanted == "xlsx":
        response = HttpResponse(
            report.workbook(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response.write("\ufeff")  # Excel reads å, ä and ö right with the mark
        writer = csv.writer(response, delimiter=";")
        writer.writerow(report.headers())
        writer.writerows(report.table(rows))
    response["Cache-Control"] = "no-store"
    return response
