"""Who sees sensor events and rules, and who sets the rules, on top of `core.access`.

Sensor events say when a client got out of bed or fell: care information, like the alarms
they raise. They are seen by the leaders and night staff of the client's provider, and by
the alarm centre (operators, the municipality's administrators) for every provider's
clients. The welfare-technology team runs the cameras (the routine's service manager and
operations owner): it sees the cameras' reports about themselves (connection lost,
covered) and every client's rules, read-only, to set the camera up and find faults.

Rules decide what wakes the night staff for one client: a care decision. The routine makes
the leaders in health and care the service's owners, so the client's provider's team
leaders and managers set them for their own clients, and the municipality's administrators
for any; nobody else changes them. Providers are secrecy boundaries throughout.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from trygg.alarms.models import Alarm, AlarmCategory, AlarmQuerySet
from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import Client, User

from .constants import TECHNICAL_KINDS
from .models import SensorEvent, SensorEventQuerySet, SensorRule

CENTRE_ROLES = frozenset({Role.ALARM_OPERATOR, Role.MUNICIPAL_ADMIN})
TECHNICAL_ROLES = frozenset({Role.WELFARE_TECH})
PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.NIGHT_SUPERVISOR})
RULE_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
RULE_MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_ADMIN})


def _event_filter(user: User | AnonymousUser) -> Q | None:
    scope = scope_for(user)
    parts: list[Q] = []
    centre = scope.municipalities_with(CENTRE_ROLES)
    if centre:
        parts.append(Q(client__municipality_id__in=centre))
    technical = scope.municipalities_with(TECHNICAL_ROLES)
    if technical:
        parts.append(Q(client__municipality_id__in=technical, kind__in=sorted(TECHNICAL_KINDS)))
    providers = scope.providers_with(PROVIDER_ROLES)
    if providers:
        parts.append(Q(client__provider_id__in=providers))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def events(user: User | AnonymousUser) -> SensorEventQuerySet:
    """The sensor events this user may see."""
    condition = _event_filter(user)
    if condition is None:
        return SensorEvent.objects.none()
    return SensorEvent.objects.filter(condition)


def sees_only_technical(user: User | AnonymousUser, client: Client) -> bool:
    """Whether the user sees only the camera's reports about itself for this client."""
    scope = scope_for(user)
    if client.municipality_id in scope.municipalities_with(CENTRE_ROLES):
        return False
    if client.provider_id in scope.providers_with(PROVIDER_ROLES):
        return False
    return client.municipality_id in scope.municipalities_with(TECHNICAL_ROLES)


def _client_filter(user: User | AnonymousUser) -> Q | None:
    scope = scope_for(user)
    municipal = scope.municipalities_with(CENTRE_ROLES | TECHNICAL_ROLES)
    providers = scope.providers_with(PROVIDER_ROLES)
    if not municipal and not providers:
        return None
    return Q(municipality_id__in=municipal) | Q(provider_id__in=providers)


def sensor_clients(user: User | AnonymousUser) -> QuerySet[Client]:
    """The clients whose sensor pages (rules, events) the user may open."""
    condition = _client_filter(user)
    if condition is None:
        return Client.objects.none()
    return Client.objects.filter(condition)


def can_open_sensors(user: User | AnonymousUser) -> bool:
    """The menu entry and the events page: anyone who may see some client's sensor events."""
    return _client_filter(user) is not None


def can_view_client(user: User | AnonymousUser, client: Client) -> bool:
    scope = scope_for(user)
    return client.municipality_id in scope.municipalities_with(
        CENTRE_ROLES | TECHNICAL_ROLES
    ) or client.provider_id in scope.providers_with(PROVIDER_ROLES)


def can_set_rules(user: User | AnonymousUser, client: Client) -> bool:
    scope = scope_for(user)
    if client.provider_id in scope.providers_with(RULE_PROVIDER_ROLES):
        return True
    return client.municipality_id in scope.municipalities_with(RULE_MUNICIPAL_ROLES)


def rules(user: User | AnonymousUser) -> QuerySet[SensorRule]:
    """The rules this user may read: those of the clients whose sensor pages they open."""
    return SensorRule.objects.filter(client__in=sensor_clients(user).values("pk"))


def can_open_report(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(
        scope.municipalities_with(CENTRE_ROLES | TECHNICAL_ROLES)
        or scope.providers_with(PROVIDER_ROLES)
    )


def sees_care_alarms(user: User | AnonymousUser) -> bool:
    """Whether the report counts calls for help for this user, not only the cameras' own
    technical reports."""
    scope = scope_for(user)
    return bool(scope.municipalities_with(CENTRE_ROLES) or scope.providers_with(PROVIDER_ROLES))


def report_alarms(user: User | AnonymousUser) -> AlarmQuerySet:
    """The alarms the report of sensor alarms counts for this user: the same boundary as
    the events (a provider's own clients; the camera's own reports for the
    welfare-technology team), never an alarm seen only because a night patrol answered it."""
    scope = scope_for(user)
    parts: list[Q] = []
    centre = scope.municipalities_with(CENTRE_ROLES)
    if centre:
        parts.append(Q(municipality_id__in=centre))
    technical = scope.municipalities_with(TECHNICAL_ROLES)
    if technical:
        parts.append(Q(municipality_id__in=technical, category=AlarmCategory.TECHNICAL))
    providers = scope.providers_with(PROVIDER_ROLES)
    if providers:
        parts.append(Q(client__provider_id__in=providers))
    if not parts:
        return Alarm.objects.none()
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return Alarm.objects.filter(condition, sensor_event__isnull=False)
