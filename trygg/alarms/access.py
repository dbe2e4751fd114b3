"""Who sees and handles which alarms, and what a log extract lists, on top of
`trygg.core.access`.

Seeing: the alarm centre (operators, administrators) sees every alarm of its municipality;
the welfare-technology team its technical alarms. A provider's team leaders, managers and
night staff see the alarms of their provider's clients. Everyone in a responder team sees
the alarms sent to that team, and a backup team those escalated to it: a municipal night
patrol that answers for every provider's clients at night must see who called and how to
get in. That read is of one client, because of one alarm, and is logged. Whoever took an
alarm or was sent to it sees it.

Answering: an alarm is offered on the phone (listed, sounded, may be accepted) only to a
responder (`offers`): a member of the team it was routed to while that team is on one of
its shifts, a member of the backup team once escalation named it, the person sent to it,
and the person who took it. Handling it (acknowledge, send, on site, close, note) is for
the alarm centre, the welfare-technology team for technical alarms, and its responders;
everyone else who sees it follows it read-only.

A log extract (the result of a service-desk order, with personal data of every alarm
customer it lists) follows the secrecy boundary: an order placed for a provider lists that
provider's customers alone, one placed by municipal staff lists every provider's, each in
its own section. Who may make it again is the service desk's rule
(`servicedesk.access.can_make_order_result`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.access import Scope, can_reveal_door_code, scope_for
from trygg.core.constants import Role
from trygg.core.models import Provider, User
from trygg.servicedesk.models import Order

from .models import (
    Alarm,
    AlarmCategory,
    AlarmQuerySet,
    AlarmStatus,
    EscalationLevel,
    ResponderShift,
)
from .shifts import Duty

ALARM_CENTRE_ROLES = frozenset({Role.ALARM_OPERATOR, Role.MUNICIPAL_ADMIN})
ALARM_TECHNICAL_ROLES = frozenset({Role.WELFARE_TECH})
ALARM_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.NIGHT_SUPERVISOR})


def _alarm_filter(scope: Scope) -> Q | None:
    parts = []
    centre = scope.municipalities_with(ALARM_CENTRE_ROLES)
    if centre:
        parts.append(Q(municipality_id__in=centre))
    technical = scope.municipalities_with(ALARM_TECHNICAL_ROLES)
    if technical:
        parts.append(Q(municipality_id__in=technical, category=AlarmCategory.TECHNICAL))
    providers = scope.providers_with(ALARM_PROVIDER_ROLES)
    if providers:
        parts.append(Q(provider_id__in=providers))
    if scope.team_ids:
        parts.append(Q(team_id__in=scope.team_ids))
        parts.append(
            Q(
                backup_team_id__in=scope.team_ids,
                escalation_level__gte=EscalationLevel.BACKUP_TEAM,
            )
        )
    if parts and scope.user_id is not None:
        # Sent to it, or took it: also from outside the alarm's teams (the operator sent
        # the team on shift now for an alarm its team had when it came).
        parts.append(Q(assigned_to_id=scope.user_id) | Q(acknowledged_by_id=scope.user_id))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def alarms(user: User | AnonymousUser) -> AlarmQuerySet:
    """The alarms this user may see and handle."""
    condition = _alarm_filter(scope_for(user))
    if condition is None:
        return Alarm.objects.none()
    return Alarm.objects.filter(condition)


def get_alarm(user: User | AnonymousUser, pk: int) -> Alarm:
    """The alarm if the user may see it; 404 otherwise."""
    try:
        return (
            alarms(user)
            .select_related(
                "client",
                "client__provider",
                "client__team",
                "unit",
                "team",
                "backup_team",
                "provider",
                "municipality",
                "acknowledged_by",
                "assigned_to",
                "closed_by",
            )
            .get(pk=pk)
        )
    except Alarm.DoesNotExist as exc:
        raise Http404 from exc


def can_open_alarms(user: User | AnonymousUser) -> bool:
    """Whether the user may open the alarm console or the phone's alarm list."""
    return _alarm_filter(scope_for(user)) is not None


def watches_the_console(user: User | AnonymousUser) -> bool:
    """The alarm console belongs in the menu of those who watch alarms they do not go out
    to: the alarm centre, the welfare-technology team, a provider's leaders and night staff."""
    scope = scope_for(user)
    return bool(
        scope.municipalities_with(ALARM_CENTRE_ROLES | ALARM_TECHNICAL_ROLES)
        or scope.providers_with(ALARM_PROVIDER_ROLES)
    )


def answers_on_the_phone(user: User | AnonymousUser) -> bool:
    """The alarm phone belongs in the menu of everyone in a team: responder teams get their
    alarms there, and any team may be one's backup."""
    return bool(scope_for(user).team_ids)


def sees_alarm_event(user: User | AnonymousUser, data: dict[str, Any]) -> bool:
    """Whether an event about an alarm (dispatch.event_data: ids and states) concerns this
    user: the same rule as `alarms`, worked out without the database, for live streams."""
    scope = scope_for(user)
    municipality = data.get("municipality")
    if municipality in scope.municipalities_with(ALARM_CENTRE_ROLES):
        return True
    if data.get("category") == AlarmCategory.TECHNICAL and municipality in (
        scope.municipalities_with(ALARM_TECHNICAL_ROLES)
    ):
        return True
    if data.get("provider") in scope.providers_with(ALARM_PROVIDER_ROLES):
        return True
    if data.get("team") in scope.team_ids:
        return True
    if scope.user_id is not None and scope.user_id in (
        data.get("assigned_to"),
        data.get("acknowledged_by"),
    ):
        return True
    return data.get("backup_team") in scope.team_ids and (
        int(data.get("level") or 0) >= EscalationLevel.BACKUP_TEAM
    )


def alarm_municipalities(user: User | AnonymousUser) -> set[int]:
    """The municipalities whose alarm events a user's live stream listens to."""
    return set(scope_for(user).municipality_ids)


def can_reveal_alarm_door_code(
    user: User | AnonymousUser, alarm: Alarm, now: dt.datetime | None = None
) -> bool:
    """The door code, as on the client's own record, and for whoever handles the alarm
    while it is open (the night patrol at another provider's client included)."""
    client = alarm.client
    if client is None or not client.door_code:
        return False
    if can_reveal_door_code(user, client):
        return True
    return alarm.status != AlarmStatus.CLOSED and may_handle(user, alarm, now)


# Responders ------------------------------------------------------------------------------


def load_duty(user: User | AnonymousUser) -> Duty:
    """The person's responder teams and their shifts, from the database (the live stream
    reloads it now and then: shifts change in the admin, people change teams)."""
    scope = scope_for(user)
    shifts: tuple[ResponderShift, ...] = ()
    if scope.team_ids:
        shifts = tuple(
            ResponderShift.objects.filter(team_id__in=scope.team_ids, active=True)
            .select_related("team", "municipality")
            .order_by("starts", "pk")
        )
    return Duty(user_id=scope.user_id, team_ids=scope.team_ids, shifts=shifts)


def duty_for(user: User | AnonymousUser) -> Duty:
    """`load_duty`, once per request: cached on the user object with the scope it was
    built from, so that `forget_scope` after a change of teams drops it too."""
    scope = scope_for(user)
    cached: tuple[Scope, Duty] | None = getattr(user, "_trygg_duty", None)
    if cached is None or cached[0] is not scope:
        cached = (scope, load_duty(user))
        user._trygg_duty = cached  # type: ignore[union-attr,attr-defined,unused-ignore]
    return cached[1]


def offers(user: User | AnonymousUser, alarm: Alarm, now: dt.datetime | None = None) -> bool:
    """Whether the alarm is this person's to answer now (the module's rule)."""
    return duty_for(user).offers(
        team_id=alarm.team_id,
        backup_team_id=alarm.backup_team_id,
        level=alarm.escalation_level,
        assigned_to_id=alarm.assigned_to_id,
        acknowledged_by_id=alarm.acknowledged_by_id,
        now=now or timezone.now(),
    )


def offered_alarms(user: User | AnonymousUser, now: dt.datetime | None = None) -> AlarmQuerySet:
    """The alarms offered to this person now: the phone's list, before status and kind."""
    scope = scope_for(user)
    if scope.user_id is None:
        return Alarm.objects.none()
    on_shift = duty_for(user).teams_on_shift(now or timezone.now())
    condition = Q(assigned_to_id=scope.user_id) | Q(acknowledged_by_id=scope.user_id)
    if scope.team_ids:
        condition |= Q(
            backup_team_id__in=scope.team_ids, escalation_level__gte=EscalationLevel.BACKUP_TEAM
        )
    if on_shift:
        condition |= Q(team_id__in=on_shift)
    return Alarm.objects.filter(condition)


def may_accept(user: User | AnonymousUser, alarm: Alarm, now: dt.datetime | None = None) -> bool:
    """ "I am going": for a call for help, by one of its responders."""
    return alarm.category == AlarmCategory.CARE and offers(user, alarm, now)


def may_handle(user: User | AnonymousUser, alarm: Alarm, now: dt.datetime | None = None) -> bool:
    """Acknowledge, send someone, mark on site, close, add a note: the alarm centre, the
    welfare-technology team for a technical alarm, and the alarm's responders."""
    scope = scope_for(user)
    if alarm.municipality_id in scope.municipalities_with(ALARM_CENTRE_ROLES):
        return True
    if alarm.category == AlarmCategory.TECHNICAL:
        return alarm.municipality_id in scope.municipalities_with(ALARM_TECHNICAL_ROLES)
    return offers(user, alarm, now)


def handled_ids(
    user: User | AnonymousUser, listed: list[Alarm], now: dt.datetime | None = None
) -> set[int]:
    """Of the alarms shown, those this person may handle (the others are read-only)."""
    now = now or timezone.now()
    return {alarm.pk for alarm in listed if may_handle(user, alarm, now)}


ACCEPT = "accept"


def refusal(
    user: User | AnonymousUser, alarm: Alarm, step: str, now: dt.datetime | None = None
) -> str | None:
    """Why this person may not take this step on this alarm now, for them to read; None
    when they may. `step` is ACCEPT or any handling step."""
    now = now or timezone.now()
    if step == ACCEPT:
        if may_accept(user, alarm, now):
            return None
    elif may_handle(user, alarm, now):
        return None
    if alarm.team is not None and alarm.team_id in scope_for(user).team_ids:
        return _(
            "%(team)s is not on a responder shift now, so this alarm is not yours to take. "
            "The responders on shift and the alarm centre have it."
        ) % {"team": alarm.team.name}
    if step == ACCEPT and may_handle(user, alarm, now):
        return _("Accepting is for the responder who goes out: send a responder instead.")
    if step == ACCEPT and scope_for(user).team_ids:
        return _("You are not on a responder shift for this alarm, so you cannot accept it.")
    return _(
        "You can follow this alarm but not handle it: the responders on shift and the alarm "
        "centre handle it."
    )


def log_extract_providers(order: Order) -> QuerySet[Provider]:
    """The providers whose alarm customers a log extract for this order lists."""
    if order.provider_id is not None:
        return Provider.objects.filter(pk=order.provider_id)
    return Provider.objects.filter(municipality_id=order.municipality_id)
