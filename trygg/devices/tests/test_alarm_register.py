"""The register of alarm customers on a date: exactly the placements in force that day,
both ends inclusive; placements of one unit never overlap; who may place units."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from trygg.devices import access, services
from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind
from trygg.devices.services import (
    PlacementConflict,
    PlacementError,
    active_alarm_customers,
    end_placement,
    move_unit,
    place_unit,
)

from .places import Place

D = dt.date(2026, 3, 10)
DAY = dt.timedelta(days=1)


def on(place: Place, day: dt.date) -> set[tuple[str, int | None]]:
    """(unit serial, client id) of every line of the register on `day`."""
    return {
        (line.unit_serial, line.client.pk if line.client else None)
        for line in active_alarm_customers(place.municipality, day)
    }


# Which days a placement counts ----------------------------------------------------------


def test_a_placement_counts_from_its_first_to_its_last_day(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D, active_to=D + 30 * DAY)
    line = {(unit.serial_number, place.client.pk)}
    assert on(place, D - DAY) == set()
    assert on(place, D) == line
    assert on(place, D + 15 * DAY) == line
    assert on(place, D + 30 * DAY) == line  # the last day is the customer's too
    assert on(place, D + 31 * DAY) == set()


def test_an_open_ended_placement_counts_every_day_from_its_first(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D)
    assert on(place, D - DAY) == set()
    assert on(place, D) == {(unit.serial_number, place.client.pk)}
    assert on(place, dt.date(2040, 1, 1)) == {(unit.serial_number, place.client.pk)}


def test_a_one_day_placement_counts_on_that_day_only(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D, active_to=D)
    assert on(place, D - DAY) == set()
    assert on(place, D) == {(unit.serial_number, place.client.pk)}
    assert on(place, D + DAY) == set()


def test_a_unit_moved_to_another_client_counts_for_each_on_their_days(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D - 60 * DAY)
    move_unit(place.tech, unit, D, client=place.neighbour)
    assert on(place, D - DAY) == {(unit.serial_number, place.client.pk)}
    # The day of the move is the new customer's.
    assert on(place, D) == {(unit.serial_number, place.neighbour.pk)}
    assert on(place, D + 100 * DAY) == {(unit.serial_number, place.neighbour.pk)}
    first, second = AlarmPlacement.objects.filter(unit=unit).order_by("active_from")
    assert (first.active_to, second.active_from, second.active_to) == (D - DAY, D, None)


def test_ending_and_placing_again_by_hand_gives_the_same_register(place: Place) -> None:
    unit = place.unit()
    first = place_unit(place.tech, unit, client=place.client, active_from=D - 60 * DAY)
    end_placement(place.tech, first, D - DAY)
    place_unit(place.tech, unit, client=place.other_client, active_from=D)
    assert on(place, D - DAY) == {(unit.serial_number, place.client.pk)}
    assert on(place, D) == {(unit.serial_number, place.other_client.pk)}


def test_a_line_says_who_has_which_unit_since_when_and_who_is_responsible(place: Place) -> None:
    safety = place.unit()
    emergency = place.unit(kind=AlarmUnitKind.EMERGENCY_ALARM)
    place_unit(place.tech, safety, client=place.other_client, active_from=D - 5 * DAY)
    place_unit(place.tech, emergency, provider=place.provider, active_from=D - 9 * DAY)
    first, second = active_alarm_customers(place.municipality, D)
    # Safety alarms first; the provider's own emergency alarms after them.
    assert first.client == place.other_client
    assert first.provider == place.other_provider  # the client's provider
    assert (first.unit_serial, first.kind) == (safety.serial_number, AlarmUnitKind.SAFETY_ALARM)
    assert (first.active_from, first.active_to) == (D - 5 * DAY, None)
    assert not first.is_emergency_alarm
    assert second.client is None
    assert second.provider == place.provider  # who holds it
    assert second.is_emergency_alarm
    assert second.active_from == D - 9 * DAY


def test_the_register_is_one_query(place: Place, django_assert_num_queries: Any) -> None:
    for client in (place.client, place.neighbour, place.other_client):
        place_unit(place.tech, place.unit(), client=client, active_from=D)
    with django_assert_num_queries(1):
        lines = active_alarm_customers(place.municipality, D)
        assert {line.provider.name for line in lines} == {"Hemtjänsten Norr", "Annan Omsorg AB"}


def test_another_municipalitys_units_are_not_on_the_register(place: Place) -> None:
    foreign = place.unit(municipality=place.elsewhere)
    place_unit(place.foreign_tech, foreign, client=place.foreign_client, active_from=D)
    assert on(place, D) == set()
    assert len(active_alarm_customers(place.elsewhere, D)) == 1


# Overlaps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (D, D),  # its first day
        (D - 10 * DAY, D),  # ends on its first day
        (D + 10 * DAY, D + 10 * DAY),  # its last day
        (D + 10 * DAY, None),  # starts on its last day, open-ended
        (D + 3 * DAY, D + 4 * DAY),  # inside it
        (D - 5 * DAY, D + 20 * DAY),  # around it
        (D - 5 * DAY, None),  # open-ended from before it
    ],
)
def test_an_overlapping_placement_is_refused(
    place: Place, first: dt.date, last: dt.date | None
) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D, active_to=D + 10 * DAY)
    with pytest.raises(PlacementConflict, match="already placed"):
        place_unit(place.tech, unit, client=place.neighbour, active_from=first, active_to=last)
    assert AlarmPlacement.objects.filter(unit=unit).count() == 1


def test_an_open_ended_placement_blocks_every_later_one(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D)
    with pytest.raises(PlacementConflict):
        place_unit(place.tech, unit, client=place.neighbour, active_from=D + 400 * DAY)


def test_placements_side_by_side_are_fine(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D, active_to=D + 10 * DAY)
    place_unit(place.tech, unit, client=place.neighbour, active_from=D + 11 * DAY)
    place_unit(
        place.tech, unit, client=place.other_client, active_from=D - 9 * DAY, active_to=D - DAY
    )
    assert AlarmPlacement.objects.filter(unit=unit).count() == 3


def test_an_end_date_cannot_reach_into_the_next_placement(place: Place) -> None:
    unit = place.unit()
    first = place_unit(place.tech, unit, client=place.client, active_from=D, active_to=D + 9 * DAY)
    place_unit(place.tech, unit, client=place.neighbour, active_from=D + 10 * DAY)
    with pytest.raises(PlacementConflict):
        end_placement(place.tech, first, D + 10 * DAY)
    with pytest.raises(PlacementError, match="before the first"):
        end_placement(place.tech, first, D - DAY)
    end_placement(place.tech, first, D + 5 * DAY)  # a correction that frees days is fine
    first.refresh_from_db()
    assert first.active_to == D + 5 * DAY
    assert first.ended_by == place.tech


def test_moving_on_the_first_day_of_the_current_placement_is_refused(place: Place) -> None:
    unit = place.unit()
    place_unit(place.tech, unit, client=place.client, active_from=D)
    with pytest.raises(PlacementConflict):
        move_unit(place.tech, unit, D, client=place.neighbour)


def test_the_database_refuses_what_the_services_refuse(place: Place) -> None:
    unit = place.unit()
    AlarmPlacement.objects.create(unit=unit, client=place.client, active_from=D)
    for fields in (
        {"client": place.neighbour, "active_from": D + 90 * DAY},  # a second open-ended one
        {
            "client": place.client,
            "provider": place.provider,
            "active_from": D - 90 * DAY,
            "active_to": D - 80 * DAY,
        },
        {"active_from": D - 90 * DAY, "active_to": D - 80 * DAY},  # neither
        {"client": place.client, "active_from": D - 90 * DAY, "active_to": D - 91 * DAY},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AlarmPlacement.objects.create(unit=unit, **fields)


@pytest.mark.django_db(transaction=True)
def test_a_second_placement_waits_for_the_first_and_then_sees_it(place: Place) -> None:
    """Two people placing the same unit at once: the service locks the unit, so the second
    sees the first's placement once it is committed and is refused."""
    if connection.vendor != "postgresql":
        # SQLite has no row locks; IMMEDIATE transactions let one writer in at a time.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    unit = place.unit()
    locked, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                AlarmUnit.objects.select_for_update().get(pk=unit.pk)
                locked.set()
                release.wait(10)
                AlarmPlacement.objects.create(
                    unit=unit, client=place.client, active_from=D, active_to=D + 9 * DAY
                )
        finally:
            connections.close_all()

    def second() -> None:
        try:
            place_unit(
                place.tech,
                unit,
                client=place.neighbour,
                active_from=D + 5 * DAY,
                active_to=D + 20 * DAY,
            )
            outcome["second"] = "placed"
        except PlacementConflict:
            outcome["second"] = "refused"
        finally:
            connections.close_all()

    holder = threading.Thread(target=first)
    holder.start()
    assert locked.wait(10)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive(), "the second placement did not wait for the unit's lock"
    release.set()
    holder.join(10)
    waiter.join(10)
    assert outcome == {"second": "refused"}
    assert AlarmPlacement.objects.filter(unit=unit).count() == 1


# What may be placed where, and by whom ----------------------------------------------------


def test_a_safety_alarm_goes_to_a_client_and_an_emergency_alarm_to_a_provider(
    place: Place,
) -> None:
    safety = place.unit()
    emergency = place.unit(kind=AlarmUnitKind.EMERGENCY_ALARM)
    with pytest.raises(PlacementError, match="placed with a client"):
        place_unit(place.tech, safety, provider=place.provider, active_from=D)
    with pytest.raises(PlacementError, match="held by a provider"):
        place_unit(place.tech, emergency, client=place.client, active_from=D)
    with pytest.raises(PlacementError, match="either"):
        place_unit(place.tech, safety, client=place.client, provider=place.provider, active_from=D)
    with pytest.raises(PlacementError, match="either"):
        place_unit(place.tech, safety, active_from=D)


def test_a_unit_stays_in_its_municipality(place: Place) -> None:
    with pytest.raises(PlacementError, match="another municipality"):
        place_unit(place.tech, place.unit(), client=place.foreign_client, active_from=D)


def test_a_client_whose_care_has_ended_gets_no_new_unit(place: Place) -> None:
    place.client.end_date = D - DAY
    place.client.save(update_fields=["end_date"])
    with pytest.raises(PlacementError, match="care ended"):
        place_unit(place.tech, place.unit(), client=place.client, active_from=D)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("tech", True),
        ("admin", True),
        ("manager", False),
        ("care_worker", False),
        ("alarm_operator", False),
        ("auditor", False),
        ("foreign_tech", False),
    ],
)
def test_the_welfare_technology_team_and_administrators_place_units(
    place: Place, persona: str, allowed: bool
) -> None:
    actor = getattr(place, persona)
    unit = place.unit()
    assert access.can_manage_alarm_units(actor, place.municipality) is allowed
    if not allowed:
        with pytest.raises(PermissionError):
            place_unit(actor, unit, client=place.client, active_from=D)
        placement = place_unit(place.tech, unit, client=place.client, active_from=D)
        with pytest.raises(PermissionError):
            end_placement(actor, placement, D + DAY)
        with pytest.raises(PermissionError):
            move_unit(actor, unit, D + DAY, client=place.neighbour)
        return
    placement = place_unit(actor, unit, client=place.client, active_from=D)
    assert placement.created_by == actor
    end_placement(actor, placement, D + DAY)


@pytest.mark.parametrize("persona", ["manager", "alarm_operator", "foreign_tech"])
def test_only_they_register_units(place: Place, persona: str) -> None:
    with pytest.raises(PermissionError):
        services.register_alarm_unit(
            getattr(place, persona),
            place.municipality,
            serial_number="X-1",
            model_name="Testlarm",
            protocol="dc09",
            dc09_account="ABC",
            heartbeat_interval=300,
        )
    assert not AlarmUnit.objects.filter(serial_number="X-1").exists()


def test_registering_validates_the_identifiers(place: Place) -> None:
    with pytest.raises(ValidationError):
        services.register_alarm_unit(
            place.tech,
            place.municipality,
            serial_number="X-2",
            model_name="Testlarm",
            protocol="dc09",
            dc09_account="XYZ",
            heartbeat_interval=300,
        )
