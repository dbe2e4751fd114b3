"""Approving a team's period (attestering) and the provider's lock date (låsdatum).

A team leader approves a team's visits over a period once review is done: the approval is
a row, and the period's visits carry it. A visit corrected afterwards (or synced late into
the period) has no approval: the period needs approving again, which the approval page
shows, until the lock date.

The lock date closes everything on or before it: the sync refuses registrations there,
corrections, clearings and approvals are refused. It only moves forward. The provider's
manager moves it when the provider's month is done; the municipality's administrator may
move any provider's (the municipality pays from the locked period, and sets the deadline
by which it must be final). Only the administrator opens a locked period again, for a
reason that is recorded, and locks it again when the correction is made; who did each is
kept (an unlock row, and a lock row written when it is locked again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core.constants import Role
from trygg.core.languages import language_of
from trygg.core.models import Provider, RoleAssignment, Team, User
from trygg.notifications.services import notify

from . import access
from .models import PeriodLock, PeriodUnlock, Visit, VisitApproval, VisitFlag
from .services import Locks

# A month and a bit: a team leader approves a week, a fortnight or a month at a time.
MAX_APPROVAL_DAYS = 62
MIN_REASON = 5


class PeriodRefused(Exception):
    """Why an approval, lock or unlock was not made, in words for the person."""


# Approval ----------------------------------------------------------------------------


@dataclass
class PeriodSummary:
    """Where a team's period stands before it is approved."""

    team: Team
    first: dt.date
    last: dt.date
    visits: int = 0
    approved: int = 0
    struck: int = 0
    open_flags: int = 0
    locked_through: dt.date | None = None
    locked_days: list[dt.date] = field(default_factory=list)

    @property
    def unapproved(self) -> int:
        return self.visits - self.approved


def summarise(team: Team, first: dt.date, last: dt.date) -> PeriodSummary:
    summary = PeriodSummary(team, first, last)
    counts = (
        Visit.objects.filter(team=team)
        .between(first, last)
        .aggregate(
            visits=Count("pk"),
            approved=Count("pk", filter=Q(approval__isnull=False)),
            struck=Count("pk", filter=Q(struck=True)),
        )
    )
    summary.visits = counts["visits"]
    summary.approved = counts["approved"]
    summary.struck = counts["struck"]
    summary.open_flags = open_flags(team, first, last).count()
    locks = Locks([team.provider_id])
    summary.locked_through = locks.locked_through.get(team.provider_id)
    if summary.locked_through is not None and first <= summary.locked_through:
        day = first
        while day <= min(last, summary.locked_through):
            if locks.is_locked(team.provider_id, day):
                summary.locked_days.append(day)
            day += dt.timedelta(days=1)
    return summary


def open_flags(team: Team, first: dt.date, last: dt.date) -> QuerySet[VisitFlag]:
    """Flags still waiting for review on the team's counted visits in the period."""
    return VisitFlag.objects.filter(
        cleared_at__isnull=True,
        visit__team=team,
        visit__struck=False,
        visit__local_date__gte=first,
        visit__local_date__lte=last,
    )


def check_period(first: dt.date, last: dt.date, today: dt.date) -> None:
    if last < first:
        raise PeriodRefused(_("The period ends before it starts."))
    if last > today:
        raise PeriodRefused(_("Days that have not yet happened cannot be approved."))
    if (last - first).days + 1 > MAX_APPROVAL_DAYS:
        raise PeriodRefused(
            _("Approve at most %(days)s days at a time.") % {"days": MAX_APPROVAL_DAYS}
        )


def approve_period(
    actor: User,
    team: Team,
    first: dt.date,
    last: dt.date,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> VisitApproval:
    """Approve the team's visits from `first` to `last`, once nothing waits for review."""
    if not access.approvable_teams(actor).filter(pk=team.pk).exists():
        raise PeriodRefused(_("You do not approve this team's visits."))
    today = today or team.provider.municipality.today()
    check_period(first, last, today)
    with transaction.atomic():
        summary = summarise(team, first, last)
        if summary.locked_days:
            raise PeriodRefused(
                _(
                    "The period is locked through %(through)s: approvals can no longer "
                    "change. A municipal administrator can open it again."
                )
                % {"through": summary.locked_through.isoformat() if summary.locked_through else ""}
            )
        if summary.open_flags:
            raise PeriodRefused(
                _(
                    "%(count)s flags are still open in the period: correct the visits or "
                    "clear the flags with a note first."
                )
                % {"count": summary.open_flags}
            )
        approval = VisitApproval.objects.create(
            provider_id=team.provider_id,
            team=team,
            first_day=first,
            last_day=last,
            approved_by=actor,
            approved_at=now or timezone.now(),
        )
        Visit.objects.filter(team=team).between(first, last).update(approval=approval)
    return approval


def with_renewal(approvals: QuerySet[VisitApproval]) -> QuerySet[VisitApproval]:
    """Approvals with `changed`: how many of their period's visits have no approval now
    (corrected since, or synced late into the period). Above 0, approve it again."""
    changed = (
        Visit.objects.filter(
            team_id=OuterRef("team_id"),
            local_date__gte=OuterRef("first_day"),
            local_date__lte=OuterRef("last_day"),
            approval__isnull=True,
        )
        .order_by()
        .values("team_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return approvals.annotate(
        changed=Coalesce(Subquery(changed, output_field=IntegerField()), Value(0))
    )


def approval_of(visit: Visit) -> tuple[VisitApproval | None, bool]:
    """The visit's approval, and whether its period needs approving again for it (it was
    approved, then changed; or it came in after the approval)."""
    if visit.approval_id is not None:
        return visit.approval, False
    if visit.team_id is None:
        return None, False
    earlier = (
        VisitApproval.objects.filter(
            team_id=visit.team_id, first_day__lte=visit.local_date, last_day__gte=visit.local_date
        )
        .select_related("approved_by")
        .order_by("-approved_at")
        .first()
    )
    return earlier, earlier is not None


# The lock date -----------------------------------------------------------------------


def lock_of(provider_id: int) -> PeriodLock | None:
    return (
        PeriodLock.objects.filter(provider_id=provider_id)
        .select_related("set_by")
        .order_by("-set_at", "-pk")
        .first()
    )


def set_lock_date(
    actor: User,
    provider: Provider,
    through: dt.date,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> PeriodLock:
    """Lock the provider's visits on or before `through`."""
    if not access.lock_providers(actor).filter(pk=provider.pk).exists():
        raise PeriodRefused(_("You do not set this provider's lock date."))
    today = today or provider.municipality.today()
    if through >= today:
        raise PeriodRefused(_("Lock days that are over: at most yesterday."))
    with transaction.atomic():
        # One lock-date change per provider at a time: the provider row is the latch.
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
        current = lock_of(provider.pk)
        if current is not None and through <= current.locked_through:
            raise PeriodRefused(
                _(
                    "The lock date only moves forward; it is %(through)s. To change visits "
                    "before it, a municipal administrator opens the period again."
                )
                % {"through": current.locked_through.isoformat()}
            )
        lock = PeriodLock.objects.create(
            provider=provider, locked_through=through, set_by=actor, set_at=now or timezone.now()
        )
        if provider.pk not in access.scope_for(actor).provider_ids:
            _tell_provider(
                provider,
                lambda: (
                    _("Visits through %(day)s are now locked by the municipality")
                    % {"day": through.isoformat()}
                ),
                lambda: _("Nothing on or before that day can be registered or corrected."),
                topic=f"visits.lock:{lock.pk}",
            )
    return lock


def unlock_period(
    actor: User,
    provider: Provider,
    first: dt.date,
    last: dt.date,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> PeriodUnlock:
    """Open a locked period of a provider again, for a reason."""
    if not access.can_unlock(actor, provider):
        raise PeriodRefused(_("Only a municipal administrator opens a locked period."))
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise PeriodRefused(_("Give the reason for opening the period."))
    if last < first:
        raise PeriodRefused(_("The period ends before it starts."))
    current = lock_of(provider.pk)
    if current is None or first > current.locked_through:
        raise PeriodRefused(_("Nothing in the period is locked."))
    last = min(last, current.locked_through)
    with transaction.atomic():
        unlock = PeriodUnlock.objects.create(
            provider=provider,
            first_day=first,
            last_day=last,
            reason=reason[:300],
            unlocked_by=actor,
            unlocked_at=now or timezone.now(),
        )
        _tell_provider(
            provider,
            lambda: (
                _("Visits %(first)s to %(last)s are open for corrections")
                % {"first": first.isoformat(), "last": last.isoformat()}
            ),
            lambda: _("The municipality opened the period: %(reason)s") % {"reason": reason},
            topic=f"visits.unlock:{unlock.pk}",
        )
    return unlock


def relock(actor: User, unlock: PeriodUnlock, *, now: dt.datetime | None = None) -> PeriodUnlock:
    """Close an opened period again; recorded as a lock row by the administrator."""
    provider = unlock.provider
    if not access.can_unlock(actor, provider):
        raise PeriodRefused(_("Only a municipal administrator locks an opened period again."))
    now = now or timezone.now()
    with transaction.atomic():
        closed = PeriodUnlock.objects.filter(pk=unlock.pk, relocked_at__isnull=True).update(
            relocked_at=now
        )
        if not closed:
            raise PeriodRefused(_("The period is already locked again."))
        current = lock_of(provider.pk)
        if current is not None:
            PeriodLock.objects.create(
                provider=provider,
                locked_through=current.locked_through,
                set_by=actor,
                set_at=now,
            )
        _tell_provider(
            provider,
            lambda: (
                _("Visits %(first)s to %(last)s are locked again")
                % {"first": unlock.first_day.isoformat(), "last": unlock.last_day.isoformat()}
            ),
            lambda: "",
            topic=f"visits.relock:{unlock.pk}",
        )
    unlock.refresh_from_db()
    return unlock


@dataclass
class LockState:
    provider: Provider
    lock: PeriodLock | None
    open_periods: list[PeriodUnlock]
    unapproved: int
    open_flags: int

    @property
    def locked_through(self) -> dt.date | None:
        return self.lock.locked_through if self.lock else None


def lock_states(providers: QuerySet[Provider], today: dt.date) -> list[LockState]:
    """Each provider's lock date, its opened periods, and what is not yet approved or
    reviewed between the lock date and yesterday (what locking further would close)."""
    result = []
    for provider in providers.order_by("name"):
        lock = lock_of(provider.pk)
        since = lock.locked_through + dt.timedelta(days=1) if lock else None
        visits = Visit.objects.current().filter(provider=provider, local_date__lt=today)
        if since is not None:
            visits = visits.filter(local_date__gte=since)
        result.append(
            LockState(
                provider=provider,
                lock=lock,
                open_periods=list(
                    PeriodUnlock.objects.filter(provider=provider, relocked_at__isnull=True)
                    .select_related("unlocked_by")
                    .order_by("first_day")
                ),
                unapproved=visits.filter(approval__isnull=True).count(),
                open_flags=VisitFlag.objects.filter(
                    cleared_at__isnull=True, visit__in=visits
                ).count(),
            )
        )
    return result


def _tell_provider(
    provider: Provider, subject: Callable[[], str], body: Callable[[], str], *, topic: str
) -> None:
    """The provider's managers and team leaders hear of a lock the municipality moved or a
    period it opened; each in their own language."""
    people = {
        assignment.user_id: assignment.user
        for assignment in RoleAssignment.objects.filter(
            provider=provider,
            role__in=[Role.PROVIDER_MANAGER, Role.TEAM_LEADER],
            user__is_active=True,
        ).select_related("user")
    }
    for person in people.values():
        with override(language_of(person, provider.municipality)):
            notify(
                [person],
                subject(),
                body(),
                url=reverse("visits:locks"),
                topic=topic,
            )
