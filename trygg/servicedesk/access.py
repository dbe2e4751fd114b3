"""Who may see, place and fulfil service-desk orders, on top of `trygg.core.access`.

Orderers see their own provider's orders (municipal orderers: the ones they placed); the
welfare-technology team and administrators see and fulfil all of their municipality's. A
result Trygg makes for an order (a log extract, say) is made again only by the order's
fulfillers; it is read by whoever may see the order.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from trygg.core.access import clients, scope_for
from trygg.core.constants import Role
from trygg.core.models import Client, ClientQuerySet, Municipality, Provider, User

from .constants import Audience
from .models import Order, OrderQuerySet, OrderType

ORDER_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
ORDER_MUNICIPAL_ROLES = frozenset({Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
ORDER_FULFIL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})


def orders(user: User | AnonymousUser) -> OrderQuerySet:
    """The service-desk orders this user may see."""
    scope = scope_for(user)
    if not scope.user_id:
        return Order.objects.none()
    condition = (
        Q(orderer_id=scope.user_id)
        | Q(provider_id__in=scope.providers_with(ORDER_PROVIDER_ROLES))
        | Q(municipality_id__in=scope.municipalities_with(ORDER_FULFIL_ROLES))
    )
    return Order.objects.filter(condition)


def get_order(user: User | AnonymousUser, pk: int) -> Order:
    """The order if the user may see it; 404 otherwise, like a client of another provider."""
    try:
        return orders(user).select_related("order_type", "provider", "orderer", "client").get(pk=pk)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def can_place_order(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return scope.has_role(*ORDER_PROVIDER_ROLES, *ORDER_MUNICIPAL_ROLES)


def can_fulfil_orders(user: User | AnonymousUser, municipality: Municipality | int) -> bool:
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    return municipality_id in scope_for(user).municipalities_with(ORDER_FULFIL_ROLES)


def fulfils_any_orders(user: User | AnonymousUser) -> bool:
    return bool(scope_for(user).municipalities_with(ORDER_FULFIL_ROLES))


def can_open_orders(user: User | AnonymousUser) -> bool:
    """Whether the order list belongs in the user's menu: orderers and fulfillers."""
    return can_place_order(user) or fulfils_any_orders(user)


def ordering_providers(user: User | AnonymousUser, municipality_id: int) -> QuerySet[Provider]:
    """Providers in the municipality this user may place orders for."""
    scope = scope_for(user)
    return Provider.objects.filter(
        pk__in=scope.providers_with(ORDER_PROVIDER_ROLES), municipality_id=municipality_id
    )


def orders_municipally(user: User | AnonymousUser, municipality_id: int) -> bool:
    """True when the user may order as municipal staff (no provider) in this municipality."""
    return municipality_id in scope_for(user).municipalities_with(ORDER_MUNICIPAL_ROLES)


def order_types(user: User | AnonymousUser) -> QuerySet[OrderType]:
    """Active order types this user may place, by the type's audience."""
    scope = scope_for(user)
    as_provider = set(
        Provider.objects.filter(pk__in=scope.providers_with(ORDER_PROVIDER_ROLES)).values_list(
            "municipality_id", flat=True
        )
    )
    as_municipal = scope.municipalities_with(ORDER_MUNICIPAL_ROLES)
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


# How many clients the new-order form's picker shows for one search.
PICKER_LIMIT = 10
# Fewer characters than this find too many people to be worth showing.
PICKER_MIN_QUERY = 2


def picker_clients(
    user: User | AnonymousUser, municipality_id: int, query: str, *, wide: bool
) -> tuple[list[Client], bool]:
    """The clients the new-order form's picker shows for a search, and whether there were
    more: the user's own teams' clients, or (`wide`, a deliberate choice) every client
    they may order for. Nothing without a search: the picker never lists whole rosters."""
    return pick_clients(user, order_clients(user, municipality_id), query, wide=wide)


def pick_clients(
    user: User | AnonymousUser, queryset: ClientQuerySet, query: str, *, wide: bool
) -> tuple[list[Client], bool]:
    """A client picker's matches among `queryset` (the clients the page may name), and
    whether there were more: the user's own teams' first, all of them when `wide`."""
    query = query.strip()
    if len(query) < PICKER_MIN_QUERY:
        return [], False
    team_ids = scope_for(user).team_ids
    if team_ids and not wide:
        queryset = queryset.filter(team_id__in=team_ids)
    found = list(
        queryset.search(query).order_by("last_name", "first_name", "pk")[: PICKER_LIMIT + 1]
    )
    return found[:PICKER_LIMIT], len(found) > PICKER_LIMIT


def has_own_teams(user: User | AnonymousUser) -> bool:
    """Whether the picker has a narrower first search (the user's teams) to widen."""
    return bool(scope_for(user).team_ids)


def can_make_order_result(user: User | AnonymousUser, order: Order) -> bool:
    """Whether the user may make an order's result again (the log extract): its fulfillers.
    What the result may contain is the app's that makes it (`alarms.access` for the log
    extract)."""
    return can_fulfil_orders(user, order.municipality_id)
