"""Who may see and change locks and digital keys, on top of `trygg.core.access`.

- The municipality's welfare-technology team and administrators register locks, place
  them on doors and take them down; with the auditors they see every lock and key in the
  municipality. All but the auditors revoke keys.
- A provider's managers see the locks on their clients' doors and the keys held for their
  provider, and revoke those keys.
- A team leader sees the locks on the doors of their teams' clients and the keys held
  through their teams (or for alarms their teams answered), and revokes those.

Providers are secrecy boundaries: a lock on a shared entrance shows each provider only its
own clients behind it and the keys held for it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404

from trygg.core.access import Scope, scope_for
from trygg.core.constants import Role
from trygg.core.models import Municipality, RoleAssignment, User
from trygg.devices.models import DoorLock, DoorLockQuerySet

from .models import DigitalKey, DigitalKeyQuerySet

LOCK_MANAGER_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
_MUNICIPAL_VIEW_ROLES = LOCK_MANAGER_ROLES | {Role.AUDITOR}
_PROVIDER_VIEW_ROLES = frozenset({Role.PROVIDER_MANAGER})


def _team_leader_teams(scope: Scope) -> set[int]:
    """The teams the user leads: those of their team-leader roles."""
    if not scope.user_id or not scope.providers_with({Role.TEAM_LEADER}):
        return set()
    return set(
        RoleAssignment.teams.through.objects.filter(
            roleassignment__user_id=scope.user_id, roleassignment__role=Role.TEAM_LEADER
        ).values_list("team_id", flat=True)
    )


def can_manage_locks(user: User | AnonymousUser, municipality: Municipality | int) -> bool:
    """Register, place and take down locks, issue their device tokens."""
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    return municipality_id in scope_for(user).municipalities_with(LOCK_MANAGER_ROLES)


def can_open_keys(user: User | AnonymousUser) -> bool:
    """Whether the key overview belongs in the user's menu."""
    scope = scope_for(user)
    return bool(
        scope.municipalities_with(_MUNICIPAL_VIEW_ROLES)
        or scope.providers_with(_PROVIDER_VIEW_ROLES)
        or _team_leader_teams(scope)
    )


def keys(user: User | AnonymousUser, *, to_revoke: bool = False) -> DigitalKeyQuerySet:
    """The digital keys this user may see; with `to_revoke`, those they may revoke."""
    scope = scope_for(user)
    condition = Q()
    municipalities = scope.municipalities_with(
        LOCK_MANAGER_ROLES if to_revoke else _MUNICIPAL_VIEW_ROLES
    )
    providers = scope.providers_with(_PROVIDER_VIEW_ROLES)
    teams = _team_leader_teams(scope)
    if not municipalities and not providers and not teams:
        return DigitalKey.objects.none()
    if municipalities:
        condition |= Q(lock__municipality_id__in=municipalities)
    # A provider sees the keys held for it to its own clients' doors: a key its patrol
    # holds to another provider's client's door (an alarm) is that client's business and
    # the municipality's, not the patrol's managers'.
    if providers:
        condition |= Q(provider_id__in=providers, client__provider_id__in=providers)
    if teams:
        led = scope.providers_with({Role.TEAM_LEADER})
        condition |= Q(provider_id__in=led, client__provider_id__in=led) & (
            Q(team_id__in=teams) | Q(alarm__team_id__in=teams)
        )
    return DigitalKey.objects.filter(condition)


def can_revoke(user: User | AnonymousUser, key: DigitalKey) -> bool:
    return keys(user, to_revoke=True).filter(pk=key.pk).exists()


def get_key(user: User | AnonymousUser, pk: int) -> DigitalKey:
    """The key if the user may see it; 404 otherwise, as for one that does not exist."""
    try:
        return (
            keys(user)
            .select_related("holder", "lock__municipality", "lock__client", "team", "client")
            .get(pk=pk)
        )
    except DigitalKey.DoesNotExist as exc:
        raise Http404 from exc


def locks(user: User | AnonymousUser) -> DoorLockQuerySet:
    """The locks this user may see: the municipality's for its device people and
    auditors; for a provider's managers and team leaders, those on their clients' doors."""
    scope = scope_for(user)
    condition = Q()
    municipalities = scope.municipalities_with(_MUNICIPAL_VIEW_ROLES)
    providers = scope.providers_with(_PROVIDER_VIEW_ROLES)
    teams = _team_leader_teams(scope)
    if not municipalities and not providers and not teams:
        return DoorLock.objects.none()
    if municipalities:
        condition |= Q(municipality_id__in=municipalities)
    if providers:
        condition |= Q(client__provider_id__in=providers) | Q(
            entrance_clients__provider_id__in=providers
        )
    if teams:
        condition |= Q(client__team_id__in=teams) | Q(entrance_clients__team_id__in=teams)
    ids = DoorLock.objects.filter(condition).values("pk")
    return DoorLock.objects.filter(pk__in=ids)


def get_lock(user: User | AnonymousUser, pk: int) -> DoorLock:
    try:
        return locks(user).select_related("municipality", "client").get(pk=pk)
    except DoorLock.DoesNotExist as exc:
        raise Http404 from exc
