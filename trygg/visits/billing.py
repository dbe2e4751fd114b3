"""The billing basis (ersättningsunderlag): what a provider is paid from, per month.

Per client and service type (insats):

- granted time: each granted service's minutes per day, week or month, prorated over the
  days of the month it is valid (a week's grant counts 1/7 a day, a month's grant the
  month's share of its days), summed;
- performed time: the minutes of the tasks on the provider's counted visits (not struck
  out, carried out), with the municipality's rounding applied to each visit's time (to the
  nearest multiple of `VisitPolicy.rounding_minutes`, halves up) and shared over its tasks
  as its minutes are; staff time, so a visit two made together (double staffing) counts
  twice;
- the difference (performed less granted), and what is payable: granted or performed time,
  as the municipality chose (`VisitPolicy.payment_basis`).

Safety alarms are paid from the log extract of active alarm customers, not from visits:
their granted services are left out. Each row is rounded to whole minutes once, at the end;
totals are the sums of the rows as shown, so a file adds up. Visits per time band (weekday
07-22, evening and night, weekend and holiday, by the municipality's working-day calendar,
fixed on each visit when it was registered) count carried-out visits, with their rounded
staff minutes.

The overview (`summary`) gives the same totals per provider (and team) and month over many
months in one aggregation per table, and the municipality's follow-up adds the share of
registrations that proved presence with the tag and the share corrected afterwards (of
every registration, struck-out ones included: those were corrections too). Granted time per
team is by the client's team.

Everything is summed by the database (`GROUP BY` over the visit table's provider-and-day
index); Python only prorates the granted services and puts names to the rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)

from trygg.core.constants import Period, ServiceCategory
from trygg.core.models import Client, GrantedService, Municipality, Provider, ServiceType

from .models import PROVEN, Band, Outcome, Visit, VisitPolicy, VisitTask

BANDS = (Band.DAY, Band.EVENING_NIGHT, Band.WEEKEND_HOLIDAY)
# Paid from elsewhere, not from visits: the safety alarm from the log extract of active
# alarm customers (`alarms.extracts`).
NOT_BY_VISITS = (ServiceCategory.SAFETY_ALARM,)


# Months --------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    result, month = [], month_start(first)
    while month <= last:
        result.append(month)
        month = add_months(month, 1)
    return result


def parse_month(text: str) -> dt.date:
    """'2026-11' as the month's first day; ValueError for anything else."""
    year, _sep, month = text.strip().partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and len(month) <= 2):
        raise ValueError(f"not a month: {text!r}")
    if not (2000 <= int(year) <= 2999 and 1 <= int(month) <= 12):
        raise ValueError(f"not a month: {text!r}")
    return dt.date(int(year), int(month), 1)


def round_half_up(value: float | Fraction) -> int:
    """Whole minutes, halves up. A hair of tolerance: performed time is summed in floating
    point, where 14.5 may arrive as 14.499999999."""
    if isinstance(value, Fraction):
        return math.floor(value + Fraction(1, 2))
    return math.floor(value + 0.5 + 1e-9)


# Granted time --------------------------------------------------------------------------


def overlap_days(
    first: dt.date, last: dt.date, valid_from: dt.date, valid_to: dt.date | None
) -> int:
    start = max(first, valid_from)
    end = min(last, valid_to) if valid_to is not None else last
    return max(0, (end - start).days + 1)


def prorated(
    minutes: int,
    period: str,
    first: dt.date,
    last: dt.date,
    valid_from: dt.date,
    valid_to: dt.date | None,
) -> Fraction:
    """A grant's minutes within the month from `first` to `last` (one month at most)."""
    days = overlap_days(first, last, valid_from, valid_to)
    if not days:
        return Fraction(0)
    if period == Period.DAY:
        return Fraction(minutes * days)
    if period == Period.WEEK:
        return Fraction(minutes * days, 7)
    in_month = calendar.monthrange(first.year, first.month)[1]
    return Fraction(minutes * days, in_month)


def _grants(provider_ids: Iterable[int], first: dt.date, last: dt.date) -> Iterable[tuple]:
    return (
        GrantedService.objects.filter(provider_id__in=list(provider_ids), valid_from__lte=last)
        .exclude(service_type__category__in=NOT_BY_VISITS)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .values_list(
            "provider_id",
            "client_id",
            "client__team_id",
            "service_type_id",
            "granted_minutes",
            "period",
            "valid_from",
            "valid_to",
        )
        .iterator(chunk_size=5000)
    )


# Performed time ------------------------------------------------------------------------


def rounded_minutes(rounding: int, minutes: str = "minutes") -> ExpressionWrapper:
    """A visit's minutes to the nearest multiple of `rounding`, halves up, in integer SQL:
    (2m + r) / 2r * r."""
    rounding = max(1, rounding)
    if rounding == 1:
        return ExpressionWrapper(F(minutes), output_field=IntegerField())
    return ExpressionWrapper(
        (F(minutes) * 2 + Value(rounding)) / Value(2 * rounding) * Value(rounding),
        output_field=IntegerField(),
    )


def staff_factor(partner: str = "partner") -> Case:
    """Two staff together count each one's time."""
    return Case(
        When(**{f"{partner}__isnull": True}, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


CARRIED_OUT = Q(struck=False, outcome=Outcome.PERFORMED)


# The basis of one provider and month --------------------------------------------------------


def performed_per_client(
    provider_id: int, first: dt.date, last: dt.date, rounding: int
) -> dict[tuple[int, int], float]:
    """Performed minutes per (client, service type) of a provider's carried-out visits from
    `first` to `last`: each visit's minutes rounded, times two for two staff, shared over
    its tasks as its minutes are.

    SQL of its own: PostgreSQL would otherwise join a month's visits (found by the
    provider-and-day index) to every task of the year by hashing the whole task table; the
    lateral subquery (kept from being flattened by `OFFSET 0`) looks each visit's tasks up
    by their index instead, several times faster on a city's year (docs/benchmarks.md).
    SQLite joins that way by itself."""
    rounding = max(1, int(rounding))
    rounded = (
        "v.minutes"
        if rounding == 1
        else f"((v.minutes * 2 + {rounding}) / {2 * rounding} * {rounding})"
    )
    visit_table, task_table = Visit._meta.db_table, VisitTask._meta.db_table
    tasks = f"SELECT t.service_type_id, t.minutes FROM {task_table} t WHERE t.visit_id = v.id"  # noqa: S608
    if connection.vendor == "postgresql":
        source = f"{visit_table} v CROSS JOIN LATERAL ({tasks} OFFSET 0) t"
    else:
        source = f"{visit_table} v JOIN {task_table} t ON t.visit_id = v.id"
    sql = f"""
        SELECT v.client_id, t.service_type_id, SUM(
            CASE WHEN v.minutes = 0 THEN 0.0
            ELSE CAST(t.minutes AS DOUBLE PRECISION) * {rounded}
                 * (CASE WHEN v.partner_id IS NULL THEN 1 ELSE 2 END) / v.minutes END)
        FROM {source}
        WHERE v.provider_id = %s AND v.local_date >= %s AND v.local_date <= %s
          AND v.struck = %s AND v.outcome = %s
        GROUP BY v.client_id, t.service_type_id
    """  # noqa: S608  (table names from the models, the rounding an int)
    excluded = set(
        ServiceType.objects.filter(category__in=NOT_BY_VISITS).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [provider_id, first, last, False, Outcome.PERFORMED])
        return {
            (client_id, type_id): float(total or 0.0)
            for client_id, type_id, total in cursor.fetchall()
            if type_id not in excluded
        }


@dataclass
class Row:
    client_id: int
    client_name: str
    national_id: str
    masked_id: str
    service_code: str
    service_name: str
    granted: int
    performed: int
    payable: int

    @property
    def difference(self) -> int:
        return self.performed - self.granted


@dataclass
class BandFigures:
    band: str
    label: str
    visits: int = 0
    minutes: int = 0


@dataclass
class Basis:
    provider: Provider
    month: dt.date
    payment_basis: str
    rounding: int
    rows: list[Row] = field(default_factory=list)
    bands: list[BandFigures] = field(default_factory=list)
    visits: int = 0
    not_home: int = 0
    declined: int = 0

    @property
    def last_day(self) -> dt.date:
        return month_end(self.month)

    @property
    def granted(self) -> int:
        return sum(row.granted for row in self.rows)

    @property
    def performed(self) -> int:
        return sum(row.performed for row in self.rows)

    @property
    def difference(self) -> int:
        return self.performed - self.granted

    @property
    def payable(self) -> int:
        return sum(row.payable for row in self.rows)

    def clients(self) -> list[int]:
        return list(dict.fromkeys(row.client_id for row in self.rows))


def basis(provider: Provider, month: dt.date) -> Basis:
    """The billing basis of `provider` for the month starting `month`."""
    month = month_start(month)
    first, last = month, month_end(month)
    policy = VisitPolicy.for_municipality(provider.municipality_id)
    rounding = max(1, policy.rounding_minutes)
    result = Basis(provider, month, policy.payment_basis, rounding)

    granted: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for _p, client_id, _team, type_id, minutes, period, valid_from, valid_to in _grants(
        [provider.pk], first, last
    ):
        granted[(client_id, type_id)] += prorated(
            minutes, period, first, last, valid_from, valid_to
        )

    performed = performed_per_client(provider.pk, first, last, rounding)

    keys = set(granted) | set(performed)
    clients = {
        c.pk: c
        for c in Client.objects.filter(pk__in={client_id for client_id, _t in keys}).only(
            "first_name", "last_name", "national_id"
        )
    }
    types = {
        t.pk: t
        for t in ServiceType.objects.filter(pk__in={type_id for _c, type_id in keys}).only(
            "code", "name"
        )
    }
    for client_id, type_id in keys:
        client, service = clients[client_id], types[type_id]
        granted_minutes = round_half_up(granted.get((client_id, type_id), Fraction(0)))
        performed_minutes = round_half_up(performed.get((client_id, type_id), 0.0))
        result.rows.append(
            Row(
                client_id=client_id,
                client_name=f"{client.last_name}, {client.first_name}",
                national_id=client.display_national_id,
                masked_id=client.masked_national_id,
                service_code=service.code,
                service_name=service.name,
                granted=granted_minutes,
                performed=performed_minutes,
                payable=granted_minutes
                if policy.payment_basis == VisitPolicy.PaymentBasis.GRANTED
                else performed_minutes,
            )
        )
    result.rows.sort(key=lambda row: (row.client_name, row.client_id, row.service_name))

    counted = Visit.objects.filter(
        provider=provider, local_date__gte=first, local_date__lte=last, struck=False
    ).order_by()
    by_band = {
        band: (visits, minutes or 0)
        for band, visits, minutes in counted.filter(outcome=Outcome.PERFORMED)
        .values("band")
        .annotate(
            visits=Count("local_date"), minutes=Sum(rounded_minutes(rounding) * staff_factor())
        )
        .values_list("band", "visits", "minutes")
    }
    for band in BANDS:
        visits, minutes = by_band.get(band, (0, 0))
        result.bands.append(BandFigures(band, str(Band(band).label), visits, minutes))
    result.visits = sum(figures.visits for figures in result.bands)
    outcomes = dict(
        counted.exclude(outcome=Outcome.PERFORMED)
        .values("outcome")
        .annotate(n=Count("local_date"))
        .values_list("outcome", "n")
    )
    result.not_home = outcomes.get(Outcome.NOT_HOME, 0)
    result.declined = outcomes.get(Outcome.DECLINED, 0)
    return result


# Many providers and months ---------------------------------------------------------------


@dataclass
class Figures:
    """One provider's (or team's) month: time, visits and how they were registered."""

    provider_id: int
    team_id: int | None
    month: dt.date
    granted: float = 0.0
    performed: int = 0
    visits: int = 0
    registrations: int = 0
    proven: int = 0
    corrected: int = 0
    band_visits: dict[str, int] = field(default_factory=dict)

    @property
    def difference(self) -> float:
        return self.performed - self.granted

    @property
    def delivered_share(self) -> float | None:
        """Performed of granted time; None for a month without registrations (before the
        provider registered visits, say), which is no figure rather than nothing done."""
        if not self.registrations or not self.granted:
            return None
        return self.performed / self.granted

    @property
    def proven_share(self) -> float | None:
        return self.proven / self.registrations if self.registrations else None

    @property
    def corrected_share(self) -> float | None:
        return self.corrected / self.registrations if self.registrations else None

    def payable(self, payment_basis: str) -> float:
        if payment_basis == VisitPolicy.PaymentBasis.GRANTED:
            return self.granted
        return float(self.performed)


Key = tuple[int, int | None, dt.date]


def summary(
    municipality: Municipality,
    provider_ids: Sequence[int],
    first_month: dt.date,
    last_month: dt.date,
    *,
    by_team: bool = False,
) -> dict[Key, Figures]:
    """Granted and performed time, visits per band, tag-proven and corrected registrations,
    per provider (and team, with `by_team`) and month. Keys: (provider, team or None,
    month)."""
    first, last = month_start(first_month), month_end(last_month)
    policy = VisitPolicy.for_municipality(municipality.pk)
    rounding = max(1, policy.rounding_minutes)
    result: dict[Key, Figures] = {}

    def figures(provider_id: int, team_id: int | None, month: dt.date) -> Figures:
        key = (provider_id, team_id if by_team else None, month)
        found = result.get(key)
        if found is None:
            found = result[key] = Figures(key[0], key[1], month)
        return found

    # One pass over the visits, grouped by provider (and team) and day, plain columns: the
    # covering index `visit_provider_day` answers it on PostgreSQL without reading the
    # table, and a day's figures are filtered sums (grouping by the band and outcome too
    # cost twice as much: more keys to hash per row). Days fold into months here.
    carried_out = Q(struck=False, outcome=Outcome.PERFORMED)
    groups = ["provider_id", "local_date"]
    if by_team:
        groups.append("team_id")
    rows = (
        Visit.objects.filter(
            provider_id__in=list(provider_ids), local_date__gte=first, local_date__lte=last
        )
        .order_by()
        .values(*groups)
        .annotate(
            # Counted on a column of the index (the id is not in it; "*" takes no filter).
            registrations=Count("local_date"),
            visits=Count("local_date", filter=carried_out),
            proven=Count("local_date", filter=Q(arrival__in=list(PROVEN))),
            corrected=Count("local_date", filter=Q(corrected=True)),
            performed=Sum(rounded_minutes(rounding) * staff_factor(), filter=carried_out),
            **{
                f"band_{band}": Count("local_date", filter=carried_out & Q(band=band))
                for band in BANDS
            },
        )
    )
    for row in rows.iterator(chunk_size=5000):
        entry = figures(row["provider_id"], row.get("team_id"), month_start(row["local_date"]))
        entry.registrations += row["registrations"]
        entry.visits += row["visits"]
        entry.proven += row["proven"]
        entry.corrected += row["corrected"]
        entry.performed += row["performed"] or 0
        for band in BANDS:
            entry.band_visits[band] = entry.band_visits.get(band, 0) + row[f"band_{band}"]

    for (provider_id, team_id, month), minutes in granted_per_month(
        provider_ids, first, last, by_team=by_team
    ).items():
        figures(provider_id, team_id, month).granted += minutes
    return result


def granted_per_month(
    provider_ids: Sequence[int], first: dt.date, last: dt.date, *, by_team: bool = False
) -> dict[Key, float]:
    """Granted minutes per provider (and the client's team) and month, each grant prorated
    over the days of each month it is valid.

    One query for the period's grants (those sharing provider, team, period and dates summed
    by the database). A grant's first and last month may be partial and are prorated by
    their days; the whole months between count the same each (`minutes` a month, a week's
    times the month's days / 7, a day's times its days), so they are added up per provider,
    team and period as differences (+minutes where the run starts, -minutes after it ends)
    and summed month by month at the end: the work follows the grants, not grants x months.
    """
    months = months_between(first, last)
    if not months:
        return {}
    base = months[0].year * 12 + months[0].month - 1
    ends = [month_end(month) for month in months]
    days_in = [(end - month).days + 1 for month, end in zip(months, ends, strict=True)]

    def index(day: dt.date) -> int:
        return day.year * 12 + day.month - 1 - base

    def share(minutes: int, period: str, days: int, i: int) -> float:
        if period == Period.DAY:
            return minutes * days
        if period == Period.WEEK:
            return minutes * days / 7
        return minutes * days / days_in[i]

    totals: dict[Key, float] = defaultdict(float)
    runs: dict[tuple[int, int | None, str], list[int]] = {}
    grants = (
        GrantedService.objects.filter(provider_id__in=list(provider_ids), valid_from__lte=last)
        .exclude(service_type__category__in=NOT_BY_VISITS)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .order_by()
        .values("provider_id", "period", "valid_from", "valid_to", "client__team_id")
        .annotate(minutes=Sum("granted_minutes"))
        .values_list(
            "provider_id", "client__team_id", "period", "valid_from", "valid_to", "minutes"
        )
    )
    for provider_id, team_id, period, valid_from, valid_to, minutes in grants.iterator(
        chunk_size=5000
    ):
        team = team_id if by_team else None
        start = max(valid_from, first)
        end = min(valid_to, last) if valid_to is not None else last
        i, j = index(start), index(end)
        if i == j and (start > months[i] or end < ends[i]):
            totals[(provider_id, team, months[i])] += share(
                minutes, period, (end - start).days + 1, i
            )
            continue
        if start > months[i]:  # starts inside its first month
            totals[(provider_id, team, months[i])] += share(
                minutes, period, (ends[i] - start).days + 1, i
            )
            i += 1
        if end < ends[j]:  # ends inside its last month
            totals[(provider_id, team, months[j])] += share(
                minutes, period, (end - months[j]).days + 1, j
            )
            j -= 1
        if i <= j:
            run = runs.setdefault((provider_id, team, period), [0] * (len(months) + 1))
            run[i] += minutes
            run[j + 1] -= minutes
    for (provider_id, team, period), run in runs.items():
        running = 0
        for i, month in enumerate(months):
            running += run[i]
            if running:
                totals[(provider_id, team, month)] += share(running, period, days_in[i], i)
    return totals


def fold_teams(by_team: dict[Key, Figures]) -> dict[Key, Figures]:
    """Per-team figures added up per provider: the follow-up shows both from one pass."""
    result: dict[Key, Figures] = {}
    for (provider_id, _team_id, month), figures in by_team.items():
        total = result.get((provider_id, None, month))
        if total is None:
            total = result[(provider_id, None, month)] = Figures(provider_id, None, month)
        total.granted += figures.granted
        total.performed += figures.performed
        total.visits += figures.visits
        total.registrations += figures.registrations
        total.proven += figures.proven
        total.corrected += figures.corrected
        for band, visits in figures.band_visits.items():
            total.band_visits[band] = total.band_visits.get(band, 0) + visits
    return result


def per_provider_month(
    municipality: Municipality, provider_ids: Sequence[int], month: dt.date
) -> dict[int, Figures]:
    """One month's figures per provider (the overview and its chart)."""
    found = summary(municipality, provider_ids, month, month)
    return {
        provider_id: found.get((provider_id, None, month_start(month)))
        or Figures(provider_id, None, month_start(month))
        for provider_id in provider_ids
    }
