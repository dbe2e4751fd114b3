"""The night round: what is due now and next, camera sessions, and what the look-in found.

A session is opened only for a look-in that is due, by night staff on the client's night
team, inside its window; it lasts the plan's session length and is never recorded. A
refused attempt is kept (who, when, why) like a session. Every session that shows the
client is in the access log.

When the client is not seen: look again after the plan's minutes (a retry look-in), then
phone the client, then send the night patrol (an alarm through the routing). A look-in
that needs a visit sends the patrol at once. A camera reported faulty turns the plan's
look-ins into physical visits until it is repaired, and opens a fault ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.alarms.models import AlarmKind
from trygg.alarms.raising import Raise, raise_alarms
from trygg.core.constants import AccessAction
from trygg.core.models import User
from trygg.core.services import log_client_access
from trygg.devices.models import AlarmUnit

from . import access
from .constants import (
    CODE_NOT_SEEN,
    ROUND_AHEAD,
    LookInStatus,
    Outcome,
    RefusalReason,
)
from .models import CameraSession, LookIn, SupervisionPlan
from .orders import open_fault_ticket

logger = logging.getLogger(__name__)


class RoundError(ValueError):
    """What the night staff asked for cannot be done; the message says why."""


class SessionRefused(RoundError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Round:
    now: list[LookIn]  # in their window
    next: list[LookIn]  # coming within ROUND_AHEAD
    calls: list[LookIn]  # not seen on the second look: phone the client
    recent: list[LookIn]  # done or missed this night, newest first


def night_round(user: User, now: dt.datetime | None = None) -> Round:
    now = now or timezone.now()
    mine = access.round_lookins(user).select_related("client", "team", "plan")
    due = list(
        mine.filter(status=LookInStatus.DUE, scheduled_at__lte=now + ROUND_AHEAD)
        .filter(window_ends_at__gt=now)
        .order_by("scheduled_at", "pk")
    )
    calls = list(
        mine.filter(
            outcome=Outcome.NOT_SEEN,
            retry_of__isnull=False,
            phoned_at__isnull=True,
            alarm__isnull=True,
            done_at__gte=now - dt.timedelta(hours=12),
            plan__then_phone=True,
        ).order_by("done_at")
    )
    recent = list(
        mine.filter(
            Q(status__in=[LookInStatus.DONE, LookInStatus.MISSED]),
            scheduled_at__gte=now - dt.timedelta(hours=12),
            scheduled_at__lte=now,
        ).order_by("-scheduled_at", "-pk")[:20]
    )
    return Round(
        now=[lk for lk in due if lk.scheduled_at <= now],
        next=[lk for lk in due if lk.scheduled_at > now],
        calls=calls,
        recent=recent,
    )


def _refuse(
    user: User, lookin: LookIn, reason: str, now: dt.datetime, remote_addr: str | None
) -> SessionRefused:
    CameraSession.objects.create(
        plan=lookin.plan,
        lookin=lookin,
        client_id=lookin.client_id,
        user=user,
        started_at=now,
        refused=reason,
        remote_addr=remote_addr,
    )
    logger.warning("Camera session refused: user %s, look-in %s, %s", user.pk, lookin.pk, reason)
    messages = {
        RefusalReason.NOT_NIGHT_TEAM: _("Only night staff on the client's night team look in."),
        RefusalReason.OUTSIDE_WINDOW: _(
            "The camera opens only in the agreed window, %(start)s to %(end)s. "
            "The attempt is logged."
        ),
        RefusalReason.NOT_BY_CAMERA: _(
            "The camera is reported faulty: this look-in is a visit to the client's home."
        ),
        RefusalReason.NOT_DUE: _("This look-in is no longer due."),
        RefusalReason.NO_CAMERA: _("The client's camera is removed; supervision has ended."),
    }
    zone = lookin.municipality.zone
    text = str(messages[RefusalReason(reason)]) % {
        "start": f"{lookin.scheduled_at.astimezone(zone):%H:%M}",
        "end": f"{lookin.window_ends_at.astimezone(zone):%H:%M}",
    }
    return SessionRefused(reason, text)


def open_session(
    user: User, lookin: LookIn, *, now: dt.datetime | None = None, remote_addr: str | None = None
) -> CameraSession:
    """Open a camera session for the look-in, or refuse it (SessionRefused, with the
    attempt kept). The session lasts the plan's length, at most to the window's end."""
    now = now or timezone.now()
    plan = lookin.plan
    reason = ""
    if not access.on_night_team(user, plan):
        reason = RefusalReason.NOT_NIGHT_TEAM
    elif plan.ended_on is not None and plan.ended_on <= plan.municipality.local_date(now):
        reason = RefusalReason.NO_CAMERA
    elif lookin.status != LookInStatus.DUE:
        reason = RefusalReason.NOT_DUE
    elif lookin.physical:
        reason = RefusalReason.NOT_BY_CAMERA
    elif not lookin.in_window(now):
        reason = RefusalReason.OUTSIDE_WINDOW
    if reason:
        with transaction.atomic():
            error = _refuse(user, lookin, reason, now, remote_addr)
        raise error
    ends = min(now + dt.timedelta(seconds=plan.session_seconds), lookin.window_ends_at)
    with transaction.atomic():
        session = CameraSession.objects.create(
            plan=plan,
            lookin=lookin,
            client_id=lookin.client_id,
            user=user,
            started_at=now,
            ends_at=ends,
            seconds=int((ends - now).total_seconds()),
            remote_addr=remote_addr,
        )
        log_client_access(
            user,
            [lookin.client],
            AccessAction.DETAIL,
            path=reverse("supervision:session", args=[session.pk]),
            remote_addr=remote_addr,
            shown={"camera_session": [str(session.pk)]},
        )
    return session


def _raise_visit(lookin: LookIn, text: str, now: dt.datetime) -> None:
    camera = AlarmUnit.objects.select_related("municipality").get(pk=lookin.plan.camera_id)
    (alarm,) = raise_alarms([Raise(camera, AlarmKind.ALARM, CODE_NOT_SEEN, text=text)], now)
    LookIn.objects.filter(pk=lookin.pk).update(alarm_id=alarm.pk)
    lookin.alarm_id = alarm.pk


def record_outcome(
    user: User,
    lookin: LookIn,
    outcome: str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> LookIn:
    """Record what the look-in found and do what follows from it (see the module)."""
    now = now or timezone.now()
    plan = lookin.plan
    if outcome not in Outcome.values:
        raise RoundError(_("Choose what the look-in found."))
    if not access.on_night_team(user, plan):
        raise PermissionError("Only the client's night staff record look-ins.")
    if lookin.status == LookInStatus.MISSED:
        raise RoundError(
            _("The window closed before the look-in was recorded; it was reported missed.")
        )
    if lookin.status != LookInStatus.DUE:
        raise RoundError(_("This look-in is already recorded."))
    if lookin.physical and outcome == Outcome.CAMERA_FAULT:
        raise RoundError(_("The camera is already reported faulty."))
    if not lookin.physical and not lookin.sessions.filter(refused="", user=user).exists():
        raise RoundError(_("Look in through the camera first."))
    note = note.strip()[:300]
    with transaction.atomic():
        claimed = LookIn.objects.filter(pk=lookin.pk, status=LookInStatus.DUE).update(
            status=LookInStatus.DONE, outcome=outcome, note=note, done_at=now, done_by=user
        )
        if not claimed:
            raise RoundError(_("Someone else recorded this look-in first."))
        lookin.status, lookin.outcome, lookin.note = LookInStatus.DONE, outcome, note
        lookin.done_at, lookin.done_by = now, user
        # The session ends with the look-in.
        CameraSession.objects.filter(lookin=lookin, refused="", ends_at__gt=now).update(ends_at=now)
        if outcome == Outcome.NOT_SEEN:
            if lookin.retry_of_id is None:
                _schedule_retry(lookin, now)
            elif not plan.then_phone and plan.then_patrol:
                _raise_visit(lookin, _("Not seen twice"), now)
        elif outcome == Outcome.NEEDS_VISIT:
            _raise_visit(lookin, note or _("Needs a visit"), now)
        elif outcome == Outcome.CAMERA_FAULT:
            report_camera_fault(user, plan, note, now=now)
            _raise_visit(lookin, _("Camera fault: the client was not seen"), now)
    return lookin


def _schedule_retry(lookin: LookIn, now: dt.datetime) -> LookIn:
    plan = lookin.plan
    at = now + dt.timedelta(minutes=plan.retry_minutes)
    return LookIn.objects.create(
        plan=plan,
        municipality_id=lookin.municipality_id,
        client_id=lookin.client_id,
        team_id=lookin.team_id,
        night=lookin.night,
        scheduled_at=at,
        window_ends_at=at + dt.timedelta(minutes=plan.window_minutes),
        physical=lookin.physical,
        retry_of=lookin,
    )


def record_call(
    user: User, lookin: LookIn, answered: bool, *, now: dt.datetime | None = None
) -> LookIn:
    """The client was phoned after not being seen twice: answered and all right ends it;
    no answer sends the night patrol (when the plan says so)."""
    now = now or timezone.now()
    if not access.on_night_team(user, lookin.plan):
        raise PermissionError("Only the client's night staff record look-ins.")
    if lookin.outcome != Outcome.NOT_SEEN or lookin.phoned_at is not None:
        raise RoundError(_("No call is waiting for this look-in."))
    with transaction.atomic():
        claimed = LookIn.objects.filter(pk=lookin.pk, phoned_at__isnull=True).update(
            phoned_at=now, phone_answered=answered
        )
        if not claimed:
            raise RoundError(_("Someone else recorded the call first."))
        lookin.phoned_at, lookin.phone_answered = now, answered
        if not answered and lookin.plan.then_patrol:
            _raise_visit(lookin, _("Not seen, no answer on the phone"), now)
    return lookin


def report_camera_fault(
    user: User, plan: SupervisionPlan, note: str = "", *, now: dt.datetime | None = None
) -> SupervisionPlan:
    """The camera does not work: the plan's due look-ins become physical visits until it
    is repaired, and a fault ticket goes to the service desk."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = SupervisionPlan.objects.filter(
            pk=plan.pk, camera_faulty_since__isnull=True
        ).update(camera_faulty_since=now)
        if not updated:
            return plan
        plan.camera_faulty_since = now
        LookIn.objects.filter(plan=plan, status=LookInStatus.DUE).update(physical=True)
        order = open_fault_ticket(
            user, plan, note or _("Reported faulty during the night's look-in.")
        )
        if order is not None:
            SupervisionPlan.objects.filter(pk=plan.pk).update(fault_order=order)
            plan.fault_order = order
    return plan


def sessions_of(plan: SupervisionPlan) -> QuerySet[CameraSession]:
    return plan.sessions.select_related("user", "lookin")
