"""Pages for staff phones: the list, registering one, one phone with its actions and history.

Each view parses, asks `access` what the user may see and do, calls a service, renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trygg.core import clock
from trygg.core.models import User
from trygg.core.web import filter_status, render_page, request_user

from . import access, services
from .constants import TRANSITIONS, PhoneAction
from .forms import (
    HandInForm,
    PhoneActionForm,
    PhoneFilterForm,
    RegisterPhoneForm,
    ReportLostForm,
)
from .identifiers import InvalidIdentifier

PAGE_SIZE = 50


@login_required
@require_GET
def phone_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = PhoneFilterForm(request.GET or None)
    providers = list(access.phone_providers(user).order_by("name"))
    form.fields["provider"].widget.choices = [("", _("All")), *((p.pk, p.name) for p in providers)]
    today = clock.today_for(user)
    visible = access.phones(user)
    queryset = visible.select_related("provider", "assigned_to").with_overdue_flag(today)
    if form.is_valid():
        data = form.cleaned_data
        queryset = queryset.search(data["q"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["provider"]:
            queryset = queryset.filter(provider_id=data["provider"])
        if data["overdue"]:
            queryset = queryset.overdue(today)
    elif form.is_bound:
        queryset = queryset.none()
    page = Paginator(
        queryset.order_by("provider__name", "assigned_to__last_name", "model_name", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    own = [
        phone
        for phone in visible.filter(assigned_to=user).select_related("provider")
        if PhoneAction.REPORT_LOST in services.available_actions(user, phone)
    ]
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "today": today,
        "show_provider_filter": len(providers) > 1,
        "own_phones": own,
        "overdue_count": visible.overdue(today).count(),
        "can_register": bool(providers),
    }
    return render_page(
        request,
        "devices/phone_list.html",
        "devices/partials/phone_rows.html",
        context,
        status=filter_status(request, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def phone_register(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    providers = access.phone_providers(user).order_by("name")
    if not providers.exists():
        raise PermissionDenied
    staff = (
        User.objects.filter(role_assignments__provider__in=providers, is_active=True)
        .distinct()
        .order_by("last_name", "first_name")
    )
    form = RegisterPhoneForm(request.POST or None, providers=providers, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = services.register_phone(
                user,
                data["provider"],
                imei=data["imei"],
                model_name=data["model_name"],
                assigned_to=data["assigned_to"],
                serial_number=data["serial_number"],
                phone_number=data["phone_number"],
                notes=data["notes"],
                status=data["status"],
            )
        except (services.PhoneError, InvalidIdentifier) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Phone registered."))
            return redirect("devices:phone_detail", pk=phone.pk)
    return render(request, "devices/phone_register.html", {"form": form})


@login_required
@require_GET
def phone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    phone = access.get_phone(user, pk)
    events = phone.events.select_related("actor").order_by("-at", "-id")
    today = phone.municipality.today()
    actions = [
        {
            "action": action,
            "label": PhoneAction(action).label,
            "explanation": TRANSITIONS[action].explanation,
        }
        for action in services.available_actions(user, phone)
    ]
    return render(
        request,
        "devices/phone_detail.html",
        {
            "phone": phone,
            "events": events,
            "actions": actions,
            "overdue": phone.is_overdue(today),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def phone_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm and carry out one action on a phone; `action` names it."""
    user = request_user(request)
    phone = access.get_phone(user, pk)
    action = (request.POST if request.method == "POST" else request.GET).get("action", "")
    if action not in TRANSITIONS:
        raise Http404
    if not access.can_change_phone(user, phone, action):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form: PhoneActionForm
    if action == PhoneAction.HAND_IN:
        staff = access.phone_assignable_staff(phone.provider).order_by("last_name", "first_name")
        form = HandInForm(data, staff=staff, initial={"assigned_to": phone.assigned_to_id})
    elif action == PhoneAction.REPORT_LOST and access.can_change_phone(
        user, phone, PhoneAction.REQUEST_WIPE
    ):
        form = ReportLostForm(data)
    else:
        form = PhoneActionForm(data)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _carry_out(user, phone, action, form.cleaned_data)
            except services.PhoneConflict as exc:
                form.add_error(None, str(exc))
                status = 409
            except services.PhoneError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(
                    request, _("Done: %(action)s.") % {"action": PhoneAction(action).label}
                )
                return redirect("devices:phone_detail", pk=phone.pk)
        else:
            status = 400
    return render(
        request,
        "devices/phone_change.html",
        {
            "phone": phone,
            "form": form,
            "action": action,
            "label": PhoneAction(action).label,
            "explanation": TRANSITIONS[action].explanation,
            "valid_now": phone.status in TRANSITIONS[action].sources,
            "is_report_lost": action == PhoneAction.REPORT_LOST,
        },
        status=status,
    )


def _carry_out(user: User, phone: Any, action: str, data: dict[str, Any]) -> None:
    if action == PhoneAction.REPORT_LOST:
        services.report_lost(
            user, phone, note=data["note"], request_wipe=data.get("request_wipe", False)
        )
    else:
        services.change_phone(
            user, phone, action, note=data["note"], assigned_to=data.get("assigned_to")
        )
