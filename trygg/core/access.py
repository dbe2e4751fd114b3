"""Who may see and change what. The one place that decides it.

Every queryset a page, API operation or export returns to a person is built here. Providers
are secrecy boundaries: a role held at a provider sees that provider's clients and nobody
else's. Roles held at the municipality (alarm operators, the welfare-technology team,
administrators, auditors) see the municipality's clients, because alarms, devices and
audits cross providers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Exists, Func, OuterRef, Q, QuerySet
from django.http import Http404

from .constants import Role
from .models import (
    AccessLogEntry,
    AccessLogReaderProvider,
    Client,
    ClientQuerySet,
    Municipality,
    Provider,
    RoleAssignment,
    Team,
    User,
)

# Municipal roles whose work needs the clients of every provider in the municipality.
_CLIENT_WIDE_MUNICIPAL_ROLES = frozenset(
    {Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN, Role.AUDITOR}
)
_DOOR_CODE_PROVIDER_ROLES = frozenset({Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR})
_DOOR_CODE_MUNICIPAL_ROLES = frozenset({Role.ALARM_OPERATOR, Role.WELFARE_TECH})
_STAFF_MANAGING_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})


@dataclass(frozen=True)
class Scope:
    """What one user's roles add up to, computed once per request."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    # provider id -> roles held there
    provider_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # municipality id -> municipal roles held there
    municipal_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    team_ids: frozenset[int] = frozenset()
    municipality_ids: frozenset[int] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def providers_with(self, roles: frozenset[str] | set[str]) -> set[int]:
        return {pid for pid, held in self.provider_roles.items() if held & roles}

    def municipalities_with(self, roles: frozenset[str] | set[str]) -> set[int]:
        return {mid for mid, held in self.municipal_roles.items() if held & roles}

    @property
    def provider_ids(self) -> frozenset[int]:
        return frozenset(self.provider_roles)


_EMPTY = Scope(user_id=None)


def scope_for(user: User | AnonymousUser) -> Scope:
    """The user's roles, loaded once and cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return _EMPTY
    cached: Scope | None = getattr(user, "_trygg_scope", None)
    if cached is not None:
        return cached
    provider_roles: dict[int, set[str]] = {}
    municipal_roles: dict[int, set[str]] = {}
    municipality_ids: set[int] = set()
    assignments = RoleAssignment.objects.filter(user=user).prefetch_related("teams")
    team_ids: set[int] = set()
    for assignment in assignments:
        municipality_ids.add(assignment.municipality_id)
        if assignment.provider_id is not None:
            provider_roles.setdefault(assignment.provider_id, set()).add(assignment.role)
        else:
            municipal_roles.setdefault(assignment.municipality_id, set()).add(assignment.role)
        team_ids.update(team.pk for team in assignment.teams.all())
    scope = Scope(
        user_id=user.pk,
        roles=frozenset(
            {r for held in provider_roles.values() for r in held}
            | {r for held in municipal_roles.values() for r in held}
        ),
        provider_roles={k: frozenset(v) for k, v in provider_roles.items()},
        municipal_roles={k: frozenset(v) for k, v in municipal_roles.items()},
        team_ids=frozenset(team_ids),
        municipality_ids=frozenset(municipality_ids),
    )
    user._trygg_scope = scope  # type: ignore[union-attr,attr-defined,unused-ignore]
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope after the user's roles change."""
    if hasattr(user, "_trygg_scope"):
        del user._trygg_scope


# Clients ------------------------------------------------------------------------------


def _client_filter(scope: Scope) -> Q | None:
    provider_ids = scope.provider_ids
    municipality_ids = scope.municipalities_with(_CLIENT_WIDE_MUNICIPAL_ROLES)
    if not provider_ids and not municipality_ids:
        return None
    return Q(provider_id__in=provider_ids) | Q(municipality_id__in=municipality_ids)


def clients(user: User | AnonymousUser) -> ClientQuerySet:
    """The clients this user may see."""
    condition = _client_filter(scope_for(user))
    if condition is None:
        return Client.objects.none()
    return Client.objects.filter(condition)


def can_view_client(user: User | AnonymousUser, client: Client) -> bool:
    scope = scope_for(user)
    return client.provider_id in scope.provider_ids or client.municipality_id in (
        scope.municipalities_with(_CLIENT_WIDE_MUNICIPAL_ROLES)
    )


def get_client(user: User | AnonymousUser, pk: int) -> Client:
    """The client with this id if the user may see it; 404 otherwise, so that a client of
    another provider is indistinguishable from one that does not exist."""
    try:
        return clients(user).select_related("provider", "team", "municipality").get(pk=pk)
    except Client.DoesNotExist as exc:
        raise Http404 from exc


def can_reveal_door_code(user: User | AnonymousUser, client: Client) -> bool:
    scope = scope_for(user)
    if not client.door_code:
        return False
    held_at_provider = scope.provider_roles.get(client.provider_id, frozenset())
    if held_at_provider & _DOOR_CODE_PROVIDER_ROLES:
        return True
    held_at_municipality = scope.municipal_roles.get(client.municipality_id, frozenset())
    return bool(held_at_municipality & _DOOR_CODE_MUNICIPAL_ROLES)


_CONSENT_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
_CONSENT_MUNICIPAL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})


def can_manage_consents(user: User | AnonymousUser, client: Client) -> bool:
    """Team leaders and managers of the client's provider, and the municipality's
    welfare-technology team and administrators, record and withdraw consents."""
    scope = scope_for(user)
    if scope.provider_roles.get(client.provider_id, frozenset()) & _CONSENT_PROVIDER_ROLES:
        return True
    held = scope.municipal_roles.get(client.municipality_id, frozenset())
    return bool(held & _CONSENT_MUNICIPAL_ROLES)


def is_outside_teams(scope: Scope, client: Client) -> bool:
    """A read by someone who works in teams, of a client not in any of them."""
    return bool(scope.team_ids) and client.team_id not in scope.team_ids


# Import ------------------------------------------------------------------------------


def importable_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers whose clients this user may import from the case system."""
    scope = scope_for(user)
    managed = scope.providers_with({Role.PROVIDER_MANAGER})
    municipalities = scope.municipalities_with({Role.MUNICIPAL_ADMIN})
    if not managed and not municipalities:
        return Provider.objects.none()
    return Provider.objects.filter(Q(pk__in=managed) | Q(municipality_id__in=municipalities))


def can_import(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return scope.has_role(Role.PROVIDER_MANAGER, Role.MUNICIPAL_ADMIN)


# Organisation ------------------------------------------------------------------------


def providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers this user may look at: their own, or all of their municipality's."""
    scope = scope_for(user)
    if not scope.user_id:
        return Provider.objects.none()
    return Provider.objects.filter(
        Q(pk__in=scope.provider_ids) | Q(municipality_id__in=set(scope.municipal_roles))
    )


def teams(user: User | AnonymousUser) -> QuerySet[Team]:
    scope = scope_for(user)
    if not scope.user_id:
        return Team.objects.none()
    return Team.objects.filter(
        Q(provider_id__in=scope.provider_ids)
        | Q(provider__municipality_id__in=set(scope.municipal_roles))
    )


def staff(user: User | AnonymousUser) -> QuerySet[User]:
    """Staff this user may look up: colleagues at the same providers; the municipality's
    administrators and auditors see everyone in the municipality."""
    scope = scope_for(user)
    if not scope.user_id:
        return User.objects.none()
    wide = scope.municipalities_with({Role.MUNICIPAL_ADMIN, Role.AUDITOR})
    condition = Q(pk=scope.user_id) | Q(role_assignments__provider_id__in=scope.provider_ids)
    if wide:
        condition |= Q(role_assignments__municipality_id__in=wide)
    # Municipal staff (operators, welfare-tech) see each other within their municipality.
    condition |= Q(
        role_assignments__municipality_id__in=set(scope.municipal_roles),
        role_assignments__provider__isnull=True,
    )
    return User.objects.filter(condition).distinct()


def municipalities(user: User | AnonymousUser) -> QuerySet[Municipality]:
    scope = scope_for(user)
    return Municipality.objects.filter(pk__in=scope.municipality_ids)


# Access log review -------------------------------------------------------------------


def can_review_access_log(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(Role.AUDITOR, Role.PROVIDER_MANAGER)


def access_log(user: User | AnonymousUser) -> QuerySet[AccessLogEntry]:
    """Access-log rows this user may review: an auditor sees the whole municipality's; a
    provider manager sees reads made by their own provider's staff."""
    scope = scope_for(user)
    audited = scope.municipalities_with({Role.AUDITOR})
    managed = scope.providers_with({Role.PROVIDER_MANAGER})
    if not audited and not managed:
        return AccessLogEntry.objects.none()
    condition = Q()
    if audited:
        condition |= Q(_HoldsForMostRows(Q(municipality_id__in=audited)))
    if managed:
        # EXISTS rather than a join: no duplicates when a reader worked for several of the
        # manager's providers, and the log can still be walked newest first by `at`,
        # probing each row's providers by the (entry, provider) index.
        condition |= Q(
            Exists(
                AccessLogReaderProvider.objects.filter(
                    entry_id=OuterRef("pk"), provider_id__in=managed
                )
            )
        )
    return AccessLogEntry.objects.filter(condition)


class _HoldsForMostRows(Func):
    """A condition true for most of the log's rows (an auditor's municipality), said so to
    SQLite's query planner with `likelihood()`; elsewhere the condition as it is.

    Without ANALYZE statistics SQLite takes any indexed equality for a selective one. It
    would then walk the municipality's index newest first even when the review is narrowed
    to one staff member or client, reading the whole year to find their few reads; with
    the hint it takes their own index. PostgreSQL has statistics and needs no hint.
    """

    template = "%(expressions)s"
    output_field = BooleanField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "likelihood(%(expressions)s, 0.9375)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def can_use_admin(user: User | AnonymousUser) -> bool:
    return scope_for(user).has_role(Role.MUNICIPAL_ADMIN) or bool(
        getattr(user, "is_superuser", False)
    )


# Service-desk orders -----------------------------------------------------------------
# Orderers see their own provider's orders (municipal orderers: the ones they placed);
# the welfare-technology team and administrators see and fulfil all of their municipality's.
# The models are imported inside the functions: the service desk builds on core.

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from trygg.servicedesk.models import Order, OrderQuerySet, OrderType

_ORDER_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
_ORDER_MUNICIPAL_ROLES = frozenset({Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
_ORDER_FULFIL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})


def orders(user: User | AnonymousUser) -> OrderQuerySet:
    """The service-desk orders this user may see."""
    from trygg.servicedesk.models import Order

    scope = scope_for(user)
    if not scope.user_id:
        return Order.objects.none()
    condition = (
        Q(orderer_id=scope.user_id)
        | Q(provider_id__in=scope.providers_with(_ORDER_PROVIDER_ROLES))
        | Q(municipality_id__in=scope.municipalities_with(_ORDER_FULFIL_ROLES))
    )
    return Order.objects.filter(condition)


def get_order(user: User | AnonymousUser, pk: int) -> Order:
    """The order if the user may see it; 404 otherwise, like a client of another provider."""
    from trygg.servicedesk.models import Order

    try:
        return orders(user).select_related("order_type", "provider", "orderer", "client").get(pk=pk)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def can_place_order(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return scope.has_role(*_ORDER_PROVIDER_ROLES, *_ORDER_MUNICIPAL_ROLES)


def can_fulfil_orders(user: User | AnonymousUser, municipality: Municipality | int) -> bool:
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    return municipality_id in scope_for(user).municipalities_with(_ORDER_FULFIL_ROLES)


def fulfils_any_orders(user: User | AnonymousUser) -> bool:
    return bool(scope_for(user).municipalities_with(_ORDER_FULFIL_ROLES))


def can_open_orders(user: User | AnonymousUser) -> bool:
    """Whether the order list belongs in the user's menu: orderers and fulfillers."""
    return can_place_order(user) or fulfils_any_orders(user)


def ordering_providers(user: User | AnonymousUser, municipality_id: int) -> QuerySet[Provider]:
    """Providers in the municipality this user may place orders for."""
    scope = scope_for(user)
    return Provider.objects.filter(
        pk__in=scope.providers_with(_ORDER_PROVIDER_ROLES), municipality_id=municipality_id
    )


def orders_municipally(user: User | AnonymousUser, municipality_id: int) -> bool:
    """True when the user may order as municipal staff (no provider) in this municipality."""
    return municipality_id in scope_for(user).municipalities_with(_ORDER_MUNICIPAL_ROLES)


def order_types(user: User | AnonymousUser) -> QuerySet[OrderType]:
    """Active order types this user may place, by the type's audience."""
    from trygg.servicedesk.constants import Audience
    from trygg.servicedesk.models import OrderType

    scope = scope_for(user)
    as_provider = set(
        Provider.objects.filter(pk__in=scope.providers_with(_ORDER_PROVIDER_ROLES)).values_list(
            "municipality_id", flat=True
        )
    )
    as_municipal = scope.municipalities_with(_ORDER_MUNICIPAL_ROLES)
    if not as_provider and not as_municipal:
        return OrderType.objects.none()
    condition = Q(
        municipality_id__in=as_provider, audience__in=[Audience.EVERYONE, Audience.PROVIDERS]
    )
    condition |= Q(
        municipality_id__in=as_municipal, audience__in=[Audience.EVERYONE, Audience.MUNICIPAL]
    )
    return OrderType.objects.filter(condition, active=True)


def order_clients(user: User | AnonymousUser, municipality_id: int) -> ClientQuerySet:
    """Clients an order may name: those the orderer may see, in the order's municipality."""
    return clients(user).filter(municipality_id=municipality_id)


# Devices: staff phones -----------------------------------------------------------------
# Appended as its own section. Provider managers and team leaders look after their own
# provider's phones; the welfare-technology team and administrators look after every phone
# in the municipality and alone configure and wipe; whoever holds a phone sees it and may
# report it lost. Imported here rather than at the top: this section is self-contained.

from trygg.devices.constants import PhoneAction  # noqa: E402
from trygg.devices.models import Phone, PhoneQuerySet  # noqa: E402

_PHONE_PROVIDER_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
_PHONE_MUNICIPAL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
_PHONE_PROVIDER_ACTIONS = frozenset(
    {
        PhoneAction.HAND_IN,
        PhoneAction.PICK_UP,
        PhoneAction.REPORT_LOST,
        PhoneAction.FOUND,
        PhoneAction.REQUEST_WIPE,
    }
)
_PHONE_HOLDER_ACTIONS = frozenset({PhoneAction.REPORT_LOST})
_PHONE_MUNICIPAL_ACTIONS = frozenset(PhoneAction) - {PhoneAction.REGISTER}


def phones(user: User | AnonymousUser) -> PhoneQuerySet:
    """The phones this user may see: their provider's, their municipality's, their own."""
    scope = scope_for(user)
    if not scope.user_id:
        return Phone.objects.none()
    condition = (
        Q(assigned_to_id=scope.user_id)
        | Q(provider_id__in=scope.providers_with(_PHONE_PROVIDER_ROLES))
        | Q(municipality_id__in=scope.municipalities_with(_PHONE_MUNICIPAL_ROLES))
    )
    return Phone.objects.filter(condition)


def get_phone(user: User | AnonymousUser, pk: int) -> Phone:
    """The phone if the user may see it; 404 otherwise, as for a phone that does not exist."""
    try:
        return phones(user).select_related("provider", "municipality", "assigned_to").get(pk=pk)
    except Phone.DoesNotExist as exc:
        raise Http404 from exc


def can_open_phones(user: User | AnonymousUser) -> bool:
    """Whether the phone list belongs in the user's menu: staff of a provider (their own
    phone) and the municipality's device people."""
    scope = scope_for(user)
    return bool(scope.provider_ids) or bool(scope.municipalities_with(_PHONE_MUNICIPAL_ROLES))


def phone_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers whose phones this user may register and hand in."""
    scope = scope_for(user)
    managed = scope.providers_with(_PHONE_PROVIDER_ROLES)
    municipalities = scope.municipalities_with(_PHONE_MUNICIPAL_ROLES)
    if not managed and not municipalities:
        return Provider.objects.none()
    return Provider.objects.filter(Q(pk__in=managed) | Q(municipality_id__in=municipalities))


def phone_actions(user: User | AnonymousUser, phone: Phone) -> frozenset[str]:
    """What this user's roles allow them to do to this phone, whatever its status."""
    scope = scope_for(user)
    if not scope.user_id:
        return frozenset()
    allowed: set[str] = set()
    if scope.municipal_roles.get(phone.municipality_id, frozenset()) & _PHONE_MUNICIPAL_ROLES:
        allowed |= _PHONE_MUNICIPAL_ACTIONS
    if scope.provider_roles.get(phone.provider_id, frozenset()) & _PHONE_PROVIDER_ROLES:
        allowed |= _PHONE_PROVIDER_ACTIONS
    if phone.assigned_to_id is not None and phone.assigned_to_id == scope.user_id:
        allowed |= _PHONE_HOLDER_ACTIONS
    return frozenset(allowed)


def can_change_phone(user: User | AnonymousUser, phone: Phone, action: str) -> bool:
    return action in phone_actions(user, phone)


def phone_assignable_staff(provider: Provider) -> QuerySet[User]:
    """Who a provider's phone may be registered to: active staff holding a role there."""
    return User.objects.filter(role_assignments__provider=provider, is_active=True).distinct()


# Alarms -------------------------------------------------------------------------------
# The alarm centre (operators, administrators) sees every alarm of its municipality; the
# welfare-technology team its technical alarms. A provider's team leaders, managers and
# night staff see the alarms of their provider's clients. Everyone in a responder team
# sees the alarms sent to that team, and a backup team those escalated to it: a municipal
# night patrol that answers for every provider's clients at night must see who called and
# how to get in. That read is of one client, because of one alarm, and is logged.

if TYPE_CHECKING:
    from trygg.alarms.models import Alarm

_ALARM_CENTRE_ROLES = frozenset({Role.ALARM_OPERATOR, Role.MUNICIPAL_ADMIN})
_ALARM_TECHNICAL_ROLES = frozenset({Role.WELFARE_TECH})
_ALARM_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.NIGHT_SUPERVISOR})


def _alarm_filter(scope: Scope) -> Q | None:
    from trygg.alarms.models import AlarmCategory, EscalationLevel

    parts = []
    centre = scope.municipalities_with(_ALARM_CENTRE_ROLES)
    if centre:
        parts.append(Q(municipality_id__in=centre))
    technical = scope.municipalities_with(_ALARM_TECHNICAL_ROLES)
    if technical:
        parts.append(Q(municipality_id__in=technical, category=AlarmCategory.TECHNICAL))
    providers = scope.providers_with(_ALARM_PROVIDER_ROLES)
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


def alarms(user: User | AnonymousUser) -> QuerySet[Alarm]:
    """The alarms this user may see and handle."""
    from trygg.alarms.models import Alarm

    condition = _alarm_filter(scope_for(user))
    if condition is None:
        return Alarm.objects.none()
    return Alarm.objects.filter(condition)


def get_alarm(user: User | AnonymousUser, pk: int) -> Alarm:
    """The alarm if the user may see it; 404 otherwise."""
    from trygg.alarms.models import Alarm

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
    """Whether the alarm console (or the phone's alarm list) belongs in the user's menu."""
    return _alarm_filter(scope_for(user)) is not None


def sees_alarm_event(user: User | AnonymousUser, data: dict[str, Any]) -> bool:
    """Whether an event about an alarm (handling.event_data: ids and states) concerns this
    user: the same rule as `alarms`, worked out without the database, for live streams."""
    from trygg.alarms.models import AlarmCategory, EscalationLevel

    scope = scope_for(user)
    municipality = data.get("municipality")
    if municipality in scope.municipalities_with(_ALARM_CENTRE_ROLES):
        return True
    if data.get("category") == AlarmCategory.TECHNICAL and municipality in (
        scope.municipalities_with(_ALARM_TECHNICAL_ROLES)
    ):
        return True
    if data.get("provider") in scope.providers_with(_ALARM_PROVIDER_ROLES):
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
    from trygg.alarms.models import AlarmStatus

    client = alarm.client
    if client is None or not client.door_code:
        return False
    if can_reveal_door_code(user, client):
        return True
    return alarm.status != AlarmStatus.CLOSED and alarms(user).filter(pk=alarm.pk).exists()


# Service-desk results: the log extract ---------------------------------------------------
# Appended as its own section. A result Trygg makes for an order (a log extract, with
# personal data of every alarm customer it lists) is made again only by the fulfillers of
# the order's municipality; it is read by whoever may see the order. What a log extract
# covers follows the secrecy boundary: an order placed for a provider lists that provider's
# customers alone, one placed by municipal staff lists every provider's, each in its own
# section.


def can_make_order_result(user: User | AnonymousUser, order: Order) -> bool:
    """Whether the user may make an order's result again (the log extract)."""
    return can_fulfil_orders(user, order.municipality_id)


def log_extract_providers(order: Order) -> QuerySet[Provider]:
    """The providers whose alarm customers a log extract for this order lists."""
    if order.provider_id is not None:
        return Provider.objects.filter(pk=order.provider_id)
    return Provider.objects.filter(municipality_id=order.municipality_id)
