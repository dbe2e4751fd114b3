"""Who sees and does what in night supervision, built on core's `Scope`.

- Night staff (night supervisors) on the client's night team look in; nobody else opens a
  camera. A plan without a team is the provider's night staff's.
- The provider's team leaders and managers keep the plans (times, pauses, the journal
  note) and read the reports; night staff add pauses (a client declining the night).
- The welfare-technology team installs and removes cameras and marks them repaired; it
  sees the plans of every provider in the municipality, not the look-ins' notes.
- Auditors read the reports and the session log of the municipality.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import Client, Team, User

from .models import LookIn, SupervisionPlan

PLAN_KEEPERS = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
PLAN_READERS = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.NIGHT_SUPERVISOR})
MUNICIPAL_READERS = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN, Role.AUDITOR})
CAMERA_KEEPERS = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
REPORT_PROVIDER_ROLES = frozenset({Role.TEAM_LEADER, Role.PROVIDER_MANAGER})
REPORT_MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_ADMIN, Role.AUDITOR, Role.WELFARE_TECH})


def plans(user: User | AnonymousUser) -> QuerySet[SupervisionPlan]:
    """The supervision plans this user may read."""
    scope = scope_for(user)
    providers = scope.providers_with(PLAN_READERS)
    municipalities = scope.municipalities_with(MUNICIPAL_READERS)
    if not providers and not municipalities:
        return SupervisionPlan.objects.none()
    return SupervisionPlan.objects.filter(
        Q(provider_id__in=providers) | Q(municipality_id__in=municipalities)
    )


def get_plan(user: User | AnonymousUser, pk: int) -> SupervisionPlan:
    try:
        return plans(user).select_related("client", "camera", "provider", "night_team").get(pk=pk)
    except SupervisionPlan.DoesNotExist as exc:
        raise Http404 from exc


def can_open_plans(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(scope.providers_with(PLAN_READERS) or scope.municipalities_with(MUNICIPAL_READERS))


def keeps_plan(user: User | AnonymousUser, plan: SupervisionPlan) -> bool:
    """Team leaders and managers of the client's provider change the plan."""
    return bool(scope_for(user).provider_roles.get(plan.provider_id, frozenset()) & PLAN_KEEPERS)


def pauses_plan(user: User | AnonymousUser, plan: SupervisionPlan) -> bool:
    """The plan's keepers and its night staff record a paused night."""
    return keeps_plan(user, plan) or on_night_team(user, plan)


def keeps_camera(user: User | AnonymousUser, plan: SupervisionPlan) -> bool:
    held = scope_for(user).municipal_roles.get(plan.municipality_id, frozenset())
    return bool(held & CAMERA_KEEPERS)


def _team_condition(user: User | AnonymousUser) -> Q | None:
    """Look-ins of the user's night teams: their teams at the providers where they are
    night staff, and the team-less plans of those providers."""
    scope = scope_for(user)
    providers = scope.providers_with({Role.NIGHT_SUPERVISOR})
    if not providers:
        return None
    teams = list(
        Team.objects.filter(provider_id__in=providers, pk__in=scope.team_ids).values_list(
            "pk", flat=True
        )
    )
    return Q(client__provider_id__in=providers) & (Q(team_id__in=teams) | Q(team__isnull=True))


def is_night_staff(user: User | AnonymousUser) -> bool:
    return bool(scope_for(user).providers_with({Role.NIGHT_SUPERVISOR}))


def round_lookins(user: User | AnonymousUser) -> QuerySet[LookIn]:
    """The look-ins on this user's night round."""
    condition = _team_condition(user)
    if condition is None:
        return LookIn.objects.none()
    return LookIn.objects.filter(condition)


def on_night_team(user: User | AnonymousUser, plan: SupervisionPlan) -> bool:
    """Whether the user is night staff of the plan's provider on its night team."""
    scope = scope_for(user)
    if Role.NIGHT_SUPERVISOR not in scope.provider_roles.get(plan.provider_id, frozenset()):
        return False
    team_id = plan.night_team_id or plan.client.team_id
    return team_id is None or team_id in scope.team_ids


def visible_lookin(user: User | AnonymousUser, pk: int) -> LookIn:
    """A look-in of a plan the user may read (its provider's staff, the municipality's
    readers); 404 otherwise. Whether the user may look in is `on_night_team`."""
    try:
        return (
            LookIn.objects.filter(plan__in=plans(user))
            .select_related("plan", "plan__client", "plan__camera", "client", "team")
            .get(pk=pk)
        )
    except LookIn.DoesNotExist as exc:
        raise Http404 from exc


def can_open_reports(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(
        scope.providers_with(REPORT_PROVIDER_ROLES)
        or scope.municipalities_with(REPORT_MUNICIPAL_ROLES)
    )


def report_lookins(user: User | AnonymousUser) -> QuerySet[LookIn]:
    scope = scope_for(user)
    providers = scope.providers_with(REPORT_PROVIDER_ROLES)
    municipalities = scope.municipalities_with(REPORT_MUNICIPAL_ROLES)
    if not providers and not municipalities:
        return LookIn.objects.none()
    return LookIn.objects.filter(
        Q(plan__provider_id__in=providers) | Q(municipality_id__in=municipalities)
    )


def client_plans(user: User | AnonymousUser, client: Client) -> QuerySet[SupervisionPlan]:
    return plans(user).filter(client=client)
