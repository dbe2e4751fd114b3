"""The alarm console, one alarm with its handling, the responder's phone view, and the live
stream of alarm events that keeps them current without reloading.

Each view parses, asks `access` what the user may see and do, calls `steps`, renders.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trygg.core import events
from trygg.core.access import forget_scope
from trygg.core.constants import AccessAction
from trygg.core.models import User
from trygg.core.services import log_listed_once, log_request_access
from trygg.core.web import render_page, request_user

from . import access, dispatch, steps
from .models import Alarm, AlarmAction, AlarmCategory, AlarmQuerySet, AlarmStatus
from .phone import SEEN_KEEP, SEEN_SESSION_KEY, phone_context
from .shifts import Duty

QUEUE_LIMIT = 200
RECENT_CLOSED = dt.timedelta(hours=12)
CLIENT_HISTORY = dt.timedelta(days=90)
KEEPALIVE_SECONDS = 15.0
# How long a phone's stream trusts the person's teams and shifts before reading them again.
DUTY_TTL = 60.0


def _open(user: User) -> AlarmQuerySet:
    return (
        access.alarms(user)
        .unresolved()
        .select_related(
            "client", "unit", "team", "backup_team", "provider", "acknowledged_by", "assigned_to"
        )
    )


def _care_queue(user: User, limit: int) -> list[Alarm]:
    return list(_open(user).filter(category=AlarmCategory.CARE).by_priority()[:limit])


def queues(user: User) -> dict[str, list[Alarm]]:
    """The console's queues: care alarms by priority, unacknowledged before the ones being
    handled, the most escalated and then the oldest first; technical alarms oldest first;
    and the care alarms closed recently, for the operator's overview."""
    care = _care_queue(user, QUEUE_LIMIT)
    technical = list(
        _open(user).filter(category=AlarmCategory.TECHNICAL).by_waiting()[:QUEUE_LIMIT]
    )
    closed = list(
        access.alarms(user)
        .filter(
            status=AlarmStatus.CLOSED,
            category=AlarmCategory.CARE,
            closed_at__gte=timezone.now() - RECENT_CLOSED,
        )
        .select_related("client", "closed_by", "team")
        .order_by("-closed_at")[:20]
    )
    return {"care": care, "technical": technical, "closed": closed}


def _log_listed(request: HttpRequest, alarms: list[Alarm]) -> None:
    """Log the clients shown in a queue, once per alarm and person's session: the queue
    reloads on every event."""
    log_listed_once(
        request,
        [(alarm.pk, alarm.client) for alarm in alarms],
        AccessAction.LIST,
        session_key=SEEN_SESSION_KEY,
        keep=SEEN_KEEP,
    )


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    lists = queues(user)
    _log_listed(request, lists["care"] + lists["technical"] + lists["closed"])
    now = timezone.now()
    # The rows this person may act on; the others (a team leader following the
    # provider's alarms) are read-only.
    handles = access.handled_ids(user, lists["care"] + lists["technical"], now)
    return {**lists, "now": now, "handles": handles}


@login_required
@require_GET
def console(request: HttpRequest, partial: bool = False) -> HttpResponse:
    if not access.can_open_alarms(request.user):
        raise PermissionDenied
    return render_page(
        request,
        "alarms/console.html",
        "alarms/partials/queues.html",
        _queue_context(request),
        as_fragment=partial,
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = access.get_alarm(request.user, pk)
    if alarm.client is not None:
        log_request_access(request, [alarm.client], AccessAction.DETAIL)
    return render(request, "alarms/detail.html", _detail_context(request, alarm))


def _detail_context(request: HttpRequest, alarm: Alarm, **extra: Any) -> dict[str, Any]:
    user = request_user(request)
    now = timezone.now()
    may_handle = access.may_handle(user, alarm, now)
    history = []
    if alarm.client_id is not None:
        history = list(
            access.alarms(user)
            .filter(client_id=alarm.client_id, created_at__gte=timezone.now() - CLIENT_HISTORY)
            .exclude(pk=alarm.pk)
            .order_by("-created_at")[:10]
        )
    return {
        "alarm": alarm,
        "events": alarm.events.select_related("actor", "team", "responder"),
        "client_alarms": history,
        "may_handle": may_handle,
        "may_accept": access.may_accept(user, alarm, now),
        "responders": steps.responders(alarm, now) if may_handle else [],
        "causes": steps.causes_for(alarm),
        "can_reveal_door_code": access.can_reveal_alarm_door_code(user, alarm, now),
        "back": _back_url(request),
        "now": now,
        **extra,
    }


def _back_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_POST
def door_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the door code for a responder: a deliberate act, logged on its own line."""
    alarm = access.get_alarm(request.user, pk)
    if alarm.client is None or not access.can_reveal_alarm_door_code(request.user, alarm):
        raise PermissionDenied
    log_request_access(request, [alarm.client], AccessAction.DOOR_CODE)
    response = render(request, "core/partials/door_code.html", {"client": alarm.client})
    response["Cache-Control"] = "no-store"
    return response


def _acknowledge(user: User, alarm: Alarm, post: Any) -> str:
    steps.acknowledge_alarm(user, alarm.pk)
    return _("Alarm acknowledged.")


def _accept(user: User, alarm: Alarm, post: Any) -> str:
    steps.accept_alarm(user, alarm.pk)
    return _("You have the alarm. Go to the client.")


def _assign(user: User, alarm: Alarm, post: Any) -> str:
    responder = _responder(alarm, post.get("responder", ""))
    steps.assign_responder(user, alarm.pk, responder)
    return _("%(who)s is sent.") % {"who": responder.get_full_name() or responder}


def _on_site(user: User, alarm: Alarm, post: Any) -> str:
    steps.mark_on_site(user, alarm.pk)
    return _("Marked on site.")


def _close(user: User, alarm: Alarm, post: Any) -> str:
    steps.close_alarm(user, alarm.pk, post.get("cause", ""), post.get("note", ""))
    return _("Alarm closed.")


def _note(user: User, alarm: Alarm, post: Any) -> str:
    steps.add_alarm_note(user, alarm.pk, post.get("note", ""))
    return _("Note added.")


# The steps a person takes, by the name in the URL (alarms/urls.py).
STEPS: dict[str, tuple[str, Callable[[User, Alarm, Any], str]]] = {
    "acknowledge": (AlarmAction.ACKNOWLEDGED, _acknowledge),
    "accept": (AlarmAction.ACCEPTED, _accept),
    "assign": (AlarmAction.ASSIGNED, _assign),
    "on_site": (AlarmAction.ON_SITE, _on_site),
    "close": (AlarmAction.CLOSED, _close),
    "note": (AlarmAction.NOTE, _note),
}


@login_required
@require_POST
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One step on an alarm. A conflict (someone was first) is a notice; a form mistake
    shows the alarm again with the message and what was typed."""
    action, take = STEPS[name]
    alarm = access.get_alarm(request.user, pk)
    try:
        done = take(request_user(request), alarm, request.POST)
    except steps.AlarmRefused as exc:
        # Not this person's alarm to handle (now): the alarm as they may see it, and why.
        context = _detail_context(request, access.get_alarm(request.user, pk), step_error=str(exc))
        return render(request, "alarms/detail.html", context, status=403)
    except steps.AlarmConflict as exc:
        messages.warning(request, str(exc))
        return _after_step(request, alarm)
    except steps.AlarmError as exc:
        context = _detail_context(
            request,
            access.get_alarm(request.user, pk),
            step_error=str(exc),
            step=action,
            typed_note=request.POST.get("note", ""),
            typed_cause=request.POST.get("cause", ""),
        )
        return render(request, "alarms/detail.html", context, status=400)
    messages.success(request, done)
    return _after_step(request, alarm)


def _after_step(request: HttpRequest, alarm: Alarm) -> HttpResponse:
    back = _back_url(request)
    if back:
        return redirect(back)
    return redirect("alarms:detail", pk=alarm.pk)


def _responder(alarm: Alarm, value: str) -> User:
    """The person chosen in the form; steps.assign_responder checks they are in the teams."""
    responder = User.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if responder is None:
        raise steps.AlarmError(_("Choose who to send."))
    return responder


# The phone ------------------------------------------------------------------------------


@login_required
@require_GET
def phone(request: HttpRequest, partial: bool = False) -> HttpResponse:
    """The responder's phone: the care alarms offered to this person now (their teams on
    shift, escalated to their team, sent to them, taken by them), in the console's order;
    off shift, when their team's next shift starts instead."""
    if not access.can_open_alarms(request.user):
        raise PermissionDenied
    context = phone_context(request_user(request), timezone.now())
    _log_listed(request, context["alarms"])
    return render_page(
        request,
        "alarms/phone.html",
        "alarms/partials/phone_list.html",
        context,
        as_fragment=partial,
    )


# The live stream ------------------------------------------------------------------------


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def stream(request: HttpRequest, phone: bool = False) -> StreamingHttpResponse | HttpResponse:
    """Server-sent events: one `alarm` event per change to an alarm the person may see,
    `resync` when events may have been missed (reload everything), comments to keep the
    connection open through proxies. The phone's stream (`phone=True`) carries only the
    alarms offered to the person (access.offers): a day-team leader's phone does not sound
    for the night patrol's alarm, though their console shows it."""
    user = await request.auser()
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    allowed = await sync_to_async(access.can_open_alarms)(user)
    if not allowed:
        return HttpResponse(status=403)
    if "wsgi.input" in request.META:
        # Served through WSGI (a WSGI server, Django's test server): Django would read this
        # endless stream to its end before sending a byte, holding the worker for good. The
        # page then does without live updates, as without network; `trygg serve` is ASGI.
        return HttpResponse(
            _("Live updates need Trygg's own server (trygg serve)."),
            status=503,
            headers={"Retry-After": "60"},
            content_type="text/plain; charset=utf-8",
        )
    municipalities = await sync_to_async(access.alarm_municipalities)(user)
    channels = [dispatch.channel(mid) for mid in sorted(municipalities)]
    hears = PhoneFilter(user) if phone else None
    if hears is not None:
        await hears.reload()

    async def body() -> AsyncIterator[str]:
        # Subscribed only once the response is being sent: a response never sent holds
        # nothing. Subscribing may wait for the PostgreSQL listener: not on the loop.
        loop = asyncio.get_running_loop()
        subscription = await sync_to_async(events.subscribe, thread_sensitive=False)(channels, loop)
        try:
            yield "retry: 2000\n\n"
            yield _sse("ready", {"at": timezone.now().isoformat()})
            while True:
                event = await subscription.aget(timeout=KEEPALIVE_SECONDS)
                if event is None:
                    yield ": keep-alive\n\n"
                elif event.is_resync:
                    yield _sse("resync", {})
                elif hears is not None:
                    if await hears.passes(event.data):
                        yield _sse("alarm", {**event.data, "sent": timezone.now().timestamp()})
                elif access.sees_alarm_event(user, event.data):
                    yield _sse("alarm", {**event.data, "sent": timezone.now().timestamp()})
        finally:
            events.unsubscribe(subscription)

    response = StreamingHttpResponse(body(), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


class PhoneFilter:
    """Which events a phone hears: those about alarms offered to the person at the moment
    of the event, and any later change to an alarm it heard about (taken by a colleague,
    sent elsewhere), so that the card leaves the list. The person's teams and shifts are
    reloaded every DUTY_TTL seconds: an open phone follows a changed roster."""

    def __init__(self, user: User | AnonymousUser) -> None:
        self.user = user
        self.duty = Duty(user_id=None, team_ids=frozenset(), shifts=())
        self.loaded = 0.0
        self.heard: dict[int, None] = {}  # an ordered set of alarm ids, the latest kept

    async def reload(self) -> None:
        def load() -> Duty:
            if isinstance(self.user, User):
                forget_scope(self.user)
            return access.load_duty(self.user)

        self.duty = await sync_to_async(load)()
        self.loaded = time.monotonic()

    async def passes(self, data: dict[str, Any]) -> bool:
        if time.monotonic() - self.loaded > DUTY_TTL:
            await self.reload()
        alarm = data.get("alarm")
        if not isinstance(alarm, int):
            return False
        if alarm in self.heard or self.duty.offers_event(data, timezone.now()):
            self.heard[alarm] = None
            while len(self.heard) > SEEN_KEEP:
                del self.heard[next(iter(self.heard))]
            return True
        return False
