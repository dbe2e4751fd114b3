"""Service-desk pages: the order list, placing an order, and one order's page.

Each view parses, asks `access` what the user may see and do, calls a service, renders.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.core import clock
from trygg.core.access import can_view_client, scope_for
from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import client_ip, log_request_access
from trygg.core.web import filter_status, render_page, request_user

from . import access, hooks, services
from .constants import MAX_ATTACHMENT_BYTES, Audience, OrderStatus, action_label
from .fields import ClientChoiceField, ClientPicker, OrderValuesForm, display_values
from .forms import (
    AttachmentForm,
    CommentForm,
    OrderFilterForm,
    ProviderChoiceForm,
    StatusForm,
    StepForm,
)
from .models import Order, OrderAttachment, OrderStep, OrderType

PAGE_SIZE = 50


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_orders(user):
        raise PermissionDenied
    today = clock.today_for(user)
    form = OrderFilterForm(request.GET or None)
    types = OrderType.objects.filter(municipality_id__in=scope_for(user).municipality_ids).order_by(
        "position", "name"
    )
    form.fields["order_type"].widget.choices = [("", _("All"))] + [(t.pk, t.name) for t in types]
    queryset = access.orders(user)
    if form.is_valid():
        queryset = services.filter_orders(queryset, form.cleaned_data, today)
    elif form.is_bound:
        queryset = queryset.none()
    queryset = queryset.select_related("order_type", "provider", "orderer", "assigned_to")
    page = Paginator(queryset.order_by("-placed_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "today": today,
        "can_place": access.can_place_order(user) and access.order_types(user).exists(),
    }
    return render_page(
        request,
        "servicedesk/order_list.html",
        "servicedesk/partials/order_rows.html",
        context,
        status=filter_status(request, form),
    )


@login_required
@require_GET
def order_new(request: HttpRequest) -> HttpResponse:
    """Pick what to order."""
    if not access.can_place_order(request.user):
        raise PermissionDenied
    types = access.order_types(request_user(request)).order_by("position", "name")
    return render(request, "servicedesk/order_new.html", {"types": types})


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest, type_pk: int) -> HttpResponse:
    """The chosen type's form, generated from its field spec."""
    user = request_user(request)
    try:
        order_type = access.order_types(user).select_related("municipality").get(pk=type_pk)
    except OrderType.DoesNotExist as exc:
        raise Http404 from exc
    providers = access.ordering_providers(user, order_type.municipality_id)
    provider_list = list(providers) if order_type.audience != Audience.MUNICIPAL else []
    # Someone working at several providers says which one the order is for.
    provider_form = (
        ProviderChoiceForm(providers, request.POST or None) if len(provider_list) > 1 else None
    )
    clients = access.order_clients(user, order_type.municipality_id)
    data = request.POST if request.method == "POST" else None
    form = services.values_form(order_type, clients, data)
    if request.method == "POST":
        provider = provider_list[0] if len(provider_list) == 1 else None
        if provider_form is not None:
            if provider_form.is_valid():
                provider = provider_form.cleaned_data["provider"]
        elif provider is None and not access.orders_municipally(user, order_type.municipality_id):
            raise PermissionDenied
        if provider_form is None or provider_form.is_valid():
            try:
                order = services.place_order(
                    user, order_type, request.POST, provider=provider, clients=clients
                )
            except services.InvalidOrder as exc:
                form = exc.form
            except services.OrderError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Order %(number)s placed; due %(due)s.")
                    % {"number": order.number, "due": order.due_on.isoformat()},
                )
                return redirect("servicedesk:order_detail", pk=order.pk)
        else:
            form.is_valid()  # show the other fields' errors too
    _prepare_client_picker(request, form, order_type, clients)
    today = order_type.municipality.today()
    return render(
        request,
        "servicedesk/order_form.html",
        {
            "order_type": order_type,
            "form": form,
            "provider_form": provider_form,
            "due_if_now": services.due_date(
                order_type.municipality,
                today,
                order_type.deadline_working_days,
            ),
            "today": today,
        },
        status=400 if request.method == "POST" else 200,
    )


def _transitions(user: User, order: Order) -> list[dict[str, Any]]:
    """The buttons that move the order, named as actions. A cancellation, and "done" while
    steps are unticked, go through a confirmation page first (`confirm` is its URL)."""
    unticked = bool(services.unticked_steps(order))
    buttons = []
    for status in services.allowed_transitions(user, order):
        needs_page = status == OrderStatus.CANCELLED or (status == OrderStatus.DONE and unticked)
        buttons.append(
            {
                "status": status,
                "label": action_label(order.status, status),
                "confirm": reverse("servicedesk:order_status_confirm", args=[order.pk, status])
                if needs_page
                else "",
            }
        )
    return buttons


def _prepare_client_picker(
    request: HttpRequest, form: OrderValuesForm, order_type: OrderType, clients: Any
) -> None:
    """Point the form's client picker at the order type's search, and show the client
    chosen before (only one the user may order for, and logged as shown)."""
    for name, field in form.fields.items():
        if not isinstance(field, ClientChoiceField):
            continue
        widget = field.widget
        assert isinstance(widget, ClientPicker)
        widget.search_url = reverse("servicedesk:order_client_search", args=[order_type.pk])
        widget.wide_search = access.has_own_teams(request.user)
        raw = str(form.data.get(name, "")) if form.is_bound else ""
        if raw.isdigit() and len(raw) < 19:
            widget.selected = clients.filter(pk=int(raw)).first()
            if widget.selected is not None:
                log_request_access(request, [widget.selected], AccessAction.LIST)


_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


@login_required
@require_GET
def order_client_search(request: HttpRequest, type_pk: int) -> HttpResponse:
    """The new-order form's client picker: the user's own clients matching the search
    (their teams' unless they widen it), each one shown logged like any list."""
    user = request_user(request)
    try:
        order_type = access.order_types(user).get(pk=type_pk)
    except OrderType.DoesNotExist as exc:
        raise Http404 from exc
    field = request.GET.get("field", "")
    if not _FIELD_NAME.match(field):
        return HttpResponse(_("Unknown field."), status=400, content_type="text/plain")
    query = request.GET.get("q", "")[:100]
    wide = request.GET.get("wide") == "1"
    found, more = access.picker_clients(user, order_type.municipality_id, query, wide=wide)
    log_request_access(request, found, AccessAction.LIST)
    context = {
        "field": field,
        "found": found,
        "more": more,
        "limit": access.PICKER_LIMIT,
        "too_short": len(query.strip()) < access.PICKER_MIN_QUERY,
        "narrowed": access.has_own_teams(user) and not wide,
    }
    return render_page(
        request,
        "servicedesk/partials/client_picker_results.html",
        "servicedesk/partials/client_picker_results.html",
        context,
        as_fragment=True,
    )


def _detail_context(request: HttpRequest, order: Order) -> dict[str, Any]:
    user = request_user(request)
    fulfiller = access.can_fulfil_orders(user, order.municipality_id)
    comments = order.comments.select_related("author")
    if not fulfiller:
        comments = comments.filter(internal=False)
    type_hooks = hooks.hooks_for(order.order_type.code)
    results = list(order.results.select_related("made_by").prefetch_related("files"))
    transitions = _transitions(user, order)
    return {
        "order": order,
        "today": order.municipality.today(),
        "fulfiller": fulfiller,
        "results": results,
        "result_waiting": order.result_due_at is not None and order.is_open,
        "result_template": type_hooks.summary_template,
        "panel": type_hooks.panel(order, user) if type_hooks.panel is not None else None,
        "panel_template": type_hooks.panel_template,
        "form_steps": [s.casefold() for s in type_hooks.form_steps],
        "make_label": type_hooks.make_label,
        "make_again_label": type_hooks.make_again_label,
        "can_make_again": services.can_make_result_again(user, order),
        "values": display_values(order.field_specs, order.values, order.client),
        "can_view_client": order.client is not None and can_view_client(user, order.client),
        "transitions": transitions,
        # The note goes with the plain buttons; a confirmation page asks for its own.
        "has_plain_transition": any(not t["confirm"] for t in transitions),
        "steps": _steps(order),
        "comments": comments,
        "attachments": order.attachments.select_related("uploaded_by").order_by(
            "uploaded_at", "id"
        ),
        "events": order.events.select_related("actor"),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "max_attachment_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
    }


def _steps(order: Order) -> list[OrderStep]:
    """The checklist, each step marked `kept` when only Trygg ticks it (`hooks`)."""
    kept = hooks.steps_kept(order.order_type.code)
    steps = list(order.steps.select_related("done_by"))
    for step in steps:
        step.kept = step.title.strip().casefold() in kept  # type: ignore[attr-defined]
    return steps


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = access.get_order(request.user, pk)
    if order.client is not None:
        # An order about a client is read on purpose, like the record: flagged for review
        # when it is outside the reader's work, which a list row never is.
        log_request_access(
            request, [order.client], AccessAction.DETAIL, shown={"order": [order.number]}
        )
    return render(request, "servicedesk/order_detail.html", _detail_context(request, order))


def _back(order: Order, anchor: str = "") -> HttpResponse:
    response = redirect("servicedesk:order_detail", pk=order.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = access.get_order(request.user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return _back(order)
    to_status = form.cleaned_data["status"]
    if to_status == OrderStatus.CANCELLED and not form.cleaned_data["confirm"]:
        # Without the confirmation page's tick nothing is cancelled: ask there.
        return redirect("servicedesk:order_status_confirm", pk=order.pk, to_status=to_status)
    try:
        services.change_status(
            request_user(request),
            order,
            to_status,
            form.cleaned_data["note"],
            reason=form.cleaned_data["reason"],
        )
    except services.StepsNotDone as exc:
        messages.error(request, str(exc))
        return redirect("servicedesk:order_status_confirm", pk=order.pk, to_status=to_status)
    except services.OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The order is now %(status)s.") % {"status": _label(order)})
    return _back(order)


@login_required
@require_GET
def order_status_confirm(request: HttpRequest, pk: int, to_status: str) -> HttpResponse:
    """Ask before a cancellation, and for the reason before "done" with unticked steps:
    a page of its own, so it works without scripts."""
    user = request_user(request)
    order = access.get_order(user, pk)
    if to_status not in (OrderStatus.CANCELLED, OrderStatus.DONE):
        raise Http404
    if to_status not in services.allowed_transitions(user, order):
        messages.error(request, _("This order can no longer be changed that way."))
        return _back(order)
    unticked = services.unticked_steps(order) if to_status == OrderStatus.DONE else []
    return render(
        request,
        "servicedesk/order_confirm.html",
        {
            "order": order,
            "to_status": to_status,
            "label": action_label(order.status, to_status),
            "unticked": unticked,
            "form": StatusForm(initial={"status": to_status}),
        },
    )


def _label(order: Order) -> str:
    return str(OrderStatus(order.status).label).lower()


@login_required
@require_POST
def order_step(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    order = access.get_order(request.user, pk)
    if not access.can_fulfil_orders(request.user, order.municipality_id):
        raise PermissionDenied
    try:
        step = OrderStep.objects.select_related("order").get(pk=step_pk, order=order)
    except OrderStep.DoesNotExist as exc:
        raise Http404 from exc
    form = StepForm(request.POST)
    form.is_valid()
    try:
        services.complete_step(
            request_user(request), step, done=form.cleaned_data.get("done", False)
        )
    except services.OrderError as exc:
        messages.error(request, str(exc))
    if getattr(request, "htmx", False):
        return render(request, "servicedesk/partials/steps.html", _detail_context(request, order))
    return _back(order, "steps")


@login_required
@require_POST
def order_comment(request: HttpRequest, pk: int) -> HttpResponse:
    order = access.get_order(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment of at most 5,000 characters."))
        return _back(order, "comments")
    try:
        services.add_comment(
            request_user(request),
            order,
            form.cleaned_data["text"],
            internal=form.cleaned_data["internal"],
        )
    except services.OrderError as exc:
        messages.error(request, str(exc))
    return _back(order, "comments")


@login_required
@require_POST
def order_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = access.get_order(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return _back(order, "attachments")
    try:
        services.add_attachment(request_user(request), order, form.cleaned_data["file"])
    except services.OrderError as exc:
        messages.error(request, str(exc))
    return _back(order, "attachments")


@login_required
@require_POST
def order_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the order's result again (the log extract); the earlier files are kept."""
    user = request_user(request)
    order = access.get_order(user, pk)
    if not access.can_make_order_result(user, order):
        raise PermissionDenied
    try:
        services.make_result_again(user, order, remote_addr=client_ip(request))
    except services.OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Made again; the new files are attached beside the earlier."))
    return _back(order, "result")


@login_required
@require_GET
def order_result_waiting(request: HttpRequest, pk: int) -> HttpResponse:
    """Asked by the order's page every few seconds while Trygg makes the result: 204 while it
    is still waiting; once it is made (or nothing waits any more), the page reloads itself
    (htmx's HX-Refresh) to show the files, the ticked steps and the comment together."""
    order = access.get_order(request.user, pk)
    if order.result_due_at is not None and order.is_open:
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


_IN_BATCH = 2000  # ids per IN (...): well under SQLite's limit on bound parameters


def _result_clients(attachment: OrderAttachment) -> list[Client]:
    if attachment.result is None:
        return []
    ids = attachment.result.client_ids
    found: list[Client] = []
    for start in range(0, len(ids), _IN_BATCH):
        found += Client.objects.filter(pk__in=ids[start : start + _IN_BATCH])
    return found


@login_required
@require_GET
def order_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """The file, to whoever may see the order: always as a download, never rendered inline
    (an uploaded HTML file must not run in Trygg's origin). A file Trygg made with personal
    data (a log extract) is an export of each client it lists, and logged so."""
    order = access.get_order(request.user, pk)
    try:
        attachment = OrderAttachment.objects.select_related("result").get(
            pk=attachment_pk, order=order
        )
    except OrderAttachment.DoesNotExist as exc:
        raise Http404 from exc
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    listed = _result_clients(attachment)
    if listed:
        log_request_access(request, listed, AccessAction.EXPORT)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
