"""The demo's visits: a month to bill for every provider and a day for team Norr to review,
made once."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality, Provider
from trygg.visits import billing
from trygg.visits.demo import seed_demo
from trygg.visits.models import (
    FlagKind,
    PeriodLock,
    Visit,
    VisitApproval,
    VisitCorrection,
    VisitFlag,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_month_to_bill_and_a_day_to_review() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    started = time.monotonic()
    made = seed_demo(municipality)
    took = time.monotonic() - started
    assert made["visits"] > 3000, made
    assert made["visits yesterday"] >= 25, made
    assert took < 60
    assert seed_demo(municipality) == {}
    today = municipality.today()
    yesterday = today - dt.timedelta(days=1)
    day = Visit.objects.filter(local_date=yesterday, staff__username="omsorg")
    assert day.count() >= 9
    open_kinds = set(
        VisitFlag.objects.filter(
            visit__local_date=yesterday, cleared_at__isnull=True, visit__struck=False
        ).values_list("kind", flat=True)
    )
    assert {FlagKind.NO_TAG, FlagKind.SHORT, FlagKind.NO_GRANT, FlagKind.OVERLAP} <= open_kinds
    assert FlagKind.LATE_SYNC in open_kinds
    assert VisitCorrection.objects.filter(visit__local_date=yesterday).count() >= 2
    assert Visit.objects.filter(local_date=yesterday, struck=True).count() == 1
    # Last month: billed per provider, approved by two providers, locked for one.
    month = billing.add_months(billing.month_start(today), -1)
    for provider in Provider.objects.filter(municipality=municipality):
        basis = billing.basis(provider, month)
        assert basis.performed > 0, provider
        assert basis.granted > 0, provider
    assert VisitApproval.objects.values("provider").distinct().count() == 2
    assert PeriodLock.objects.count() == 1
    assert VisitCorrection.objects.filter(visit__local_date__lt=yesterday).exists()
