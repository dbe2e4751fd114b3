"""The demo's locks: every digital-lock client's door has one, the demo care worker holds
keys and opens a door through the simulator during the day shift, and no signing key is
in the demo's data."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from trygg.alarms.demo import seed_demo as seed_alarms
from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Client, Municipality, User
from trygg.devices.models import DoorLock
from trygg.locks import keystore, tokens
from trygg.locks.demo import seed_demo
from trygg.locks.models import (
    BackupKey,
    BackupKeyLoan,
    DigitalKey,
    KeyReceipt,
    LockFault,
)
from trygg.servicedesk.models import Order

from .test_keystore import private_forms

pytestmark = pytest.mark.django_db


def test_the_demos_lock_clients_get_locks_and_the_care_worker_keys() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    seed_alarms(municipality)
    made = seed_demo(municipality)
    assert seed_demo(municipality) == 0
    lock_clients = set(
        Client.objects.filter(municipality=municipality, digital_lock=True).values_list(
            "pk", flat=True
        )
    )
    assert made == len(lock_clients) >= 6
    locks = DoorLock.objects.filter(municipality=municipality)
    assert set(locks.values_list("client_id", flat=True)) == lock_clients
    assert locks.filter(battery_level__lte=20).count() == 1
    care_worker = User.objects.get(username="omsorg")
    assert DigitalKey.objects.open().filter(holder=care_worker).count() >= 3
    for username in ("omsorg.norrsken", "omsorg.lindgarden"):
        assert DigitalKey.objects.open().filter(holder__username=username).exists()
    # During the day shift (07-16) the demo phone has tokens; at night it has none.
    today = municipality.today()
    morning = dt.datetime.combine(today, dt.time(9, 30), tzinfo=municipality.zone)
    issued = tokens.issue_tokens(care_worker, now=morning)
    assert len(issued.doors) >= 3
    with pytest.raises(tokens.NotAtWork):
        tokens.issue_tokens(care_worker, now=morning.replace(hour=23))
    # Nothing in the database gives the signing key away.
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for form in private_forms(keystore.signing_key()):
        assert form not in dump.getvalue()


def test_the_demo_door_opens_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    seed_alarms(municipality)
    seed_demo(municipality)
    morning = dt.datetime.combine(municipality.today(), dt.time(9, 30), tzinfo=municipality.zone)
    monkeypatch.setattr("django.utils.timezone.now", lambda: morning)
    serial = (
        DigitalKey.objects.open()
        .filter(holder__username="omsorg")
        .order_by("lock__serial_number")
        .values_list("lock__serial_number", flat=True)
        .first()
    )
    out = io.StringIO()
    call_command("locks", "try-door", "--user", "omsorg", "--lock", serial, stdout=out)
    assert out.getvalue().startswith("Opened for ")


def test_the_demo_has_receipts_backup_keys_one_overdue_a_fault_and_an_installation() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    seed_alarms(municipality)
    seed_demo(municipality)
    locks = DoorLock.objects.filter(municipality=municipality)
    assert KeyReceipt.objects.filter(municipality=municipality).count() == locks.count()
    assert BackupKey.objects.filter(municipality=municipality).count() == locks.count()
    overdue = BackupKeyLoan.objects.overdue(timezone.now())
    assert overdue.count() == 1
    assert overdue.get().borrower.username == "omsorg"
    assert LockFault.objects.filter(municipality=municipality, order__isnull=False).exists()
    assert Order.objects.filter(order_type__code="lock_installation").exists()
    # A second seeding adds nothing.
    seed_demo(municipality)
    assert KeyReceipt.objects.filter(municipality=municipality).count() == locks.count()
