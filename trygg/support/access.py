"""Who may see and change support data, on top of `trygg.core.access`.

- "Who do I call now?" and the service catalogue: everyone with a role in the municipality.
  Care staff need the numbers; the catalogue's hours, service levels and fees are no
  secret inside the organisation.
- The call-out register holds costs: the welfare-technology team and the municipality's
  administrators record call-outs; auditors read the register; everyone else gets 403.
- Callers: a private provider's staff (no municipal role, every provider role at a private
  provider) are not offered the lines that serve the municipality's own staff only.
- Districts: a user may pick any team they can see (`core.access.teams`); by default their
  own first team.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from trygg.core import access
from trygg.core.constants import ProviderKind, Role
from trygg.core.models import Municipality, Provider, Team, User

from .constants import Caller

CALL_OUT_WRITERS = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
CALL_OUT_READERS = CALL_OUT_WRITERS | {Role.AUDITOR}


def municipalities(user: User | AnonymousUser) -> QuerySet[Municipality]:
    return access.municipalities(user).order_by("name", "pk")


def default_municipality(
    user: User | AnonymousUser, requested: int | None = None
) -> Municipality | None:
    """The requested municipality if the user has a role there, else their first one."""
    candidates = municipalities(user)
    if requested is not None:
        return candidates.filter(pk=requested).first()
    return candidates.first()


def districts(user: User | AnonymousUser, municipality: Municipality) -> QuerySet[Team]:
    return (
        access.teams(user)
        .filter(provider__municipality=municipality, is_active=True)
        .select_related("provider")
        .order_by("provider__name", "name")
    )


def default_district(user: User | AnonymousUser, municipality: Municipality) -> Team | None:
    own = access.scope_for(user).team_ids
    if not own:
        return None
    return districts(user, municipality).filter(pk__in=own).first()


def can_read_call_outs(user: User | AnonymousUser, municipality: Municipality) -> bool:
    held = access.scope_for(user).municipal_roles.get(municipality.pk, frozenset())
    return bool(held & CALL_OUT_READERS)


def can_record_call_outs(user: User | AnonymousUser, municipality: Municipality) -> bool:
    held = access.scope_for(user).municipal_roles.get(municipality.pk, frozenset())
    return bool(held & CALL_OUT_WRITERS)


def call_out_staff(municipality: Municipality) -> QuerySet[User]:
    """Who may be named as having ordered or approved a call-out: the municipality's staff."""
    return (
        User.objects.filter(role_assignments__municipality=municipality, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def caller(user: User | AnonymousUser, municipality: Municipality) -> Caller:
    """Whether the user asks as the municipality's own staff or as a private provider's."""
    scope = access.scope_for(user)
    if scope.municipal_roles.get(municipality.pk):
        return Caller.MUNICIPAL
    kinds = set(
        Provider.objects.filter(pk__in=scope.provider_ids, municipality=municipality).values_list(
            "kind", flat=True
        )
    )
    if kinds and kinds <= {ProviderKind.PRIVATE}:
        return Caller.EXTERNAL
    return Caller.MUNICIPAL
