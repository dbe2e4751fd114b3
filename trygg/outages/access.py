"""Who may plan and manage outages, and who counts as a manager for notices and banners.

Built on `trygg.core.access.scope_for`, the one place roles are loaded. The status page
and its feed are public and need no rule here: they carry no personal data.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from trygg.core.access import Scope, scope_for
from trygg.core.constants import Role
from trygg.core.models import Municipality, User

from .models import Outage

# The welfare-technology team runs the systems; administrators answer for them.
PLANNER_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
# Managers are told 14 days ahead and see banners from then: whoever plans staff's work
# (team leaders, provider managers, of every provider) and the municipality's own
# administrators and welfare-technology team.
MANAGER_PROVIDER_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
MANAGER_MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_ADMIN, Role.WELFARE_TECH})


def planning_municipality_ids(user: User | AnonymousUser) -> set[int]:
    return scope_for(user).municipalities_with(PLANNER_ROLES)


def can_plan(user: User | AnonymousUser) -> bool:
    return bool(planning_municipality_ids(user))


def plannable_municipalities(user: User | AnonymousUser) -> QuerySet[Municipality]:
    return Municipality.objects.filter(pk__in=planning_municipality_ids(user))


def outages(user: User | AnonymousUser) -> QuerySet[Outage]:
    """Outages this user may manage, with their notice logs: their municipalities'."""
    return Outage.objects.filter(municipality_id__in=planning_municipality_ids(user))


def get_outage(user: User | AnonymousUser, pk: int) -> Outage:
    try:
        return outages(user).select_related("municipality", "created_by").get(pk=pk)
    except Outage.DoesNotExist as exc:
        raise Http404 from exc


def is_manager_in(scope: Scope, municipality_id: int) -> bool:
    """Whether the scope counts as a manager for this municipality's notices.

    A provider role is not tied to a municipality in the scope; people hold provider roles
    in one municipality in practice, so any manager role at a provider counts.
    """
    if scope.municipal_roles.get(municipality_id, frozenset()) & MANAGER_MUNICIPAL_ROLES:
        return True
    return bool(scope.providers_with(MANAGER_PROVIDER_ROLES)) and (
        municipality_id in scope.municipality_ids
    )
