"""Pages of what the locks say: a lock's page (its door, battery, battery changes and
events), a staff member's unlocks, the unlocks flagged for review and the battery changes
to do. Each view parses, asks `access`, calls a service, renders; every page that names a
client is access-logged."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.core import access as core_access
from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import User
from trygg.core.services import log_request_access
from trygg.core.web import request_user
from trygg.devices.models import DoorLock

from . import access, battery, events, inventory
from .event_forms import BatteryChangeForm, RemoveLockForm, ReviewForm
from .models import LockEvent
from .models_events import BatteryTask

PAGE_SIZE = 50


def _event_page(
    request: HttpRequest, user: User, queryset: QuerySet[LockEvent]
) -> tuple[Any, list[events.EventRow]]:
    queryset = events.with_context(queryset).select_related("lock__client", "holder", "key")
    if request.GET.get("flagged") == "1":
        queryset = events.flagged(queryset)
    page = Paginator(queryset.order_by("-at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return page, events.rows(user, page.object_list)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_GET
def lock_detail(request: HttpRequest, lock_pk: int) -> HttpResponse:
    user = request_user(request)
    lock: DoorLock = access.get_lock(user, lock_pk)
    clients = events.clients_of([lock], user)
    page, rows = _event_page(request, user, events.visible_events(user).filter(lock=lock))
    manages = access.can_manage_locks(user, lock.municipality_id)
    tasks = list(
        BatteryTask.objects.filter(lock=lock)
        .select_related("changed_by")
        .order_by("-opened_at", "-pk")[:10]
    )
    open_task = next((task for task in tasks if task.is_open), None)
    # A change registered after the lock's last report: its level is the old battery's.
    # (The change is given to the minute.)
    last_change = max((t.changed_at for t in tasks if t.changed_at), default=None)
    reported = lock.battery_reported_at
    changed_since_report = (
        last_change
        if last_change and (reported is None or reported < last_change + battery.CHANGE_PRECISION)
        else None
    )
    form = BatteryChangeForm(
        initial={"changed_at": timezone.localtime(timezone.now(), lock.municipality.zone)}
    )
    today = lock.municipality.today()
    removable = manages and lock.placed_on is not None and lock.is_in_service(today)
    log_request_access(request, clients, AccessAction.DETAIL)
    return render(
        request,
        "locks/lock.html",
        {
            "lock": lock,
            "clients": clients,
            "page": page,
            "rows": rows,
            "tasks": tasks,
            "open_task": open_task,
            "changed_since_report": changed_since_report,
            "manages": manages,
            "battery_form": form,
            "remove_form": RemoveLockForm(initial={"removed_on": today}) if removable else None,
            "in_service": lock.is_in_service(today),
            "zone": lock.municipality.zone,
            "flagged_only": request.GET.get("flagged") == "1",
            "show_door": False,
            "show_staff": True,
            "margin_minutes": int(events.UNLOCK_CONTEXT_MARGIN.total_seconds() // 60),
        },
    )


@login_required
@require_GET
def staff_events(request: HttpRequest, user_pk: int) -> HttpResponse:
    """A staff member's lock events, at the doors and under the keys the viewer sees."""
    user = request_user(request)
    if not access.can_open_keys(user):
        raise PermissionDenied
    person = User.objects.filter(pk=user_pk).first()
    if person is None or not access.keys(user).filter(holder=person).exists():
        raise Http404
    page, rows = _event_page(request, user, events.visible_events(user).filter(holder=person))
    locks = {row.event.lock for row in rows}
    clients = events.clients_of(locks, user)
    log_request_access(request, clients, AccessAction.LIST)
    return render(
        request,
        "locks/staff.html",
        {
            "person": person,
            "page": page,
            "rows": rows,
            "flagged_only": request.GET.get("flagged") == "1",
            "show_door": True,
            "show_staff": False,
            "margin_minutes": int(events.UNLOCK_CONTEXT_MARGIN.total_seconds() // 60),
        },
    )


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """The unlocks nobody can account for yet, across the doors the viewer sees."""
    user = request_user(request)
    if not access.can_open_keys(user):
        raise PermissionDenied
    queryset = events.flagged(events.with_context(events.visible_events(user)))
    queryset = queryset.select_related("lock__client", "holder", "key")
    page = Paginator(queryset.order_by("-at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = events.rows(user, page.object_list)
    clients = events.clients_of({row.event.lock for row in rows}, user)
    log_request_access(request, clients, AccessAction.LIST)
    return render(
        request,
        "locks/review.html",
        {
            "page": page,
            "rows": rows,
            "show_door": True,
            "show_staff": True,
            "margin_minutes": int(events.UNLOCK_CONTEXT_MARGIN.total_seconds() // 60),
        },
    )


@login_required
@require_POST
def review_event(request: HttpRequest, lockevent_pk: int) -> HttpResponse:
    user = request_user(request)
    event = (
        events.visible_events(user)
        .select_related("lock__municipality")
        .filter(pk=lockevent_pk)
        .first()
    )
    if event is None:
        raise Http404
    if not events.can_review(user, event):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    back = _back(request, reverse("locks:lock", args=[event.lock_id]))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        events.review(user, event, form.cleaned_data["note"])
    except events.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The unlock is marked as reviewed."))
    return redirect(back)


@login_required
@require_http_methods(["GET"])
def battery_tasks(request: HttpRequest) -> HttpResponse:
    """The battery changes to do, the most urgent first: the welfare-technology team's work
    list; read-only for a provider's managers and team leaders (their clients' doors) and
    the auditors."""
    user = request_user(request)
    if not battery.sees_tasks(user):
        raise PermissionDenied
    tasks = battery.open_tasks(user)
    lock_ids = [t.lock_id for t in tasks]
    behind = DoorLock.entrance_clients.through.objects.filter(doorlock_id__in=lock_ids)
    client_ids = {t.lock.client_id for t in tasks if t.lock.client_id} | set(
        behind.values_list("client_id", flat=True)
    )
    visible = list(core_access.clients(user).filter(pk__in=client_ids))
    log_request_access(request, visible, AccessAction.LIST)
    return render(
        request,
        "locks/battery.html",
        {"tasks": tasks, "today": clock.today_for(user), "changes": battery.opens_tasks(user)},
    )


@login_required
@require_POST
def battery_change(request: HttpRequest, batterytask_pk: int) -> HttpResponse:
    user = request_user(request)
    task = (
        BatteryTask.objects.select_related("lock__municipality", "municipality")
        .filter(pk=batterytask_pk)
        .first()
    )
    if task is None or not access.can_manage_locks(user, task.municipality_id):
        raise Http404
    form = BatteryChangeForm(request.POST)
    back = _back(request, reverse("locks:lock", args=[task.lock_id]))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        battery.register_change(
            user,
            task,
            changed_at=form.changed_at_in(task.municipality.zone),
            note=form.cleaned_data["note"],
        )
    except battery.BatteryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The battery change of lock %(serial)s is registered.")
            % {"serial": task.lock.serial_number},
        )
    return redirect(back)


@login_required
@require_POST
def lock_remove(request: HttpRequest, lock_pk: int) -> HttpResponse:
    """Take the lock down from its door (the welfare-technology team): its keys end and its
    open battery task is cancelled."""
    user = request_user(request)
    lock: DoorLock = access.get_lock(user, lock_pk)
    if not access.can_manage_locks(user, lock.municipality_id):
        raise PermissionDenied
    form = RemoveLockForm(request.POST)
    back = reverse("locks:lock", args=[lock.pk])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        inventory.remove_lock(user, lock, on=form.cleaned_data["removed_on"])
    except inventory.LockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Lock %(serial)s is taken down: it opens for nobody from that day.")
            % {"serial": lock.serial_number},
        )
    return redirect(back)
