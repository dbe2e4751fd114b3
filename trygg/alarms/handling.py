"""What happens to an alarm after it is received: it is routed to the responder team on
duty, escalates while nobody acknowledges it, and is acknowledged, given a responder,
marked on site and closed with a cause.

Every step locks the alarm row, checks that the step still makes sense (someone else may
have taken it a moment ago), records an AlarmEvent with who and when, and announces the
change on the event bus, all in one transaction. Who may take a step is decided in
core/access.py; the functions here check what the step itself requires.

Two loops move alarms along without anyone's action (`run_dispatcher`, one thread in
`trygg serve` and in `trygg worker`): delivering the ingest's outbox (routing each new
alarm and announcing it) and escalating what is due.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core import events
from trygg.core.models import Team, User

from .models import (
    TECHNICAL_CAUSES,
    Alarm,
    AlarmAction,
    AlarmCategory,
    AlarmCause,
    AlarmEvent,
    AlarmOutbox,
    AlarmPolicy,
    AlarmStatus,
    EscalationLevel,
)
from .routing import Roster

logger = logging.getLogger(__name__)

OUTBOX_CHANNEL = "alarms.outbox"
DEFAULT_POLICY = AlarmPolicy(acknowledge_within=120, remind_every=60)


class AlarmError(ValueError):
    """A step that cannot be taken, with a message for the person who tried."""


class AlarmConflict(AlarmError):
    """Someone else got there first: the alarm is no longer in the state the step needs."""


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
    }


def announcement(alarm: Alarm, action: str) -> events.Event:
    return events.Event(channel(alarm.municipality_id), event_data(alarm, action))


def announce(alarm: Alarm, action: str) -> None:
    events.publish_many([announcement(alarm, action)])


def wake_dispatcher() -> None:
    """Tell the dispatcher there is outbox to deliver (after the writer's commit)."""
    events.publish(OUTBOX_CHANNEL, {})


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
    route = roster.route_alarm(alarm, alarm.municipality.time_zone, raised_at(alarm))
    alarm.team = route.team
    alarm.backup_team = route.backup_team
    if route.team is None:
        # No shift covers the client now: the alarm centre has it at once.
        alarm.escalation_level = EscalationLevel.ALARM_CENTRE
        alarm.escalate_at = now + dt.timedelta(seconds=policy.remind_every)
    else:
        alarm.escalate_at = raised_at(alarm) + dt.timedelta(seconds=policy.acknowledge_within)
        alarm.escalate_at = max(alarm.escalate_at, now)


def dispatch_pending(limit: int = 500, now: dt.datetime | None = None) -> int:
    """Deliver pending outbox rows: route each new alarm and announce it, or announce a
    change the ingest made (a restore closing an alarm). Safe beside other dispatchers:
    rows are claimed with SKIP LOCKED on PostgreSQL (SQLite has one writer anyway)."""
    # A read first: on SQLite a transaction takes the database's one write lock at BEGIN,
    # and an idle dispatcher must not take it every second from the ingest.
    if not AlarmOutbox.objects.filter(delivered_at__isnull=True).exists():
        return 0
    with transaction.atomic():
        # SQLite has no FOR UPDATE and ignores the clause: its one writer is lock enough.
        pending = (
            AlarmOutbox.objects.filter(delivered_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)
        )
        rows = list(pending[:limit])
        if not rows:
            return 0
        # The time once the lock is held: on SQLite BEGIN may have waited for the ingest.
        now = now or timezone.now()
        alarms = {
            a.pk: a
            for a in Alarm.objects.select_for_update(of=("self",))
            .select_related("municipality", "client", "signal")
            .filter(pk__in={row.alarm_id for row in rows})
        }
        history: list[AlarmEvent] = []
        routed: list[Alarm] = []
        said: list[events.Event] = []
        for row in rows:
            alarm = alarms[row.alarm_id]
            if alarm.routed_at is None:  # new: raised now, or lost connection noticed
                roster, policy = _organisation(alarm.municipality_id)
                if alarm.status != AlarmStatus.CLOSED:
                    _route(alarm, roster, policy, now)
                else:
                    alarm.routed_at = now
                routed.append(alarm)
                history.append(
                    AlarmEvent(alarm=alarm, at=raised_at(alarm), action=AlarmAction.RAISED)
                )
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
                said.append(announcement(alarm, row.topic.removeprefix("alarm.")))
        _save_routes(routed)
        AlarmEvent.objects.bulk_create(history)
        events.publish_many(said)
        AlarmOutbox.objects.filter(pk__in=[row.pk for row in rows]).update(delivered_at=now)
    return len(rows)


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


def forget_organisations() -> None:
    """Reload shifts and policies at the next alarm (the admin calls this on a change)."""
    _organisations.clear()


_ROUTE_SQL = (
    "UPDATE alarms_alarm SET team_id = %s, backup_team_id = %s, routed_at = %s,"
    " escalation_level = %s, escalate_at = %s WHERE id = %s"
)


def _save_routes(alarms: list[Alarm]) -> None:
    # One prepared statement run per alarm: bulk_update's CASE WHEN over the batch was the
    # dispatcher's largest cost, as it was the ingest's.
    if not alarms:
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            _ROUTE_SQL,
            [
                (
                    a.team_id,
                    a.backup_team_id,
                    adapt(a.routed_at),
                    a.escalation_level,
                    adapt(a.escalate_at),
                    a.pk,
                )
                for a in alarms
            ],
        )


# Escalation ---------------------------------------------------------------------------


def escalate_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Move every unacknowledged alarm whose time is up one level: from the responder team
    to the backup team (if the shift has one), then to the alarm centre; at the alarm
    centre, remind again every `remind_every` seconds until someone acknowledges it."""
    now = now or timezone.now()
    due = Alarm.objects.filter(
        status=AlarmStatus.OPEN, escalate_at__isnull=False, escalate_at__lte=now
    ).order_by("escalate_at")
    if not due.exists():  # as above: no write lock when nothing is due
        return 0
    with transaction.atomic():
        due = due.select_for_update(skip_locked=True)
        alarms = list(due[:limit])
        if not alarms:
            return 0
        history = []
        said: list[events.Event] = []
        for alarm in alarms:
            _roster, policy = _organisation(alarm.municipality_id)
            assert alarm.escalate_at is not None  # the query asks for a due time
            if alarm.escalation_level == EscalationLevel.TEAM and alarm.backup_team_id:
                alarm.escalation_level = EscalationLevel.BACKUP_TEAM
                # From when it was due, not from now: after an outage of the dispatcher an
                # alarm long overdue goes on to the alarm centre in the same loop.
                alarm.escalate_at += dt.timedelta(seconds=policy.acknowledge_within)
                action = AlarmAction.ESCALATED
                team: Team | None = alarm.backup_team
            elif alarm.escalation_level < EscalationLevel.ALARM_CENTRE:
                alarm.escalation_level = EscalationLevel.ALARM_CENTRE
                alarm.escalate_at = now + dt.timedelta(seconds=policy.remind_every)
                action = AlarmAction.ESCALATED
                team = None
            else:
                alarm.reminders += 1
                alarm.escalate_at = now + dt.timedelta(seconds=policy.remind_every)
                action = AlarmAction.REMINDED
                team = None
            history.append(
                AlarmEvent(
                    alarm=alarm, at=now, action=action, team=team, level=alarm.escalation_level
                )
            )
            said.append(announcement(alarm, str(action)))
        Alarm.objects.bulk_update(alarms, ["escalation_level", "escalate_at", "reminders"])
        AlarmEvent.objects.bulk_create(history)
        events.publish_many(said)
    return len(alarms)


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
    """Deliver the outbox and escalate, until `stop` is set. Wakes at once when a writer
    announces outbox rows; otherwise looks every `idle` seconds (a notice can be lost:
    the rows are the truth, the notice only saves waiting)."""
    wake = events.subscribe([OUTBOX_CHANNEL])
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


# Steps people take --------------------------------------------------------------------


def _locked(alarm_id: int) -> Alarm:
    # Only the alarm's row: FOR UPDATE would otherwise lock the municipality's row too.
    return (
        Alarm.objects.select_for_update(of=("self",))
        .select_related("municipality", "acknowledged_by", "closed_by", "assigned_to")
        .get(pk=alarm_id)
    )


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user is not None else _("Trygg")


def _not_closed(alarm: Alarm) -> None:
    if alarm.status == AlarmStatus.CLOSED:
        raise AlarmConflict(
            _("The alarm was closed by %(who)s at %(time)s.")
            % {"who": _who(alarm.closed_by), "time": _clock(alarm.closed_at, alarm)}
        )


def _clock(moment: dt.datetime | None, alarm: Alarm) -> str:
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(alarm.municipality.time_zone)).strftime("%H:%M")


def _acknowledge(alarm: Alarm, actor: User, now: dt.datetime) -> bool:
    if alarm.status != AlarmStatus.OPEN:
        return False
    alarm.status = AlarmStatus.ACKNOWLEDGED
    alarm.acknowledged_at = now
    alarm.acknowledged_by = actor
    alarm.escalate_at = None
    return True


# What the steps change on the alarm row; each step saves them all (one short UPDATE).
_STEP_FIELDS = [
    "status",
    "acknowledged_at",
    "acknowledged_by",
    "escalate_at",
    "assigned_to",
    "assigned_at",
    "on_site_at",
    "closed_at",
    "closed_by",
    "cause",
    "close_note",
]


def _done(
    alarm: Alarm,
    actor: User,
    now: dt.datetime,
    action: str,
    *,
    acknowledged: bool = False,
    **event: Any,
) -> Alarm:
    """Save a step, log it (after the acknowledgement it implied, if any), announce it."""
    alarm.save(update_fields=_STEP_FIELDS)
    steps = []
    if acknowledged and action != AlarmAction.ACKNOWLEDGED:
        steps.append(AlarmEvent(alarm=alarm, at=now, action=AlarmAction.ACKNOWLEDGED, actor=actor))
    steps.append(AlarmEvent(alarm=alarm, at=now, action=action, actor=actor, **event))
    AlarmEvent.objects.bulk_create(steps)
    announce(alarm, action)
    return alarm


def acknowledge(actor: User, alarm_id: int, *, now: dt.datetime | None = None) -> Alarm:
    """Take the alarm: escalation stops. Refused if someone else already has."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        if not _acknowledge(alarm, actor, now):
            if alarm.acknowledged_by_id == actor.pk:
                return alarm
            raise AlarmConflict(
                _("%(who)s acknowledged the alarm at %(time)s.")
                % {"who": _who(alarm.acknowledged_by), "time": _clock(alarm.acknowledged_at, alarm)}
            )
        return _done(alarm, actor, now, AlarmAction.ACKNOWLEDGED)


def responders(alarm: Alarm) -> list[User]:
    """Who can be sent: active staff in the alarm's team and backup team."""
    team_ids = [t for t in (alarm.team_id, alarm.backup_team_id) if t]
    if not team_ids:
        return []
    return list(
        User.objects.filter(is_active=True, role_assignments__teams__in=team_ids)
        .distinct()
        .order_by("first_name", "last_name")
    )


def assign(actor: User, alarm_id: int, responder: User, *, now: dt.datetime | None = None) -> Alarm:
    """Send a responder (and acknowledge the alarm if it was still open)."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        if responder.pk not in {u.pk for u in responders(alarm)}:
            raise AlarmError(
                _("%(who)s is not in the alarm's responder teams.") % {"who": _who(responder)}
            )
        return _assign(alarm, actor, responder, now, AlarmAction.ASSIGNED)


def accept(actor: User, alarm_id: int, *, now: dt.datetime | None = None) -> Alarm:
    """A responder takes the alarm on the phone: acknowledged and assigned to them. Refused
    when another responder already has it."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        if alarm.assigned_to_id == actor.pk:
            return alarm
        if alarm.assigned_to_id is not None:
            raise AlarmConflict(
                _("%(who)s is already on the way.") % {"who": _who(alarm.assigned_to)}
            )
        return _assign(alarm, actor, actor, now, AlarmAction.ACCEPTED)


def _assign(alarm: Alarm, actor: User, responder: User, now: dt.datetime, action: str) -> Alarm:
    acknowledged = _acknowledge(alarm, actor, now)
    alarm.assigned_to = responder
    alarm.assigned_at = now
    return _done(alarm, actor, now, action, acknowledged=acknowledged, responder=responder)


def mark_on_site(actor: User, alarm_id: int, *, now: dt.datetime | None = None) -> Alarm:
    """The responder is with the client."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        if alarm.on_site_at is not None:
            return alarm
        acknowledged = _acknowledge(alarm, actor, now)
        if alarm.assigned_to_id is None:
            alarm.assigned_to = actor
            alarm.assigned_at = now
        alarm.on_site_at = now
        return _done(alarm, actor, now, AlarmAction.ON_SITE, acknowledged=acknowledged)


def causes_for(alarm: Alarm) -> list[tuple[str, str]]:
    """The cause codes that fit the alarm, for the closing form."""
    if alarm.category == AlarmCategory.TECHNICAL:
        allowed = TECHNICAL_CAUSES
    else:
        allowed = frozenset(AlarmCause) - {AlarmCause.TECHNICAL_FIXED}
    return [(value, str(label)) for value, label in AlarmCause.choices if value in allowed]


def close(
    actor: User,
    alarm_id: int,
    cause: str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> Alarm:
    """Close with a cause code and a note (required when the cause is "other"). Closing an
    alarm nobody acknowledged acknowledges it too: the operator dealt with it by phone."""
    now = now or timezone.now()
    note = note.strip()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        if cause not in {value for value, _label in causes_for(alarm)}:
            raise AlarmError(_("Choose the cause of the alarm."))
        if cause == AlarmCause.OTHER and not note:
            raise AlarmError(_("Write a note saying what happened."))
        if len(note) > 2000:
            raise AlarmError(_("The note can be at most 2,000 characters."))
        acknowledged = _acknowledge(alarm, actor, now)
        alarm.status = AlarmStatus.CLOSED
        alarm.closed_at = now
        alarm.closed_by = actor
        alarm.cause = cause
        alarm.close_note = note
        alarm.escalate_at = None
        return _done(
            alarm, actor, now, AlarmAction.CLOSED, acknowledged=acknowledged, cause=cause, note=note
        )


def add_note(actor: User, alarm_id: int, note: str, *, now: dt.datetime | None = None) -> Alarm:
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise AlarmError(_("Write the note first."))
    if len(note) > 2000:
        raise AlarmError(_("The note can be at most 2,000 characters."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        AlarmEvent.objects.create(
            alarm=alarm, at=now, action=AlarmAction.NOTE, actor=actor, note=note
        )
        announce(alarm, AlarmAction.NOTE)
    return alarm
