"""A municipality's working days: the national calendar plus the days it closes itself."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.models import ClosedDay

from .factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


def test_an_extra_closed_day_pushes_deadlines() -> None:
    municipality = MunicipalityFactory(country="SE")
    # Friday 15 May 2026 is the bridge day after Ascension Day (Thursday 14 May).
    bridge_day = dt.date(2026, 5, 15)
    assert municipality.add_working_days(dt.date(2026, 5, 13), 1) == bridge_day

    ClosedDay.objects.create(municipality=municipality, date=bridge_day, reason="Klämdag")

    assert not municipality.is_working_day(bridge_day)
    assert municipality.add_working_days(dt.date(2026, 5, 13), 1) == dt.date(2026, 5, 18)
    assert municipality.nearest_working_days(bridge_day) == (
        dt.date(2026, 5, 13),
        dt.date(2026, 5, 18),
    )


def test_norwegian_municipality_uses_norwegian_holidays() -> None:
    municipality = MunicipalityFactory(country="NO", time_zone="Europe/Oslo")
    # Constitution Day is closed in Norway; 6 June (Sweden's national day) is not.
    assert not municipality.is_working_day(dt.date(2027, 5, 17))  # a Monday
    assert municipality.is_working_day(dt.date(2025, 6, 6))  # a Friday
    assert not MunicipalityFactory(country="SE").is_working_day(dt.date(2025, 6, 6))
