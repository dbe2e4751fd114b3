"""Who sees and registers visits, on top of `trygg.core.access`.

A staff member sees their own visits (and those they made together with someone); a team
leader their teams' visits; a provider's manager the provider's; the municipality's
administrators and auditors every visit in the municipality. Providers never see each
other's visits.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from trygg.core.access import clients as visible_clients
from trygg.core.access import scope_for
from trygg.core.constants import PROVIDER_ROLES, Role
from trygg.core.models import ClientQuerySet, RoleAssignment, User

from .models import Visit, VisitQuerySet

TEAM_ROLES = frozenset({Role.TEAM_LEADER})
PROVIDER_WIDE_ROLES = frozenset({Role.PROVIDER_MANAGER})
MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_ADMIN, Role.AUDITOR})


def visits(user: User | AnonymousUser) -> VisitQuerySet:
    scope = scope_for(user)
    if not scope.user_id:
        return Visit.objects.none()
    condition = Q(staff_id=scope.user_id) | Q(partner_id=scope.user_id)
    leading = scope.providers_with(TEAM_ROLES)
    if leading:
        condition |= Q(provider_id__in=leading, team_id__in=scope.team_ids)
    managed = scope.providers_with(PROVIDER_WIDE_ROLES)
    if managed:
        condition |= Q(provider_id__in=managed)
    municipalities = scope.municipalities_with(MUNICIPAL_ROLES)
    if municipalities:
        condition |= Q(municipality_id__in=municipalities)
    return Visit.objects.filter(condition)


def registers_visits(user: User | AnonymousUser) -> bool:
    """Whether the phone's visit registration belongs in the user's menu."""
    return bool(scope_for(user).providers_with(PROVIDER_ROLES))


def clients_for_the_day(user: User) -> ClientQuerySet:
    """The clients a staff member's phone keeps for the day: their teams' clients, or, for
    someone in no team (a manager helping out), every client of their provider."""
    scope = scope_for(user)
    providers = scope.providers_with(PROVIDER_ROLES)
    mine = visible_clients(user).filter(provider_id__in=providers)
    if scope.team_ids:
        return mine.filter(team_id__in=scope.team_ids)
    return mine


def colleagues(user: User) -> QuerySet[User]:
    """Who the phone offers as the second staff member on a visit (double staffing): the
    active staff of the user's providers in the user's teams, or every one of their
    providers' staff for someone in no team."""
    scope = scope_for(user)
    assignments = RoleAssignment.objects.filter(
        provider_id__in=scope.providers_with(PROVIDER_ROLES), role__in=PROVIDER_ROLES
    )
    if scope.team_ids:
        assignments = assignments.filter(teams__in=scope.team_ids)
    return (
        User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))
        .exclude(pk=user.pk)
        .order_by("first_name", "last_name", "pk")
    )
