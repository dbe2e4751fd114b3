"""Who may see and change what: the floor every app's own rules stand on.

`scope_for` loads a user's roles once per request into a `Scope`; every app decides who
sees its own objects in its own `access.py`, built on it (`alarms.access`,
`devices.access`, `servicedesk.access`, ...). Kept here: clients, the organisation
(providers, teams, staff, municipalities), the access log's review and the admin.

Every queryset of clients a page, API operation or export returns to a person is built
here. Providers are secrecy boundaries: a role held at a provider sees that provider's
clients and nobody else's. Roles held at the municipality (alarm operators, the
welfare-technology team, administrators, auditors) see the municipality's clients, because
alarms, devices and audits cross providers.
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


def can_open_clients(user: User | AnonymousUser) -> bool:
    """Whether the client, staff, team and provider lists belong in the user's menu:
    anyone with a role somewhere."""
    scope = scope_for(user)
    return bool(scope.provider_ids or scope.municipal_roles)


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


# Roles whose everyday work is the clients of their own teams: care workers and night staff
# go out to them. Team leaders plan across their provider's teams and stand in for each
# other, managers run the provider, municipal staff work across providers: their lists
# open on every client they may see, as before.
_TEAM_FIRST_ROLES = frozenset({Role.CARE_WORKER, Role.NIGHT_SUPERVISOR})


def list_teams_first(user: User | AnonymousUser) -> frozenset[int]:
    """The teams whose clients the user's client list opens on; empty when it opens on
    every client the user may see.

    Care workers and night staff in teams see their teams' clients first; searching all of
    their provider's clients is a deliberate step (the list's "search all clients"). Someone
    who also holds a wider role (a team leader elsewhere) keeps the wider list."""
    scope = scope_for(user)
    if not scope.team_ids or not scope.roles or scope.roles - _TEAM_FIRST_ROLES:
        return frozenset()
    return scope.team_ids


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


def can_open_master_data(user: User | AnonymousUser) -> bool:
    """Whether the admin (master data) belongs in the user's menu: the municipality's
    administrators, not a superuser without a role."""
    return can_use_admin(user) and scope_for(user).has_role(Role.MUNICIPAL_ADMIN)
