"""Who sees and handles which alarms, and what a log extract lists, on top of
`trygg.core.access`.

The alarm centre (operators, administrators) sees every alarm of its municipality; the
welfare-technology team its technical alarms. A provider's team leaders, managers and
night staff see the alarms of their provider's clients. Everyone in a responder team sees
the alarms sent to that team, and a backup team those escalated to it: a municipal night
patrol that answers for every provider's clients at night must see who called and how to
get in. That read is of one client, because of one alarm, and is logged.

A log extract (the result of a service-desk order, with personal data of every alarm
customer it lists) follows the secrecy boundary: an order placed for a provider lists that
provider's customers alone, one placed by municipal staff lists every provider's, each in
its own section. Who may make it again is the service desk's rule
(`servicedesk.access.can_make_order_result`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from trygg.core.access import Scope, can_reveal_door_code, scope_for
from trygg.core.constants import Role
from trygg.core.models import Provider, User
from trygg.servicedesk.models import Order

from .models import Alarm, AlarmCategory, AlarmQuerySet, AlarmStatus, EscalationLevel

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
    return data.get("backup_team") in scope.team_ids and (
        int(data.get("level") or 0) >= EscalationLevel.BACKUP_TEAM
    )


def alarm_municipalities(user: User | AnonymousUser) -> set[int]:
    """The municipalities whose alarm events a user's live stream listens to."""
    return set(scope_for(user).municipality_ids)


def can_reveal_alarm_door_code(user: User | AnonymousUser, alarm: Alarm) -> bool:
    """The door code, for whoever may see the alarm while it is being handled (the night
    patrol at another provider's client included), and as on the client's own record."""
    client = alarm.client
    if client is None or not client.door_code:
        return False
    if can_reveal_door_code(user, client):
        return True
    return alarm.status != AlarmStatus.CLOSED and alarms(user).filter(pk=alarm.pk).exists()


def log_extract_providers(order: Order) -> QuerySet[Provider]:
    """The providers whose alarm customers a log extract for this order lists."""
    if order.provider_id is not None:
        return Provider.objects.filter(pk=order.provider_id)
    return Provider.objects.filter(municipality_id=order.municipality_id)
