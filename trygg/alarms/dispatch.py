"""What moves an alarm along without anyone's action: it is routed to the responder team on
duty and escalates while nobody acknowledges it. The steps people take are in `steps.py`.

Two loops do it (`run_dispatcher`, one thread in `trygg serve` and in `trygg worker`):
delivering the `alarm.*` messages the ingest and heartbeat supervision write to the core
outbox (routing each new alarm and announcing it) and escalating what is due. What the
event bus carries about alarms (`channel`, `event_data`, `announce`) is here too: the steps
announce through it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core import events, outbox
from trygg.core.models import OutboxMessage, Team
from trygg.lib.bulkinsert import update_rows

from .models import (
    Alarm,
    AlarmAction,
    AlarmCategory,
    AlarmEvent,
    AlarmPolicy,
    AlarmStatus,
    EscalationLevel,
)
from .routing import Roster

logger = logging.getLogger(__name__)

DEFAULT_POLICY = AlarmPolicy(acknowledge_within=120, remind_every=60)


def channel(municipality_id: int) -> str:
    return f"alarms.{municipality_id}"


def event_data(alarm: Alarm, action: str) -> dict[str, Any]:
    """What the bus carries about an alarm: ids and states only, never personal data;
    subscribers use it to decide who is told and reload the rest."""
    return {
        "alarm": alarm.pk,
        "action": action,
        "municipality": alarm.municipality_id,
        "provider": alarm.provider_id,
        "team": alarm.team_id,
        "backup_team": alarm.backup_team_id,
        "level": alarm.escalation_level,
        "category": alarm.category,
        "kind": alarm.kind,
        "status": alarm.status,
        "assigned_to": alarm.assigned_to_id,
        "acknowledged_by": alarm.acknowledged_by_id,
    }


def announcement(alarm: Alarm, action: str) -> events.Event:
    return events.Event(channel(alarm.municipality_id), event_data(alarm, action))


def announce(alarm: Alarm, action: str) -> None:
    events.publish_many([announcement(alarm, action)])


def policy_for(municipality_id: int) -> AlarmPolicy:
    return AlarmPolicy.objects.filter(municipality_id=municipality_id).first() or DEFAULT_POLICY


# Routing and the outbox ---------------------------------------------------------------


def raised_at(alarm: Alarm) -> dt.datetime:
    """When the call came: the receiver's time for the message, or when Trygg noticed
    (a lost connection has no message)."""
    return alarm.signal.received_at if alarm.signal is not None else alarm.created_at


def _route(alarm: Alarm, roster: Roster, policy: AlarmPolicy, now: dt.datetime) -> None:
    """Give a new alarm its team and its first escalation time; technical alarms go to
    the technical queue and do not escalate."""
    alarm.routed_at = now
    if alarm.category != AlarmCategory.CARE:
        return
    route = roster.route_alarm(alarm, raised_at(alarm))
    alarm.team = route.team
    alarm.backup_team = route.backup_team
    if route.team is None:
        # No shift covers the client now: the alarm centre has it at once.
        alarm.escalation_level = EscalationLevel.ALARM_CENTRE
        alarm.escalate_at = now + dt.timedelta(seconds=policy.remind_every)
    else:
        alarm.escalate_at = max(_team_deadline(raised_at(alarm), route.until, policy), now)


def _team_deadline(
    since: dt.datetime, until: dt.datetime | None, policy: AlarmPolicy
) -> dt.datetime:
    """When a team's alarm escalates: after *acknowledge within*, or when the team goes off
    shift if that is sooner (then it is handed over to the team on shift, escalate_due)."""
    deadline = since + dt.timedelta(seconds=policy.acknowledge_within)
    return min(deadline, until) if until is not None else deadline


# The alarm topics in the outbox (trygg/core/outbox.py): a new alarm that needs someone's
# action (the ingest, heartbeat supervision), and one Trygg closed itself (a restore). The
# dispatcher delivers them from its own loop, not the worker's `core.outbox` job.
OUTBOX_TOPICS = "alarm."
OUTBOX_BATCH = 500


def dispatch_pending(limit: int = OUTBOX_BATCH, now: dt.datetime | None = None) -> int:
    """Deliver one batch of due `alarm.*` outbox messages: route each new alarm and announce
    it, or announce a change the ingest made (a restore closing an alarm). Safe beside other
    dispatchers (the outbox claims with SKIP LOCKED on PostgreSQL; SQLite has one writer).
    An idle pass is one read: on SQLite a transaction takes the database's one write lock at
    BEGIN, and an idle dispatcher must not take it every second from the ingest."""
    return outbox.deliver((OUTBOX_TOPICS,), limit=limit, now=now)


def deliver_alarm_messages(messages: list[OutboxMessage], now: dt.datetime) -> None:
    """The outbox handler of `alarm.*`, run in the claim's transaction (which marks the
    messages delivered): `now` is taken once the claim holds its rows, since on SQLite
    BEGIN may have waited for the ingest."""
    alarms = {
        a.pk: a
        for a in Alarm.objects.select_for_update(of=("self",))
        .select_related("municipality", "client", "signal")
        .filter(pk__in={m.subject_id for m in messages})
    }
    history: list[AlarmEvent] = []
    routed: list[Alarm] = []
    said: list[events.Event] = []
    for message in messages:
        alarm = alarms.get(message.subject_id)
        if alarm is None:
            continue  # deleted since the message was written (a message has no foreign key)
        if alarm.routed_at is None:  # new: raised now, or lost connection noticed
            roster, policy = _organisation(alarm.municipality_id)
            if alarm.status != AlarmStatus.CLOSED:
                _route(alarm, roster, policy, now)
            else:
                alarm.routed_at = now
            routed.append(alarm)
            history.append(AlarmEvent(alarm=alarm, at=raised_at(alarm), action=AlarmAction.RAISED))
            if alarm.team_id is not None:
                history.append(
                    AlarmEvent(alarm=alarm, at=now, action=AlarmAction.ROUTED, team=alarm.team)
                )
            elif alarm.category == AlarmCategory.CARE and alarm.status == AlarmStatus.OPEN:
                history.append(
                    AlarmEvent(
                        alarm=alarm,
                        at=now,
                        action=AlarmAction.ESCALATED,
                        level=EscalationLevel.ALARM_CENTRE,
                        note=_("No responder team is on duty for this client now."),
                    )
                )
            said.append(announcement(alarm, AlarmAction.RAISED))
        else:
            said.append(announcement(alarm, message.topic.removeprefix("alarm.")))
    _save_routes(routed)
    AlarmEvent.objects.bulk_create(history)
    events.publish_many(said)


# How long the dispatcher reuses a municipality's shifts and policy: a change in the admin
# applies to alarms from at most this long after it. Loading them each pass was a fifth of
# the dispatcher's time (docs/benchmarks.md, alarm to screen).
ORGANISATION_TTL = 10.0
_organisations: dict[int, tuple[float, Roster, AlarmPolicy]] = {}


def _organisation(municipality_id: int) -> tuple[Roster, AlarmPolicy]:
    cached = _organisations.get(municipality_id)
    clock = time.monotonic()
    if cached is None or clock - cached[0] > ORGANISATION_TTL:
        cached = (clock, Roster(municipality_id), policy_for(municipality_id))
        _organisations[municipality_id] = cached
    return cached[1], cached[2]


def team_on_shift(alarm: Alarm, now: dt.datetime) -> Team | None:
    """The team a call for help from this alarm's client would go to now: after a shift
    change, who the alarm centre can send for an alarm the previous team had."""
    roster, _policy = _organisation(alarm.municipality_id)
    return roster.route_alarm(alarm, now).team


def forget_organisations() -> None:
    """Reload shifts and policies at the next alarm (the admin calls this on a change)."""
    _organisations.clear()


def _save_routes(alarms: list[Alarm]) -> None:
    # Not bulk_update: its CASE WHEN over the batch was the dispatcher's largest cost, as it
    # was the ingest's.
    update_rows(alarms, _ROUTED)


_ROUTED = ("team", "backup_team", "routed_at", "escalation_level", "escalate_at")


# Escalation ---------------------------------------------------------------------------


def escalate_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Move every unacknowledged alarm whose time is up one level: from the responder team
    to the backup team (if the shift has one and it is at work), then to the alarm centre;
    at the alarm centre, remind again every `remind_every` seconds until someone
    acknowledges it. An alarm still with a team that has gone off shift is first handed
    over to the team on shift for the client now, which gets the full time to take it."""
    now = now or timezone.now()
    due = Alarm.objects.filter(
        status=AlarmStatus.OPEN, escalate_at__isnull=False, escalate_at__lte=now
    ).order_by("escalate_at")
    if not due.exists():  # as above: no write lock when nothing is due
        return 0
    with transaction.atomic():
        due = due.select_for_update(skip_locked=True, of=("self",)).select_related(
            "municipality", "client", "signal"
        )
        alarms = list(due[:limit])
        if not alarms:
            return 0
        history = []
        said: list[events.Event] = []
        for alarm in alarms:
            roster, policy = _organisation(alarm.municipality_id)
            step = _next_step(alarm, roster, policy, now)
            if step is None:
                continue
            history.append(step)
            said.append(announcement(alarm, str(step.action)))
        Alarm.objects.bulk_update(
            alarms, ["team", "backup_team", "escalation_level", "escalate_at", "reminders"]
        )
        AlarmEvent.objects.bulk_create(history)
        events.publish_many(said)
    return len(alarms)


def _next_step(
    alarm: Alarm, roster: Roster, policy: AlarmPolicy, now: dt.datetime
) -> AlarmEvent | None:
    """Move one due alarm on and say what happened (None: only its time moved)."""
    assert alarm.escalate_at is not None  # the query asks for a due time
    if alarm.escalation_level == EscalationLevel.TEAM and alarm.team_id is not None:
        on_shift = roster.team_stretch(alarm.team_id, now)
        if on_shift.on_shift:
            # Due early for a shift end that has moved (the admin changed the shift): the
            # team keeps its full time.
            deadline = _team_deadline(raised_at(alarm), on_shift.until, policy)
            if deadline > now:
                alarm.escalate_at = deadline
                return None
        else:
            handed = _hand_over(alarm, roster, policy, now)
            if handed is not None:
                return handed
    if (
        alarm.escalation_level == EscalationLevel.TEAM
        and alarm.backup_team_id
        and roster.available_as_backup(alarm.backup_team_id, now)
    ):
        alarm.escalation_level = EscalationLevel.BACKUP_TEAM
        # From when it was due, not from now: after an outage of the dispatcher an alarm
        # long overdue goes on to the alarm centre in the same loop.
        alarm.escalate_at += dt.timedelta(seconds=policy.acknowledge_within)
        return AlarmEvent(
            alarm=alarm,
            at=now,
            action=AlarmAction.ESCALATED,
            team=alarm.backup_team,
            level=alarm.escalation_level,
        )
    alarm.escalate_at = now + dt.timedelta(seconds=policy.remind_every)
    if alarm.escalation_level < EscalationLevel.ALARM_CENTRE:
        skipped = alarm.escalation_level == EscalationLevel.TEAM and alarm.backup_team_id
        alarm.escalation_level = EscalationLevel.ALARM_CENTRE
        return AlarmEvent(
            alarm=alarm,
            at=now,
            action=AlarmAction.ESCALATED,
            level=alarm.escalation_level,
            note=_("The backup team %(team)s is not on shift.")
            % {"team": alarm.backup_team.name if alarm.backup_team else ""}
            if skipped
            else "",
        )
    alarm.reminders += 1
    return AlarmEvent(
        alarm=alarm, at=now, action=AlarmAction.REMINDED, level=alarm.escalation_level
    )


def _hand_over(
    alarm: Alarm, roster: Roster, policy: AlarmPolicy, now: dt.datetime
) -> AlarmEvent | None:
    """The alarm's team went off shift before anyone took the alarm: it goes to the team
    on shift for the client now, as a new alarm would. None when no other team is."""
    route = roster.route_alarm(alarm, now)
    if route.team is None or route.team.pk == alarm.team_id:
        return None
    gone = alarm.team.name if alarm.team else ""
    alarm.team = route.team
    alarm.backup_team = route.backup_team
    alarm.escalate_at = max(_team_deadline(now, route.until, policy), now)
    return AlarmEvent(
        alarm=alarm,
        at=now,
        action=AlarmAction.ROUTED,
        team=route.team,
        note=_("Handed over at the shift change: %(team)s is no longer on shift.") % {"team": gone},
    )


def next_escalation_in(now: dt.datetime | None = None) -> float | None:
    """Seconds until the next escalation is due, for the loop's sleep; None if none."""
    nearest = (
        Alarm.objects.filter(status=AlarmStatus.OPEN, escalate_at__isnull=False)
        .order_by("escalate_at")
        .values_list("escalate_at", flat=True)
        .first()
    )
    if nearest is None:
        return None
    return max(0.0, (nearest - (now or timezone.now())).total_seconds())


def run_dispatcher(stop: threading.Event, *, idle: float = 1.0) -> None:
    """Deliver the `alarm.*` outbox messages and escalate, until `stop` is set. Wakes at
    once when a writer's messages are committed (`outbox.notify`); otherwise looks every
    `idle` seconds (a notice can be lost: the rows are the truth, the notice only saves
    waiting)."""
    wake = outbox.subscribe([OUTBOX_TOPICS])
    try:
        while not stop.is_set():
            close_old_connections()
            wait = idle
            try:
                while dispatch_pending():
                    pass
                while escalate_due():
                    pass
                until = next_escalation_in()
                if until is not None:
                    wait = min(wait, until)
            except Exception:
                logger.exception("Alarm dispatcher pass failed; retrying")
            finally:
                close_old_connections()
            if wake.get(timeout=max(wait, 0.01)) is not None:
                # Drain what queued meanwhile: one pass delivers all of it.
                while wake.get(timeout=0) is not None:
                    pass
    finally:
        events.unsubscribe(wake)
