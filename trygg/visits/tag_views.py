"""The tag page: the welfare-technology team or the provider's team leaders and managers
put NFC tags up at a client's door (scanning the tag with Web NFC, its QR code with the
camera, or typing the printed code) and take them down with a reason. From an NFC-tag
order's page the fulfiller comes here with the order's client filled in, and each tag
registered is recorded as delivered by the order (`tag_orders`).

The rules are `devices.tags`'s: one tag per door at a time, a tag never put up at another
door, the code's check character. This module parses, authorises, calls them, renders;
every page showing a client logs the read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import log_request_access
from trygg.core.web import render_page, request_user
from trygg.devices.models import NfcTag
from trygg.devices.tags import TagError, place_tag, places_tags, retire_tag, tag_clients
from trygg.servicedesk import access as desk_access
from trygg.servicedesk.fields import ClientPicker
from trygg.servicedesk.models import Order

from . import tag_orders
from .tag_forms import RegisterTagForm, RetireTagForm

PICKER_ID = "tag-client"


def _order(user: User, raw: str | None) -> Order | None:
    """The NFC-tag order the page works for (`?order=`), if the user may register its tags."""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    order = desk_access.get_order(user, int(raw))
    if not tag_orders.may_register_for(user, order):
        raise PermissionDenied
    return order


def _client(user: User, raw: str | None, order: Order | None) -> Client | None:
    """The client whose tags the page shows: the order's, or one the user may put tags up
    for (a client of another provider is not found, like any client one may not see)."""
    if order is not None:
        return order.client
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    client = tag_clients(user).filter(pk=int(raw)).first()
    if client is None:
        raise Http404
    return client


def _page_url(client: Client | None, order: Order | None) -> str:
    query: dict[str, int] = {}
    if order is not None:
        query["order"] = order.pk
    elif client is not None:
        query["client"] = client.pk
    url = reverse("visits:tags")
    return f"{url}?{urlencode(query)}" if query else url


def _render(
    request: HttpRequest,
    user: User,
    client: Client | None,
    order: Order | None,
    *,
    form: RegisterTagForm | None = None,
    retiring: tuple[int, RetireTagForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "error": error,
        "client": client,
        "order": order,
        "page_url": _page_url(client, order),
    }
    if client is None:
        picker = ClientPicker(attrs={"id": PICKER_ID})
        picker.search_url = reverse("visits:tag_client_search")
        context["picker"] = picker.render("client", None, attrs={"id": PICKER_ID})
    else:
        tags = list(
            NfcTag.objects.filter(client=client)
            .select_related("registered_by", "retired_by")
            .order_by(F("retired_on").desc(nulls_first=True), "door", "-placed_on", "-pk")
        )
        for tag in tags:
            tag.retire_form = (  # type: ignore[attr-defined]
                retiring[1] if retiring and retiring[0] == tag.pk else RetireTagForm()
            )
        context.update(
            {
                "tags": tags,
                "in_place": [t for t in tags if t.retired_on is None],
                "form": form or RegisterTagForm(),
                "retiring": retiring[0] if retiring else None,
                "today": client.municipality.today(),
            }
        )
        # The client's name, address and tags are shown: a read of their record.
        log_request_access(request, [client], AccessAction.DETAIL)
    if order is not None:
        context["ordered"] = tag_orders.ordered(order)
        context["registered"] = tag_orders.registered(order)
    return render(request, "visits/tags/page.html", context, status=status)


@login_required
@require_GET
def tag_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    order = _order(user, request.GET.get("order"))
    if order is None and not places_tags(user):
        raise PermissionDenied
    client = _client(user, request.GET.get("client"), order)
    return _render(request, user, client, order)


@login_required
@require_GET
def tag_client_search(request: HttpRequest) -> HttpResponse:
    """The tag page's client picker: the clients the user may put tags up for, matching the
    search; each one shown is logged like any list."""
    user = request_user(request)
    if not places_tags(user):
        raise PermissionDenied
    query = request.GET.get("q", "")[:100]
    found, more = desk_access.pick_clients(user, tag_clients(user), query, wide=True)
    log_request_access(request, found, AccessAction.LIST)
    return render_page(
        request,
        "servicedesk/partials/client_picker_results.html",
        "servicedesk/partials/client_picker_results.html",
        {
            "field": "client",
            "found": found,
            "more": more,
            "limit": desk_access.PICKER_LIMIT,
            "too_short": len(query.strip()) < desk_access.PICKER_MIN_QUERY,
            "narrowed": False,
        },
        as_fragment=True,
    )


@login_required
@require_POST
def tag_register(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    order = _order(user, request.POST.get("order"))
    if order is None and not places_tags(user):
        raise PermissionDenied
    client = _client(user, request.POST.get("client"), order)
    if client is None:
        raise Http404
    form = RegisterTagForm(request.POST)
    if not form.is_valid():
        return _render(request, user, client, order, form=form, status=400)
    values = form.cleaned_data
    try:
        if order is not None:
            tag = tag_orders.register_for_order(
                user,
                order,
                code=values["code"],
                uid=values["uid"],
                door=values["door"],
                location=values["location"],
            )
        else:
            tag = place_tag(
                user,
                client,
                code=values["code"],
                uid=values["uid"],
                door=values["door"],
                location=values["location"],
            )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except TagError as exc:
        form.add_error("code", str(exc))
        return _render(request, user, client, order, form=form, status=400)
    messages.success(
        request,
        _("Tag %(code)s is registered at %(name)s's door.")
        % {"code": tag.code, "name": client.full_name},
    )
    if order is not None and tag_orders.registered(order) >= tag_orders.ordered(order):
        # Every tag ordered is up: back to the order, to deliver and close it.
        return redirect(reverse("servicedesk:order_detail", args=[order.pk]) + "#steps")
    return redirect(_page_url(client, order))


@login_required
@require_POST
def tag_retire(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    order = _order(user, request.POST.get("order"))
    tag = (
        NfcTag.objects.filter(pk=pk, client__in=tag_clients(user))
        .select_related("client", "municipality")
        .first()
    )
    if tag is None or tag.client is None:
        raise Http404
    client = tag.client
    if order is not None and order.client_id != client.pk:
        raise Http404
    form = RetireTagForm(request.POST)
    if not form.is_valid():
        return _render(request, user, client, order, retiring=(tag.pk, form), status=400)
    try:
        retire_tag(user, tag, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"])
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except TagError as exc:
        # Said at the top: the tag may no longer have a form to show it in.
        return _render(
            request, user, client, order, retiring=(tag.pk, form), error=str(exc), status=400
        )
    messages.success(request, _("Tag %(code)s is taken down.") % {"code": tag.code})
    return redirect(_page_url(client, order))
