"""Who sees and changes training, on top of `trygg.core.access`.

- The municipality's service desk and welfare-technology team (`TRAINER_ROLES`) see every
  provider of their municipality, plan sessions, record start dates, book people and record
  attendance.
- A provider's managers see their own provider only: its start date, bookings, who
  attended and its staff's web courses; they record web courses and name support users.
  Providers are secrecy boundaries: another provider's people and bookings are answered
  like ones that do not exist (404).
- Everyone at a provider sees their own training and records their own web course.
- The session schedule (dates, places, agendas) is the municipality's and no secret to
  trainers and managers; who is booked on a session is shown per provider as above.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from trygg.core import access
from trygg.core.models import Provider, User

from .constants import MANAGER_ROLES, TRAINER_ROLES
from .models import Booking, BookingQuerySet, TrainingSession

Person = User | AnonymousUser


def trainer_municipalities(user: Person) -> set[int]:
    return access.scope_for(user).municipalities_with(TRAINER_ROLES)


def is_trainer(user: Person) -> bool:
    return bool(trainer_municipalities(user))


def managed_provider_ids(user: Person) -> set[int]:
    return access.scope_for(user).providers_with(MANAGER_ROLES)


def providers(user: Person) -> QuerySet[Provider]:
    """Providers whose training the user may look at."""
    scope = access.scope_for(user)
    if not scope.user_id:
        return Provider.objects.none()
    return Provider.objects.filter(
        Q(municipality_id__in=trainer_municipalities(user)) | Q(pk__in=managed_provider_ids(user))
    ).select_related("municipality")


def get_provider(user: Person, pk: int) -> Provider:
    """A provider whose training the user may see; 404 for any other."""
    found = providers(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def can_plan(user: Person, provider: Provider) -> bool:
    """Record start dates, book and cancel, record attendance: the municipality's side."""
    return provider.municipality_id in trainer_municipalities(user)


def can_manage_staff_training(user: Person, provider: Provider) -> bool:
    """Record web courses and name support users for the provider's staff."""
    return can_plan(user, provider) or provider.pk in managed_provider_ids(user)


def can_record_own_web_course(user: Person, provider: Provider) -> bool:
    return provider.pk in access.scope_for(user).provider_ids


def own_providers(user: Person) -> QuerySet[Provider]:
    """Providers the user works for."""
    return Provider.objects.filter(pk__in=access.scope_for(user).provider_ids).select_related(
        "municipality"
    )


def shown_in_menu(user: Person) -> bool:
    """Trainers, and everyone working for a provider: the routine's training is for the
    staff of every provider running home care in the municipality. Decided from the roles
    alone, so the menu costs no query on any page."""
    scope = access.scope_for(user)
    return is_trainer(user) or bool(scope.provider_ids)


def can_see_sessions(user: Person) -> bool:
    return is_trainer(user) or bool(managed_provider_ids(user))


def sessions(user: Person) -> QuerySet[TrainingSession]:
    """Sessions of the municipalities where the user plans training or manages a provider."""
    scope = access.scope_for(user)
    if not scope.user_id:
        return TrainingSession.objects.none()
    managed = managed_provider_ids(user)
    municipality_ids = set(trainer_municipalities(user))
    if managed:
        municipality_ids |= set(
            Provider.objects.filter(pk__in=managed).values_list("municipality_id", flat=True)
        )
    return TrainingSession.objects.filter(municipality_id__in=municipality_ids).select_related(
        "municipality"
    )


def get_session(user: Person, pk: int) -> TrainingSession:
    found = sessions(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def bookings(user: Person) -> BookingQuerySet:
    """Bookings the user may see: the municipality's for trainers, their own provider's for
    managers, and their own."""
    scope = access.scope_for(user)
    if not scope.user_id:
        return Booking.objects.none()
    return Booking.objects.filter(
        Q(session__municipality_id__in=trainer_municipalities(user))
        | Q(provider_id__in=managed_provider_ids(user))
        | Q(person_id=scope.user_id)
    )


def get_booking(user: Person, pk: int) -> Booking:
    found = (
        bookings(user)
        .select_related("session__municipality", "provider__municipality", "person")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found
