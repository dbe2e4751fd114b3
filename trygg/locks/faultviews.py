"""Pages for lock faults on the phone (report, then what to do now and what was done) and
for placing a lock from an installation order. Each view parses, asks the rules, calls a
service, renders; every read of a client's data is access-logged."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import client_ip, log_request_access
from trygg.core.web import render_page, request_user
from trygg.devices.models import DoorLock
from trygg.servicedesk import access as desk_access

from . import backupkeys, faults, installation, keyaccess
from .keyforms import FaultForm, InstallForm, StepsForm
from .models import LockFault


def _doors(user: User, day: Any) -> list[tuple[DoorLock, list[Client]]]:
    """The doors the user may report, each with the clients behind it they may report for;
    their own teams' clients' doors first."""
    locks = (
        faults.reportable_locks(user, day)
        .select_related("client")
        .prefetch_related("entrance_clients")
        .order_by("serial_number")
    )
    teams = keyaccess.scope_for(user).team_ids
    doors = [(lock, faults.clients_behind(user, lock)) for lock in locks]
    doors = [(lock, clients) for lock, clients in doors if clients]
    doors.sort(
        key=lambda d: (
            not any(c.team_id in teams for c in d[1]),
            d[1][0].last_name,
            d[1][0].first_name,
        )
    )
    return doors


def _door_label(lock: DoorLock, clients: list[Client]) -> str:
    names = ", ".join(c.full_name for c in clients)
    return f"{names} · {lock.address or lock.serial_number} ({lock.serial_number})"


def _door_value(lock: DoorLock, client: Client) -> str:
    return f"{lock.pk}:{client.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def fault_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not keyaccess.can_report_any_fault(user):
        raise PermissionDenied
    now = timezone.now()
    day = clock.today_for(user)
    doors = _doors(user, day)
    choices = [
        (_door_value(lock, client), _door_label(lock, [client]))
        for lock, clients in doors
        for client in clients
    ]
    initial = {}
    wanted = request.GET.get("client", "")
    if wanted.isdigit():
        initial["lock"] = next(
            (value for value, _label in choices if value.endswith(f":{wanted}")), ""
        )
    form = FaultForm(request.POST or None, doors=choices, initial=initial)
    status = 200
    refused = ""
    if request.method == "POST":
        if form.is_valid():
            lock, client = _chosen(form.cleaned_data["lock"])
            try:
                fault = faults.report_fault(
                    user,
                    lock,
                    client,
                    symptom=form.cleaned_data["symptom"],
                    description=form.cleaned_data["description"],
                    now=now,
                )
            except faults.FaultRefused as exc:
                refused = str(exc)
                status = 403
            except faults.FaultError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
                status = 400
            else:
                return redirect("locks:fault", lockfault_pk=fault.pk)
        else:
            status = _refusal_status(user, request.POST.get("lock", ""), form)
            if status == 403:
                refused = _(
                    "You cannot report faults at that door: it is another provider's client."
                )
    shown = {c.pk: c for _lock, clients in doors for c in clients}
    log_request_access(request, shown.values(), AccessAction.LIST)
    return render_page(
        request,
        "locks/faults/new.html",
        "locks/faults/new.html",
        {"form": form, "refused": refused, "has_doors": bool(choices)},
        status=status,
    )


def _chosen(value: str) -> tuple[DoorLock, Client]:
    lock_pk, client_pk = (int(part) for part in value.split(":"))
    lock = DoorLock.objects.select_related("municipality", "client").get(pk=lock_pk)
    client = Client.objects.select_related("municipality", "provider").get(pk=client_pk)
    return lock, client


def _refusal_status(user: User, value: str, form: FaultForm) -> int:
    """403 when the door posted is a real one behind which lives another provider's client
    (someone typed the id), 400 for any other mistake in the form."""
    parts = value.split(":")
    if "lock" in form.errors and len(parts) == 2 and all(p.isdigit() for p in parts):
        client = Client.objects.filter(pk=int(parts[1])).first()
        if client is not None and not keyaccess.can_report_fault(user, client):
            return 403
    return 400


def _get_fault(user: User, pk: int) -> LockFault:
    try:
        fault = LockFault.objects.select_related(
            "lock", "client__municipality", "client__provider", "order", "reported_by"
        ).get(pk=pk)
    except LockFault.DoesNotExist as exc:
        raise Http404 from exc
    if not faults.can_record_steps(user, fault) and not keyaccess.can_report_fault(
        user, fault.client
    ):
        raise Http404
    return fault


@login_required
@require_http_methods(["GET", "POST"])
def fault_detail(request: HttpRequest, lockfault_pk: int) -> HttpResponse:
    user = request_user(request)
    fault = _get_fault(user, lockfault_pk)
    advice = faults.advice_for(user, fault.client)
    lines = [line.name for line in ([advice.call.line] if advice.call else []) + advice.then_call]
    can_record = faults.can_record_steps(user, fault)
    form = StepsForm(
        request.POST or None,
        lines=lines,
        initial={"called": lines[0] if lines else ""},
    )
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                faults.record_steps(
                    user,
                    fault,
                    backup_key=data["backup_key"],
                    called=data["called"],
                    door_opened=data["door_opened"],
                    note=data["note"],
                )
            except faults.FaultError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("What you did is added to the ticket."))
                return redirect("locks:fault", lockfault_pk=fault.pk)
        status = 400
    log_request_access(request, [fault.client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/faults/detail.html",
        "locks/faults/detail.html",
        {
            "fault": fault,
            "advice": advice,
            "form": form if can_record else None,
            "lines": lines,
            "zone": fault.municipality.zone,
            "keeper": keyaccess.can_keep(user, fault.municipality_id),
            "fault_loans": backupkeys.loans_for_fault(fault),
            "order_visible": fault.order_id is not None
            and desk_access.orders(user).filter(pk=fault.order_id or 0).exists(),
        },
        status=status,
    )


# Placing a lock from an installation order ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def install(request: HttpRequest, order_pk: int) -> HttpResponse:
    user = request_user(request)
    order = desk_access.get_order(user, order_pk)
    if order.order_type.code != installation.ORDER_TYPE_CODE:
        raise Http404
    if not installation.can_install(user, order):
        raise PermissionDenied
    today = order.municipality.today()
    form = InstallForm(
        request.POST or None,
        locks=installation.free_locks(order, today),
        initial={"on": today},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                installation.install_from_order(
                    user,
                    order,
                    on=data["on"],
                    lock=data["lock"],
                    serial_number=data["serial_number"],
                    model_name=data["model_name"],
                    remote_addr=client_ip(request),
                )
            except installation.InstallationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The lock is on the client's door."))
                return redirect("servicedesk:order_detail", pk=order.pk)
        status = 400
    if order.client is not None:
        log_request_access(request, [order.client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/installation/place.html",
        "locks/installation/place.html",
        {"form": form, "order": order, "client": order.client},
        status=status,
    )
