"""What the back office lists: a person's shifts, a team's visits, the flags waiting for
review. Every list starts from `access.visits(user)`, so a provider's staff never see
another provider's visits, and loads what its rows show in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from trygg.core.models import User

from . import access
from .models import FlagKind, Visit, VisitFlag, VisitQuerySet, VisitTask


def with_details(visits: VisitQuerySet) -> VisitQuerySet:
    """What a visit's row shows: client, staff, team, tasks and flags, approval."""
    return visits.select_related("client", "staff", "partner", "team", "approval").prefetch_related(
        Prefetch(
            "tasks",
            queryset=VisitTask.objects.select_related("service_type").order_by(
                "service_type__name"
            ),
        ),
        Prefetch("flags", queryset=VisitFlag.objects.order_by("kind")),
    )


@dataclass
class Day:
    day: dt.date
    visits: list[Visit] = field(default_factory=list)

    @property
    def counted(self) -> list[Visit]:
        return [visit for visit in self.visits if not visit.struck]

    @property
    def minutes(self) -> int:
        return sum(visit.minutes for visit in self.counted if visit.outcome == "performed")

    @property
    def first(self) -> dt.datetime | None:
        return min((visit.started_at for visit in self.counted), default=None)

    @property
    def last(self) -> dt.datetime | None:
        return max((visit.ended_at for visit in self.counted), default=None)


def shifts(user: User, first: dt.date, last: dt.date) -> list[Day]:
    """The person's own visits (and those made together with someone) day by day, every
    day of the period listed, the latest first."""
    visits = with_details(
        access.visits(user)
        .filter(Q(staff_id=user.pk) | Q(partner_id=user.pk))
        .between(first, last)
        .order_by("started_at", "pk")
    )
    days: dict[dt.date, Day] = {}
    day = last
    while day >= first:
        days[day] = Day(day)
        day -= dt.timedelta(days=1)
    for visit in visits:
        days[visit.local_date].visits.append(visit)
    return list(days.values())


@dataclass(frozen=True)
class VisitFilter:
    team_id: int | None = None
    staff_id: int | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    flagged: bool = False
    unapproved: bool = False
    struck: bool = False


def team_visits(user: User | AnonymousUser, chosen: VisitFilter) -> VisitQuerySet:
    visits = access.visits(user)
    if chosen.team_id:
        visits = visits.filter(team_id=chosen.team_id)
    if chosen.staff_id:
        visits = visits.filter(Q(staff_id=chosen.staff_id) | Q(partner_id=chosen.staff_id))
    if chosen.first:
        visits = visits.filter(local_date__gte=chosen.first)
    if chosen.last:
        visits = visits.filter(local_date__lte=chosen.last)
    if not chosen.struck:
        visits = visits.current()
    if chosen.flagged:
        visits = visits.filter(
            pk__in=VisitFlag.objects.filter(cleared_at__isnull=True).values("visit_id")
        )
    if chosen.unapproved:
        visits = visits.filter(approval__isnull=True)
    return with_details(visits.order_by("-local_date", "-started_at", "-pk"))


@dataclass(frozen=True)
class FlagFilter:
    team_id: int | None = None
    staff_id: int | None = None
    kind: str = ""
    first: dt.date | None = None
    last: dt.date | None = None


def open_flags(user: User | AnonymousUser, chosen: FlagFilter) -> QuerySet[VisitFlag]:
    """Flags waiting for review on counted visits the person sees (all kinds; the kind
    filter is applied by `of_kind`, so the page can count each kind)."""
    visits = access.visits(user).current()
    if chosen.team_id:
        visits = visits.filter(team_id=chosen.team_id)
    if chosen.staff_id:
        visits = visits.filter(staff_id=chosen.staff_id)
    if chosen.first:
        visits = visits.filter(local_date__gte=chosen.first)
    if chosen.last:
        visits = visits.filter(local_date__lte=chosen.last)
    return VisitFlag.objects.filter(cleared_at__isnull=True, visit__in=visits.values("pk"))


def of_kind(flags: QuerySet[VisitFlag], kind: str) -> QuerySet[VisitFlag]:
    flags = flags.filter(kind=kind) if kind else flags
    return flags.select_related("visit", "visit__client", "visit__staff", "visit__team").order_by(
        "visit__local_date", "visit__started_at", "kind", "pk"
    )


def counts_by_kind(flags: QuerySet[VisitFlag]) -> list[tuple[str, str, int]]:
    """(kind, label, open flags) for every kind, in the order the choices list them."""
    counted = dict(flags.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return [(kind, str(label), counted.get(kind, 0)) for kind, label in FlagKind.choices]


def flags_by_visit(flags: Iterable[VisitFlag]) -> dict[int, list[VisitFlag]]:
    grouped: dict[int, list[VisitFlag]] = defaultdict(list)
    for flag in flags:
        grouped[flag.visit_id].append(flag)
    return grouped
