"""Door locks in the inventory: the welfare-technology team registers a lock, places it on a
client's door or a building entrance, and takes it down; a placed lock's keys follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from trygg.devices.models import DoorKind, DoorLock
from trygg.locks import inventory
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey

from .conftest import DAY, Home

pytestmark = pytest.mark.django_db


def register(home: Home, serial: str = "PH-1001") -> DoorLock:
    return inventory.register_lock(
        home.place.tech, home.place.municipality, serial_number=serial, model_name="Phoniro"
    )


def test_a_lock_is_registered_then_placed_on_a_clients_door(
    home: Home, django_capture_on_commit_callbacks: Any
) -> None:
    lock = register(home, " PH-1001 ")
    assert (lock.serial_number, lock.placed_on, lock.door_kind) == ("PH-1001", None, "")
    assert not lock.is_in_service(DAY.date())
    with django_capture_on_commit_callbacks(execute=True):
        placed = inventory.place_lock(
            home.place.tech, lock, on=DAY.date(), client=home.place.neighbour
        )
    assert (placed.door_kind, placed.client, placed.placed_on) == (
        DoorKind.FLAT,
        home.place.neighbour,
        DAY.date(),
    )
    assert placed.address == home.place.neighbour.street
    assert placed.clients_behind() == [home.place.neighbour]
    assert placed.is_in_service(DAY.date())
    assert not placed.is_in_service(DAY.date() - dt.timedelta(days=1))


def test_an_entrance_has_an_address_and_the_clients_behind_it(home: Home) -> None:
    lock = inventory.place_lock(
        home.place.tech,
        register(home),
        on=DAY.date(),
        street="Storgatan 12",
        postal_code="123 45",
        city="Teststad",
        entrance_clients=[home.client, home.place.neighbour],
    )
    assert (lock.door_kind, lock.address, lock.client) == (
        DoorKind.ENTRANCE,
        "Storgatan 12",
        None,
    )
    assert set(lock.clients_behind()) == {home.client, home.place.neighbour}


@pytest.mark.parametrize(
    ("door", "says"),
    [
        ({}, "own door or on an entrance"),
        ({"street": "Storgatan 12"}, "own door or on an entrance"),
        ({"entrance_clients": ["client"]}, "street address"),
        ({"client": "foreign_client"}, "another municipality"),
    ],
)
def test_a_door_must_be_one_or_the_other(home: Home, door: dict[str, Any], says: str) -> None:
    for name, value in list(door.items()):
        if value == "foreign_client":
            door[name] = home.place.foreign_client
        elif value == ["client"]:
            door[name] = [home.client]
    with pytest.raises(inventory.LockError, match=says):
        inventory.place_lock(home.place.tech, register(home), on=DAY.date(), **door)


def test_a_lock_on_a_door_is_taken_down_before_it_moves(home: Home) -> None:
    with pytest.raises(inventory.LockError, match="take it down first"):
        inventory.place_lock(home.place.tech, home.lock, on=DAY.date(), client=home.place.neighbour)
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    moved = inventory.place_lock(
        home.place.tech, home.lock, on=DAY.date(), client=home.place.neighbour
    )
    assert (moved.client, moved.removed_on, moved.lock_id) == (
        home.place.neighbour,
        None,
        home.lock.lock_id,
    )


def test_taking_down_checks_the_dates(home: Home) -> None:
    with pytest.raises(inventory.LockError, match="not on any door"):
        inventory.remove_lock(home.place.tech, register(home), on=DAY.date())
    with pytest.raises(inventory.LockError, match="after it was placed"):
        inventory.remove_lock(home.place.tech, home.lock, on=DAY.date() - dt.timedelta(days=90))
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    with pytest.raises(inventory.LockError, match="was taken down on"):
        inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())


def test_a_serial_number_is_registered_once(home: Home) -> None:
    register(home, "PH-7")
    with pytest.raises(inventory.LockError, match="already registered"):
        register(home, "PH-7")
    with pytest.raises(inventory.LockError, match="serial number"):
        register(home, "  ")


def test_only_the_municipalitys_device_people_manage_locks(home: Home) -> None:
    lock = register(home)
    for refused in (home.place.manager, home.worker, home.place.auditor, home.place.foreign_tech):
        with pytest.raises(PermissionError):
            inventory.place_lock(refused, lock, on=DAY.date(), client=home.client)
        with pytest.raises(PermissionError):
            inventory.issue_lock_token(refused, lock)
    inventory.place_lock(home.place.admin, lock, on=DAY.date(), client=home.client)


def test_the_database_refuses_a_door_that_does_not_match_its_kind(home: Home) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DoorLock.objects.filter(pk=home.lock.pk).update(client=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        DoorLock.objects.filter(pk=home.lock.pk).update(battery_level=140)


def test_placing_and_taking_down_reconcile_the_keys(
    home: Home, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        lock = inventory.place_lock(
            home.place.tech, register(home), on=DAY.date(), client=home.place.neighbour
        )
    assert not DigitalKey.objects.filter(lock=lock).exists()  # the neighbour has no team
    reconcile_keys()
    assert DigitalKey.objects.open().filter(lock=home.lock).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        inventory.remove_lock(home.place.tech, home.lock, on=DAY.date() - dt.timedelta(days=1))
    assert not DigitalKey.objects.open().filter(lock=home.lock).exists()
