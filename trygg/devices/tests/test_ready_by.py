"""Ready-by: 3 working days after hand-in, by the municipality's own calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.models import ClosedDay
from trygg.core.tests.factories import MunicipalityFactory
from trygg.devices import services
from trygg.devices.constants import PhoneAction, PhoneStatus

from .conftest import World

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("country", "handed_in", "expected"),
    [
        # A plain Friday: Monday, Tuesday, Wednesday.
        ("SE", "2026-03-06", "2026-03-11"),
        ("NO", "2026-03-06", "2026-03-11"),
        # Easter 2026: Sweden works on Maundy Thursday, Norway does not.
        ("SE", "2026-04-01", "2026-04-08"),
        ("NO", "2026-04-01", "2026-04-09"),
        # Handed in on Good Friday itself: the count starts on Tuesday after Easter Monday,
        # as it does for a phone-configuration order placed that day.
        ("SE", "2026-04-03", "2026-04-10"),
        ("NO", "2026-04-03", "2026-04-10"),
        # A Saturday hand-in is due when a Monday one is.
        ("SE", "2026-03-07", "2026-03-12"),
        ("SE", "2026-03-09", "2026-03-12"),
        # Midsummer: Swedish midsummer eve is closed, Norway has no midsummer holiday.
        ("SE", "2025-06-19", "2025-06-25"),
        ("NO", "2025-06-19", "2025-06-24"),
        # Christmas: Sweden closes Christmas eve and New Year's eve; Norway neither.
        ("SE", "2025-12-22", "2025-12-30"),
        ("NO", "2025-12-22", "2025-12-29"),
        ("SE", "2025-12-23", "2026-01-02"),
        ("NO", "2025-12-23", "2025-12-30"),
        # Ascension Day falls on a Thursday in both.
        ("SE", "2026-05-13", "2026-05-19"),
        ("NO", "2026-05-13", "2026-05-19"),
    ],
)
def test_ready_by_follows_the_national_calendar(
    country: str, handed_in: str, expected: str
) -> None:
    municipality = MunicipalityFactory(
        country=country, time_zone="Europe/Oslo" if country == "NO" else "Europe/Stockholm"
    )
    assert services.ready_by(municipality, D(handed_in)) == D(expected)


def test_it_skips_the_municipalitys_own_closed_days(world: World) -> None:
    ClosedDay.objects.create(municipality=world.municipality, date=D("2026-03-10"))
    assert services.ready_by(world.municipality, D("2026-03-06")) == D("2026-03-12")


def test_hand_in_stores_the_date_and_the_ready_by(world: World) -> None:
    phone = world.phone(status=PhoneStatus.IN_STOCK)
    phone = services.change_phone(world.manager, phone, PhoneAction.HAND_IN, today=D("2025-12-22"))
    assert phone.status == PhoneStatus.HANDED_IN
    assert (phone.handed_in_on, phone.ready_by) == (D("2025-12-22"), D("2025-12-30"))
    assert phone.handed_in_by == world.manager


def test_registering_as_handed_in_sets_ready_by(world: World) -> None:
    phone = services.register_phone(
        world.manager,
        world.provider,
        imei="490154203237518",
        model_name="X",
        status=PhoneStatus.HANDED_IN,
        today=D("2026-04-01"),
    )
    assert phone.ready_by == D("2026-04-08")


def test_overdue_means_past_ready_by_and_not_ready(world: World) -> None:
    phone = world.phone(status=PhoneStatus.IN_STOCK)
    phone = services.change_phone(world.manager, phone, PhoneAction.HAND_IN, today=D("2026-03-06"))
    assert not phone.is_overdue(D("2026-03-11"))  # due today is not late
    assert phone.is_overdue(D("2026-03-12"))
    assert list(type(phone).objects.overdue(D("2026-03-12"))) == [phone]
    phone = services.change_phone(world.tech, phone, PhoneAction.MARK_READY)
    assert not phone.is_overdue(D("2026-03-12"))
    assert not type(phone).objects.overdue(D("2026-03-12")).exists()
