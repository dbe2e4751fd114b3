"""Due dates come from the municipality's working-day calendar, Sweden's or Norway's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from trygg.core.constants import Role
from trygg.core.models import ClosedDay, Municipality, User
from trygg.core.tests.factories import MunicipalityFactory, ProviderFactory, make_staff
from trygg.lib import workdays
from trygg.servicedesk import access
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType
from trygg.servicedesk.services import due_date, place_order

pytestmark = pytest.mark.django_db

ZONES = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}
VALUES = {
    "log_extract": {},
    "user_account": {"person": "Sara Lind", "change": "Nytt", "start_date": "2026-07-01"},
    "phone_configuration": {
        "staff_member": "Anna Nilsson",
        "phone_model": "iPhone SE",
        "imei": "356938035643809",
        "handed_in_on": "2026-01-01",
    },
}


def _orderer(country: str) -> tuple[Municipality, User]:
    municipality = MunicipalityFactory(country=country, time_zone=ZONES[country])
    provider = ProviderFactory(municipality=municipality)
    ensure_default_catalogue(municipality)
    return municipality, make_staff(Role.TEAM_LEADER, provider=provider)


def _order_at(country: str, code: str, local: dt.datetime) -> Order:
    municipality, user = _orderer(country)
    order_type = OrderType.objects.get(municipality=municipality, code=code)
    values = dict(VALUES[code])
    if "handed_in_on" in values:  # the phone's deadline runs from its hand-in
        values["handed_in_on"] = local.date().isoformat()
    return place_order(
        user,
        order_type,
        values,
        provider=access.ordering_providers(user, municipality.pk).get(),
        clients=access.order_clients(user, municipality.pk),
        now=local.replace(tzinfo=ZoneInfo(ZONES[country])),
    )


@pytest.mark.parametrize(
    ("country", "code", "placed", "due"),
    [
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April in both countries;
        # Maundy Thursday 2 April is a holiday in Norway only.
        ("SE", "log_extract", dt.date(2026, 4, 2), dt.date(2026, 4, 8)),
        ("NO", "log_extract", dt.date(2026, 4, 2), dt.date(2026, 4, 9)),
        ("NO", "log_extract", dt.date(2026, 4, 1), dt.date(2026, 4, 8)),
        ("SE", "log_extract", dt.date(2026, 4, 4), dt.date(2026, 4, 9)),
        # Midsummer 2026: Sweden closes midsummer eve, Friday 19 June; Norway works.
        ("SE", "user_account", dt.date(2026, 6, 18), dt.date(2026, 6, 24)),
        ("NO", "user_account", dt.date(2026, 6, 18), dt.date(2026, 6, 23)),
        ("SE", "user_account", dt.date(2026, 6, 19), dt.date(2026, 6, 25)),
        ("NO", "user_account", dt.date(2026, 6, 19), dt.date(2026, 6, 24)),
        ("SE", "user_account", dt.date(2026, 6, 22), dt.date(2026, 6, 25)),
        # Christmas and New Year: Sweden closes the eves (24 and 31 December), Norway not.
        ("SE", "phone_configuration", dt.date(2026, 12, 23), dt.date(2026, 12, 30)),
        ("NO", "phone_configuration", dt.date(2026, 12, 23), dt.date(2026, 12, 29)),
        ("SE", "phone_configuration", dt.date(2026, 12, 30), dt.date(2027, 1, 7)),
        ("NO", "phone_configuration", dt.date(2026, 12, 30), dt.date(2027, 1, 5)),
    ],
)
def test_it_counts_working_days_across_holidays(
    country: str, code: str, placed: dt.date, due: dt.date
) -> None:
    order = _order_at(country, code, dt.datetime.combine(placed, dt.time(10, 0)))
    assert order.due_on == due


def test_an_order_placed_on_saturday_is_due_as_if_placed_on_monday() -> None:
    municipality = MunicipalityFactory(country="SE")
    saturday, monday = dt.date(2026, 3, 7), dt.date(2026, 3, 9)
    # add_working_days alone treats Saturday like Friday (due Tuesday); the desk does not.
    assert municipality.add_working_days(saturday, 2) == dt.date(2026, 3, 10)
    assert due_date(municipality, saturday, 2) == due_date(municipality, monday, 2)
    assert due_date(municipality, saturday, 2) == dt.date(2026, 3, 11)


def test_the_placed_day_is_the_municipality_s_local_day() -> None:
    # 22:30 UTC on Wednesday 1 April is 00:30 on Thursday in Stockholm (summer time).
    municipality, user = _orderer("SE")
    order = place_order(
        user,
        OrderType.objects.get(municipality=municipality, code="log_extract"),
        {},
        provider=access.ordering_providers(user, municipality.pk).get(),
        clients=access.order_clients(user, municipality.pk),
        now=dt.datetime(2026, 4, 1, 22, 30, tzinfo=dt.UTC),
    )
    assert order.due_on == dt.date(2026, 4, 8)  # as for Thursday, not Wednesday (7 April)


def test_a_day_the_municipality_closes_does_not_count() -> None:
    municipality, _user = _orderer("NO")
    order_type = OrderType.objects.get(municipality=municipality, code="log_extract")
    # Ascension Day is Thursday 14 May 2026; the Friday after is a bridge day here.
    ClosedDay.objects.create(municipality=municipality, date=dt.date(2026, 5, 15))
    assert due_date(municipality, dt.date(2026, 5, 13), 2) == dt.date(2026, 5, 19)
    assert workdays.add_working_days(dt.date(2026, 5, 13), 2, "NO") == dt.date(2026, 5, 18)
    assert order_type.deadline_working_days == 2


def test_default_deadlines_follow_the_routines() -> None:
    municipality, _user = _orderer("SE")
    deadlines = dict(
        OrderType.objects.filter(municipality=municipality).values_list(
            "code", "deadline_working_days"
        )
    )
    assert deadlines["user_account"] == 3
    assert deadlines["phone_configuration"] == 3
    assert deadlines["log_extract"] == 2
