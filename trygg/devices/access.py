"""Who may see and change devices, on top of `trygg.core.access`.

Staff phones: provider managers and team leaders look after their own provider's phones;
the welfare-technology team and administrators look after every phone in the municipality
and alone configure and wipe; whoever holds a phone sees it and may report it lost.

Alarm units: the welfare-technology team and the municipality's administrators register
them and place them with clients and providers.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import Municipality, Provider, User

from .constants import PhoneAction
from .models import Phone, PhoneQuerySet

PHONE_PROVIDER_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
PHONE_MUNICIPAL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
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

ALARM_UNIT_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})


# Staff phones ---------------------------------------------------------------------------


def phones(user: User | AnonymousUser) -> PhoneQuerySet:
    """The phones this user may see: their provider's, their municipality's, their own."""
    scope = scope_for(user)
    if not scope.user_id:
        return Phone.objects.none()
    condition = (
        Q(assigned_to_id=scope.user_id)
        | Q(provider_id__in=scope.providers_with(PHONE_PROVIDER_ROLES))
        | Q(municipality_id__in=scope.municipalities_with(PHONE_MUNICIPAL_ROLES))
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
    return bool(scope.provider_ids) or bool(scope.municipalities_with(PHONE_MUNICIPAL_ROLES))


def phone_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers whose phones this user may register and hand in."""
    scope = scope_for(user)
    managed = scope.providers_with(PHONE_PROVIDER_ROLES)
    municipalities = scope.municipalities_with(PHONE_MUNICIPAL_ROLES)
    if not managed and not municipalities:
        return Provider.objects.none()
    return Provider.objects.filter(Q(pk__in=managed) | Q(municipality_id__in=municipalities))


def phone_actions(user: User | AnonymousUser, phone: Phone) -> frozenset[str]:
    """What this user's roles allow them to do to this phone, whatever its status."""
    scope = scope_for(user)
    if not scope.user_id:
        return frozenset()
    allowed: set[str] = set()
    if scope.municipal_roles.get(phone.municipality_id, frozenset()) & PHONE_MUNICIPAL_ROLES:
        allowed |= _PHONE_MUNICIPAL_ACTIONS
    if scope.provider_roles.get(phone.provider_id, frozenset()) & PHONE_PROVIDER_ROLES:
        allowed |= _PHONE_PROVIDER_ACTIONS
    if phone.assigned_to_id is not None and phone.assigned_to_id == scope.user_id:
        allowed |= _PHONE_HOLDER_ACTIONS
    return frozenset(allowed)


def can_change_phone(user: User | AnonymousUser, phone: Phone, action: str) -> bool:
    return action in phone_actions(user, phone)


def phone_assignable_staff(provider: Provider) -> QuerySet[User]:
    """Who a provider's phone may be registered to: active staff holding a role there."""
    return User.objects.filter(role_assignments__provider=provider, is_active=True).distinct()


# Alarm units ----------------------------------------------------------------------------


def alarm_unit_municipalities(user: User | AnonymousUser) -> set[int]:
    """Municipalities whose alarm units this user registers, places and corrects."""
    return scope_for(user).municipalities_with(ALARM_UNIT_ROLES)


def can_manage_alarm_units(user: User | AnonymousUser, municipality: Municipality | int) -> bool:
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    return municipality_id in alarm_unit_municipalities(user)
