"""The night round's pages: the round, one look-in, a camera session and its picture.

Each view parses, asks `access`, calls a service in `rounds`, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.services import client_ip, log_request_access
from trygg.core.web import render_page, request_user

from . import access, rounds
from .cameras import adapter_for
from .constants import LookInStatus
from .forms import CallForm, OutcomeForm
from .models import CameraSession, LookIn


@login_required
@require_GET
def night_round(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.is_night_staff(user):
        raise PermissionDenied
    now = timezone.now()
    found = rounds.night_round(user, now)
    listed = {lk.client for lk in [*found.now, *found.next, *found.calls, *found.recent]}
    log_request_access(request, listed, AccessAction.LIST)
    return render_page(
        request,
        "supervision/round.html",
        "supervision/partials/round_lists.html",
        {"round": found, "now": now, "zone": clock.zone_for(user)},
    )


def _lookin_context(request: HttpRequest, lookin: LookIn) -> dict[str, object]:
    user = request_user(request)
    now = timezone.now()
    return {
        "lookin": lookin,
        "plan": lookin.plan,
        "now": now,
        "in_window": lookin.in_window(now),
        "on_team": access.on_night_team(user, lookin.plan),
        "outcome_form": OutcomeForm(),
        "call_form": CallForm(),
        "waiting_call": lookin.outcome == "not_seen"
        and lookin.retry_of_id is not None
        and lookin.phoned_at is None
        and lookin.alarm_id is None
        and lookin.plan.then_phone,
        "retry": lookin.retries.first(),
    }


@login_required
@require_GET
def lookin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lookin = access.visible_lookin(request.user, pk)
    log_request_access(request, [lookin.client], AccessAction.DETAIL)
    return render(request, "supervision/lookin.html", _lookin_context(request, lookin))


@login_required
@require_POST
def lookin_open(request: HttpRequest, pk: int) -> HttpResponse:
    lookin = access.visible_lookin(request.user, pk)
    try:
        session = rounds.open_session(request_user(request), lookin, remote_addr=client_ip(request))
    except rounds.SessionRefused as exc:
        messages.error(request, str(exc))
        return render(
            request, "supervision/lookin.html", _lookin_context(request, lookin), status=403
        )
    return redirect("supervision:session", camerasession_pk=session.pk)


@login_required
@require_POST
def lookin_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    lookin = access.visible_lookin(request.user, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the look-in found."))
        return render(
            request, "supervision/lookin.html", _lookin_context(request, lookin), status=400
        )
    try:
        rounds.record_outcome(
            request_user(request), lookin, form.cleaned_data["outcome"], form.cleaned_data["note"]
        )
    except PermissionError as exc:
        raise PermissionDenied from exc
    except rounds.RoundError as exc:
        messages.error(request, str(exc))
        return render(
            request, "supervision/lookin.html", _lookin_context(request, lookin), status=409
        )
    messages.success(request, _("Look-in recorded."))
    if lookin.outcome == "not_seen" and lookin.retry_of_id is not None:
        return redirect("supervision:lookin", pk=lookin.pk)
    return redirect("supervision:round")


@login_required
@require_POST
def lookin_call(request: HttpRequest, pk: int) -> HttpResponse:
    lookin = access.visible_lookin(request.user, pk)
    form = CallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the client answered."))
        return redirect("supervision:lookin", pk=lookin.pk)
    try:
        rounds.record_call(request_user(request), lookin, form.cleaned_data["answered"])
    except PermissionError as exc:
        raise PermissionDenied from exc
    except rounds.RoundError as exc:
        messages.error(request, str(exc))
        return redirect("supervision:lookin", pk=lookin.pk)
    if form.cleaned_data["answered"]:
        messages.success(request, _("Call recorded."))
    else:
        messages.success(request, _("The night patrol is alerted."))
    return redirect("supervision:round")


def _own_session(request: HttpRequest, pk: int) -> CameraSession:
    try:
        return CameraSession.objects.select_related(
            "lookin", "lookin__municipality", "plan", "plan__camera__municipality", "client"
        ).get(pk=pk, user=request_user(request), refused="")
    except CameraSession.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def session_detail(request: HttpRequest, camerasession_pk: int) -> HttpResponse:
    session = _own_session(request, camerasession_pk)
    now = timezone.now()
    lookin = session.lookin
    assert lookin is not None
    return render(
        request,
        "supervision/session.html",
        {
            "session": session,
            "lookin": lookin,
            "open": session.is_open(now) and lookin.status == LookInStatus.DUE,
            "left": max(0, int((session.ends_at - now).total_seconds())) if session.ends_at else 0,
            "outcome_form": OutcomeForm(),
            "recorded": lookin.status != LookInStatus.DUE,
        },
    )


@login_required
@require_GET
def session_picture(request: HttpRequest, camerasession_pk: int) -> HttpResponse:
    """The camera's picture for the open session only: passed on, never stored or cached."""
    session = _own_session(request, camerasession_pk)
    now = timezone.now()
    if not session.is_open(now) or session.ends_at is None:
        return HttpResponse(_("The session has closed."), status=410, content_type="text/plain")
    camera = session.plan.camera
    view = adapter_for(camera).view(camera, session.pk, now, session.ends_at)
    if view.url:
        response = HttpResponse(status=302)
        response["Location"] = view.url
    else:
        response = HttpResponse(view.content, content_type=view.content_type)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
