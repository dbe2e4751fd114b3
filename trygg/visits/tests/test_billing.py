"""The billing basis on a small known dataset: granted time prorated over the month, performed
time rounded per visit and shared over its tasks, double staffing, struck-out and not
carried-out visits, time bands, the payment basis, and the overview and follow-up."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from trygg.core.constants import Period
from trygg.core.models import GrantedService
from trygg.visits import billing, corrections
from trygg.visits.billing import prorated
from trygg.visits.models import Band, VisitPolicy

from .conftest import Place
from .office import register

pytestmark = pytest.mark.django_db
DECEMBER = dt.date(2026, 12, 1)
CET = dt.timezone(dt.timedelta(hours=1))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CET)


def test_granted_time_is_prorated_over_the_days_valid_in_the_month() -> None:
    first, last = DECEMBER, dt.date(2026, 12, 31)
    always = dt.date(2020, 1, 1)
    assert prorated(70, Period.WEEK, first, last, always, None) == 310
    assert prorated(20, Period.DAY, first, last, always, dt.date(2026, 12, 10)) == 200
    assert prorated(90, Period.MONTH, first, last, dt.date(2026, 12, 11), None) == Fraction(
        90 * 21, 31
    )
    assert prorated(90, Period.MONTH, first, last, always, None) == 90
    assert prorated(60, Period.WEEK, first, last, always, dt.date(2026, 11, 30)) == 0
    assert prorated(60, Period.WEEK, first, last, dt.date(2027, 1, 1), None) == 0
    february = dt.date(2027, 2, 1)
    assert prorated(56, Period.MONTH, february, dt.date(2027, 2, 28), always, None) == 56


def test_rounding_is_to_the_nearest_multiple_halves_up() -> None:
    assert [billing.round_half_up(v) for v in (14.499999999, 14.5, 15.48, Fraction(1, 2))] == [
        15,
        15,
        15,
        1,
    ]


@pytest.fixture
def month(place: Place) -> Place:
    """December's visits and grants for the provider (see each line)."""
    grants = GrantedService.objects.filter(provider=place.provider)
    # The client: personal care 120 min a week all month (531.43), cleaning 90 min a month
    # from 11 December (21 of 31 days: 60.97).
    grants.filter(client=place.client, service_type=place.cleaning).update(
        granted_minutes=90, period=Period.MONTH, valid_from=dt.date(2026, 12, 11)
    )
    # The second client: 20 min a day until 10 December (200).
    grants.filter(client=place.second_client).update(
        granted_minutes=20, period=Period.DAY, valid_to=dt.date(2026, 12, 10)
    )
    # Weekday noon, 31 min, two tasks (16 + 15).
    register(place, start=at(2, 12), minutes=31, tasks=["PERS", "STAD"])
    # Weekday evening, 22 min.
    register(place, start=at(3, 23), minutes=22)
    # Christmas Day, 13 min, two staff together.
    register(place, start=at(25, 9), minutes=13, partner_id=place.colleague.pk)
    # Registered twice: struck out, does not count.
    twice = register(place, start=at(4, 12), minutes=40)
    corrections.strike_visit(place.worker, twice, "registered_twice")
    # The second client: 8 min; and a visit where nobody was at home.
    register(place, client=place.second_client, start=at(2, 14), minutes=8)
    register(
        place,
        client=place.second_client,
        start=at(3, 9),
        minutes=0,
        tasks=[],
        outcome="not_home",
        departure=None,
    )
    # The south team's client: meals, which nobody granted; no tag at that door.
    register(place, client=place.south_client, start=at(4, 10), minutes=17, tasks=["MAT"])
    # Not this month, not this provider.
    register(place, start=dt.datetime(2026, 11, 30, 12, tzinfo=CET), minutes=30)
    register(place, staff=place.stranger, client=place.other_client, start=at(2, 12), minutes=45)
    return place


def rows(basis: billing.Basis) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {
        (row.client_name.split(",")[0], row.service_code): (
            row.granted,
            row.performed,
            row.difference,
            row.payable,
        )
        for row in basis.rows
    }


def test_the_basis_per_client_and_service_with_rounding_to_five_minutes(month: Place) -> None:
    VisitPolicy.objects.create(municipality=month.municipality, rounding_minutes=5)
    basis = billing.basis(month.provider, DECEMBER)
    # Rounded per visit: 31 -> 30 shared 16:15 (15.48 + 14.52); 22 -> 20; 13 -> 15, twice.
    assert rows(basis) == {
        ("Andersson", "PERS"): (531, 65, -466, 65),
        ("Andersson", "STAD"): (61, 15, -46, 15),
        ("Berg", "PERS"): (200, 10, -190, 10),
        ("Sundin", "PERS"): (531, 0, -531, 0),
        ("Sundin", "MAT"): (0, 15, 15, 15),
    }
    assert (basis.granted, basis.performed, basis.difference, basis.payable) == (
        1323,
        105,
        -1218,
        105,
    )
    bands = {figures.band: (figures.visits, figures.minutes) for figures in basis.bands}
    assert bands == {
        Band.DAY: (3, 55),
        Band.EVENING_NIGHT: (1, 20),
        Band.WEEKEND_HOLIDAY: (1, 30),
    }
    assert (basis.visits, basis.not_home, basis.declined) == (5, 1, 0)


def test_without_rounding_performed_time_is_the_tasks_minutes(month: Place) -> None:
    basis = billing.basis(month.provider, DECEMBER)
    performed = {key: values[1] for key, values in rows(basis).items()}
    assert performed == {
        ("Andersson", "PERS"): 16 + 22 + 2 * 13,
        ("Andersson", "STAD"): 15,
        ("Berg", "PERS"): 8,
        ("Sundin", "PERS"): 0,
        ("Sundin", "MAT"): 17,
    }


def test_when_payment_follows_granted_time_the_granted_minutes_are_payable(
    month: Place,
) -> None:
    VisitPolicy.objects.create(
        municipality=month.municipality, payment_basis=VisitPolicy.PaymentBasis.GRANTED
    )
    basis = billing.basis(month.provider, DECEMBER)
    assert all(row.payable == row.granted for row in basis.rows)
    assert basis.payable == 1323


def test_another_providers_basis_holds_only_its_own(month: Place) -> None:
    basis = billing.basis(month.other_provider, DECEMBER)
    assert rows(basis) == {("Främling", "PERS"): (531, 45, -486, 45)}


def test_the_overview_and_follow_up_per_provider_team_and_month(month: Place) -> None:
    VisitPolicy.objects.create(municipality=month.municipality, rounding_minutes=5)
    ids = [month.provider.pk, month.other_provider.pk]
    found = billing.per_provider_month(month.municipality, ids, DECEMBER)
    mine = found[month.provider.pk]
    assert mine.granted == pytest.approx(2 * 120 * 31 / 7 + 90 * 21 / 31 + 20 * 10)
    assert (mine.performed, mine.visits, mine.registrations) == (105, 5, 7)
    # Tag-proven: all but the south client's (no tag at that door). Corrected: the struck one.
    assert (mine.proven, mine.corrected) == (6, 1)
    assert mine.band_visits == {Band.DAY: 3, Band.EVENING_NIGHT: 1, Band.WEEKEND_HOLIDAY: 1}
    by_team = billing.summary(month.municipality, ids, DECEMBER, DECEMBER, by_team=True)
    north = by_team[(month.provider.pk, month.north.pk, DECEMBER)]
    south = by_team[(month.provider.pk, month.south.pk, DECEMBER)]
    assert (north.granted, north.performed) == (
        pytest.approx(120 * 31 / 7 + 90 * 21 / 31 + 200),
        90,
    )
    assert (south.granted, south.performed) == (pytest.approx(120 * 31 / 7), 15)
    folded = billing.fold_teams(by_team)[(month.provider.pk, None, DECEMBER)]
    assert (folded.performed, folded.visits, folded.registrations) == (105, 5, 7)
    assert folded.granted == pytest.approx(mine.granted)
    assert folded.band_visits == mine.band_visits
    november = billing.summary(month.municipality, ids, dt.date(2026, 11, 1), DECEMBER)
    assert november[(month.provider.pk, None, dt.date(2026, 11, 1))].performed == 30


def test_the_whole_month_and_partial_grants_add_up_in_the_overview(place: Place) -> None:
    # 120/week for three whole-month clients, the cleaning grant ending on 15 December.
    GrantedService.objects.filter(client=place.client, service_type=place.cleaning).update(
        valid_to=dt.date(2026, 12, 15)
    )
    found = billing.per_provider_month(place.municipality, [place.provider.pk], DECEMBER)
    expected = 3 * 120 * 31 / 7 + 120 * 15 / 7
    assert found[place.provider.pk].granted == pytest.approx(expected)
    detail = billing.basis(place.provider, DECEMBER)
    assert detail.granted == 3 * 531 + 257


def test_months_are_parsed_and_counted() -> None:
    assert billing.parse_month("2026-02") == dt.date(2026, 2, 1)
    for bad in ("2026-13", "26-02", "2026/02", "", "1999-01", "2026-02-01"):
        with pytest.raises(ValueError, match="not a month"):
            billing.parse_month(bad)
    assert billing.add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert billing.add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert len(billing.months_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))) == 12


def test_safety_alarms_are_paid_from_the_log_extract_not_from_visits(place: Place) -> None:
    from trygg.core.constants import ServiceCategory
    from trygg.core.tests.factories import GrantedServiceFactory, ServiceTypeFactory

    alarm = ServiceTypeFactory(
        municipality=place.municipality, code="LARM", category=ServiceCategory.SAFETY_ALARM
    )
    GrantedServiceFactory(client=place.client, service_type=alarm, provider=place.provider)
    basis = billing.basis(place.provider, DECEMBER)
    assert "LARM" not in {row.service_code for row in basis.rows}
    found = billing.per_provider_month(place.municipality, [place.provider.pk], DECEMBER)
    assert found[place.provider.pk].granted == pytest.approx(4 * 120 * 31 / 7)
