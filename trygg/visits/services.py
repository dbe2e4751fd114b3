"""The rules every part of visit registration shares: who registers for which provider, the
time band and date of a visit by the municipality's clock, how a visit's time is shared over
its tasks, and whether a period is locked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from trygg.core.access import scope_for
from trygg.core.constants import PROVIDER_ROLES, ServiceCategory
from trygg.core.models import ApiToken, Municipality, RoleAssignment, User
from trygg.lib import workdays

from .models import Band, PeriodLock, PeriodUnlock

DAY_STARTS = dt.time(7, 0)
DAY_ENDS = dt.time(22, 0)
# Longer than any shift: a registration claiming more is a phone left running, not a visit.
LONGEST_VISIT = dt.timedelta(hours=16)
# A phone may be ahead of the server by a little; a visit further in the future is refused.
FUTURE_TOLERANCE = dt.timedelta(hours=1)
TOKEN_SCOPE = "visits"  # noqa: S105  a scope's name, not a secret


@dataclass(frozen=True)
class Registrar:
    """Who sends registrations: a staff member from their phone (their own visits, for the
    providers they work for), or an integration's provider-bound token (visits of that
    provider's staff, each item naming its staff member)."""

    municipality: Municipality
    provider_ids: frozenset[int]
    user: User | None = None
    token: ApiToken | None = None
    staff_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def for_user(cls, user: User) -> Registrar:
        scope = scope_for(user)
        providers = frozenset(scope.providers_with(PROVIDER_ROLES))
        if not providers:
            raise PermissionError("Only staff of a provider register visits.")
        assignment = RoleAssignment.objects.filter(user=user, provider_id__in=providers).first()
        assert assignment is not None
        return cls(
            municipality=assignment.municipality,
            provider_ids=providers,
            user=user,
            staff_ids=frozenset({user.pk}),
        )

    @classmethod
    def for_token(cls, token: ApiToken) -> Registrar:
        if token.provider_id is None or TOKEN_SCOPE not in token.scopes.split():
            raise PermissionError("This token may not register visits.")
        staff = RoleAssignment.objects.filter(
            provider_id=token.provider_id, role__in=PROVIDER_ROLES, user__is_active=True
        ).values_list("user_id", flat=True)
        return cls(
            municipality=token.municipality,
            provider_ids=frozenset({token.provider_id}),
            token=token,
            staff_ids=frozenset(staff),
        )


class Calendar:
    """The municipality's clock and working days, worked out once per day for a batch."""

    def __init__(self, municipality: Municipality) -> None:
        self.zone = municipality.zone
        self.country = municipality.country
        self.closed = municipality.closed_days()
        self._working: dict[dt.date, bool] = {}

    def is_working_day(self, day: dt.date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = workdays.is_working_day(day, self.country, self.closed)
        return known

    def place(self, started_at: dt.datetime) -> tuple[dt.date, str]:
        """The visit's date and time band, by when it started."""
        local = started_at.astimezone(self.zone)
        day = local.date()
        if not self.is_working_day(day):
            return day, Band.WEEKEND_HOLIDAY
        if DAY_STARTS <= local.time() < DAY_ENDS:
            return day, Band.DAY
        return day, Band.EVENING_NIGHT


def performed_minutes(started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """Whole minutes between arrival and departure, to the nearest minute."""
    return round((ended_at - started_at).total_seconds() / 60)


def share_minutes(total: int, parts: int) -> list[int]:
    """`total` minutes shared as evenly as whole minutes allow over `parts` tasks, the
    first ones taking the remainder, so the shares always add up to the visit's time."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


class Locks:
    """Which days of which providers are locked (on or before the lock date and not opened
    again by an administrator), loaded once for a batch."""

    def __init__(self, provider_ids: Iterable[int]) -> None:
        ids = list(provider_ids)
        self.locked_through: dict[int, dt.date] = {}
        for lock in PeriodLock.objects.filter(provider_id__in=ids).order_by(
            "provider_id", "-set_at", "-pk"
        ):
            self.locked_through.setdefault(lock.provider_id, lock.locked_through)
        self.open: dict[int, list[tuple[dt.date, dt.date]]] = {}
        for unlock in PeriodUnlock.objects.filter(provider_id__in=ids, relocked_at__isnull=True):
            self.open.setdefault(unlock.provider_id, []).append((unlock.first_day, unlock.last_day))

    def is_locked(self, provider_id: int, day: dt.date) -> bool:
        through = self.locked_through.get(provider_id)
        if through is None or day > through:
            return False
        return not any(first <= day <= last for first, last in self.open.get(provider_id, ()))


# The safety alarm is granted like a service but performed only when the client raises it:
# on the phone it is the task of a visit after an alarm, and not planned on any other.
ALARM_TASK_CATEGORIES = frozenset({ServiceCategory.SAFETY_ALARM})


def planned_on_visit(category: str) -> bool:
    """Whether a granted service of this category is a planned task of an ordinary visit
    (ticked in advance on the phone)."""
    return category not in ALARM_TASK_CATEGORIES


def planned_on_alarm_visit(category: str) -> bool:
    """Whether a granted service of this category is the task of a visit after an alarm."""
    return category in ALARM_TASK_CATEGORIES
