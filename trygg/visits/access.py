"""Who sees and registers visits, on top of `trygg.core.access`.

A staff member sees their own visits (and those they made together with someone); a team
leader their teams' visits; a provider's manager the provider's; the municipality's
administrators and auditors every visit in the municipality. Providers never see each
other's visits.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from trygg.core.access import Scope, scope_for
from trygg.core.access import clients as visible_clients
from trygg.core.constants import PROVIDER_ROLES, Role
from trygg.core.models import ClientQuerySet, Municipality, Provider, RoleAssignment, Team, User

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


# The back office -----------------------------------------------------------------------
# Who corrects, clears, approves and locks. Staff correct their own registrations; team
# leaders those of their teams; a provider's manager any of the provider's. The
# municipality reads every provider's visits (it pays for them) but changes none: its
# administrators set the rules and lock dates and open a locked period again.

OWN_VISIT_ROLES = frozenset({Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR})
LEADING_ROLES = TEAM_ROLES | PROVIDER_WIDE_ROLES
BILLING_MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_ADMIN, Role.AUDITOR})


def _leads(scope: Scope, provider_id: int, team_id: int | None) -> bool:
    held = scope.provider_roles.get(provider_id, frozenset())
    if held & PROVIDER_WIDE_ROLES:
        return True
    return bool(held & TEAM_ROLES) and team_id is not None and team_id in scope.team_ids


def can_correct(user: User | AnonymousUser, visit: Visit) -> bool:
    """The staff member who registered the visit (while they work for its provider), a
    team leader of the visit's team, the provider's manager."""
    scope = scope_for(user)
    if not scope.user_id:
        return False
    if visit.staff_id == scope.user_id and visit.provider_id in scope.provider_ids:
        return True
    return _leads(scope, visit.provider_id, visit.team_id)


def can_clear_flags(user: User | AnonymousUser, visit: Visit) -> bool:
    """A team leader of the visit's team or the provider's manager, never on their own
    visit: a flag is cleared by someone other than the person it is about."""
    scope = scope_for(user)
    if not scope.user_id or scope.user_id in (visit.staff_id, visit.partner_id):
        return False
    return _leads(scope, visit.provider_id, visit.team_id)


def has_own_visits(user: User | AnonymousUser) -> bool:
    """Whether "My visits" belongs in the menu: those who go out to clients."""
    scope = scope_for(user)
    return any(held & OWN_VISIT_ROLES for held in scope.provider_roles.values())


def leads_visits(user: User | AnonymousUser) -> bool:
    """Team leaders and managers: review, correct and approve their teams' visits."""
    return bool(scope_for(user).providers_with(LEADING_ROLES))


def reads_all_visits(user: User | AnonymousUser) -> bool:
    """The municipality's administrators and auditors: every provider's visits, read only."""
    return bool(scope_for(user).municipalities_with(MUNICIPAL_ROLES))


def opens_visit_office(user: User | AnonymousUser) -> bool:
    return leads_visits(user) or reads_all_visits(user)


def approvable_teams(user: User | AnonymousUser) -> QuerySet[Team]:
    """The teams whose periods `user` approves: a team leader's own teams, every team of a
    manager's provider."""
    scope = scope_for(user)
    condition = Q(pk__in=[])
    managed = scope.providers_with(PROVIDER_WIDE_ROLES)
    if managed:
        condition |= Q(provider_id__in=managed)
    leading = scope.providers_with(TEAM_ROLES)
    if leading:
        condition |= Q(provider_id__in=leading, pk__in=scope.team_ids)
    return Team.objects.filter(condition)


def review_teams(user: User | AnonymousUser) -> QuerySet[Team]:
    """The teams whose visits `user` looks through: those they approve, and for the
    municipality every team of its providers."""
    scope = scope_for(user)
    municipalities = scope.municipalities_with(MUNICIPAL_ROLES)
    if municipalities:
        return Team.objects.filter(
            Q(provider__municipality_id__in=municipalities) | Q(pk__in=approvable_teams(user))
        )
    return approvable_teams(user)


def billing_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Whose billing basis `user` sees: a manager their own provider's, the municipality's
    administrators and auditors every provider's in the municipality."""
    scope = scope_for(user)
    condition = Q(pk__in=scope.providers_with(PROVIDER_WIDE_ROLES))
    municipalities = scope.municipalities_with(BILLING_MUNICIPAL_ROLES)
    if municipalities:
        condition |= Q(municipality_id__in=municipalities)
    return Provider.objects.filter(condition)


def opens_billing(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(
        scope.providers_with(PROVIDER_WIDE_ROLES)
        or scope.municipalities_with(BILLING_MUNICIPAL_ROLES)
    )


def sets_rules(user: User | AnonymousUser) -> bool:
    return bool(scope_for(user).municipalities_with(frozenset({Role.MUNICIPAL_ADMIN})))


def lock_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Whose lock date `user` moves forward: a manager their own provider's (the month is
    done and approved), a municipal administrator any provider's in the municipality (the
    municipality pays from the locked period, and sets its deadline)."""
    scope = scope_for(user)
    condition = Q(pk__in=scope.providers_with(PROVIDER_WIDE_ROLES))
    municipalities = scope.municipalities_with(frozenset({Role.MUNICIPAL_ADMIN}))
    if municipalities:
        condition |= Q(municipality_id__in=municipalities)
    return Provider.objects.filter(condition)


def can_unlock(user: User | AnonymousUser, provider: Provider) -> bool:
    """Only the municipality's administrator opens a locked period again."""
    scope = scope_for(user)
    return provider.municipality_id in scope.municipalities_with(frozenset({Role.MUNICIPAL_ADMIN}))


def opens_locks(user: User | AnonymousUser) -> bool:
    return bool(
        scope_for(user).providers_with(LEADING_ROLES)
        or scope_for(user).municipalities_with(MUNICIPAL_ROLES)
    )


def lock_view_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Whose lock dates `user` sees: their own providers', or the municipality's."""
    scope = scope_for(user)
    condition = Q(pk__in=scope.providers_with(LEADING_ROLES))
    municipalities = scope.municipalities_with(MUNICIPAL_ROLES)
    if municipalities:
        condition |= Q(municipality_id__in=municipalities)
    return Provider.objects.filter(condition)


def policy_municipalities(user: User | AnonymousUser) -> QuerySet[Municipality]:
    """The municipalities whose visit rules (payment basis, rounding, review limits)
    `user` sets: its administrators'."""
    scope = scope_for(user)
    return Municipality.objects.filter(
        pk__in=scope.municipalities_with(frozenset({Role.MUNICIPAL_ADMIN}))
    )
