"""The steps people take with an alarm: acknowledge it, accept it on the phone, send a
responder, mark them on site, close it with a cause, add a note.

Every step locks the alarm row, checks that the step still makes sense (someone else may
have taken it a moment ago), records an AlarmEvent with who and when, and announces the
change on the event bus, all in one transaction. Who may take a step is the access rules'
(`access.refusal`: the responders on shift, the one sent, the alarm centre), asked here
under the row's lock, so that a page and the API refuse alike and a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.models import Team, User

from . import access
from .dispatch import announce, team_on_shift
from .models import (
    TECHNICAL_CAUSES,
    Alarm,
    AlarmAction,
    AlarmCategory,
    AlarmCause,
    AlarmEvent,
    AlarmStatus,
)


class AlarmError(ValueError):
    """A step that cannot be taken, with a message for the person who tried."""


class AlarmConflict(AlarmError):
    """Someone else got there first: the alarm is no longer in the state the step needs."""


class AlarmRefused(AlarmError):
    """The person may not take this step on this alarm (not its responder, read-only)."""


def _locked(alarm_id: int) -> Alarm:
    # Only the alarm's row: FOR UPDATE would otherwise lock the municipality's row too.
    return (
        Alarm.objects.select_for_update(of=("self",))
        .select_related(
            "municipality", "client", "team", "acknowledged_by", "closed_by", "assigned_to"
        )
        .get(pk=alarm_id)
    )


def _allowed(actor: User, alarm: Alarm, step: str, now: dt.datetime) -> None:
    reason = access.refusal(actor, alarm, step, now)
    if reason is not None:
        raise AlarmRefused(reason)


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
    return alarm.municipality.localtime(moment).strftime("%H:%M")


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


def acknowledge_alarm(actor: User, alarm_id: int, *, now: dt.datetime | None = None) -> Alarm:
    """Take the alarm: escalation stops. Refused if someone else already has."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        _allowed(actor, alarm, AlarmAction.ACKNOWLEDGED, now)
        if not _acknowledge(alarm, actor, now):
            if alarm.acknowledged_by_id == actor.pk:
                return alarm
            raise AlarmConflict(
                _("%(who)s acknowledged the alarm at %(time)s.")
                % {"who": _who(alarm.acknowledged_by), "time": _clock(alarm.acknowledged_at, alarm)}
            )
        return _done(alarm, actor, now, AlarmAction.ACKNOWLEDGED)


def responders(alarm: Alarm, now: dt.datetime | None = None) -> list[User]:
    """Who can be sent: active staff in the alarm's team and backup team, and in the team
    on shift for the client now (the alarm came before a shift change)."""
    team_ids = {t for t in (alarm.team_id, alarm.backup_team_id) if t}
    if alarm.category == AlarmCategory.CARE:
        current: Team | None = team_on_shift(alarm, now or timezone.now())
        if current is not None:
            team_ids.add(current.pk)
    if not team_ids:
        return []
    return list(
        User.objects.filter(is_active=True, role_assignments__teams__in=team_ids)
        .distinct()
        .order_by("first_name", "last_name")
    )


def assign_responder(
    actor: User, alarm_id: int, responder: User, *, now: dt.datetime | None = None
) -> Alarm:
    """Send a responder (and acknowledge the alarm if it was still open)."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        _allowed(actor, alarm, AlarmAction.ASSIGNED, now)
        if responder.pk not in {u.pk for u in responders(alarm, now)}:
            raise AlarmError(
                _("%(who)s is not in the alarm's responder teams.") % {"who": _who(responder)}
            )
        return _assign(alarm, actor, responder, now, AlarmAction.ASSIGNED)


def accept_alarm(actor: User, alarm_id: int, *, now: dt.datetime | None = None) -> Alarm:
    """A responder takes the alarm on the phone: acknowledged and assigned to them. Refused
    when another responder already has it."""
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _not_closed(alarm)
        _allowed(actor, alarm, access.ACCEPT, now)
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
        _allowed(actor, alarm, AlarmAction.ON_SITE, now)
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


def close_alarm(
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
        _allowed(actor, alarm, AlarmAction.CLOSED, now)
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


def add_alarm_note(
    actor: User, alarm_id: int, note: str, *, now: dt.datetime | None = None
) -> Alarm:
    """A note in the alarm's log; the alarm's state does not change."""
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise AlarmError(_("Write the note first."))
    if len(note) > 2000:
        raise AlarmError(_("The note can be at most 2,000 characters."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _allowed(actor, alarm, AlarmAction.NOTE, now)
        AlarmEvent.objects.create(
            alarm=alarm, at=now, action=AlarmAction.NOTE, actor=actor, note=note
        )
        announce(alarm, AlarmAction.NOTE)
    return alarm
