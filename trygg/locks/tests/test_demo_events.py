"""The demo's lock log and battery: demo doors have unlocks tied to the demo's visits, one
unlock flagged for review, and the lock running low has its battery-change task."""

from __future__ import annotations

import pytest
from django.db.models import Q

from trygg.alarms.demo import seed_demo as seed_alarms
from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality, User
from trygg.locks import events
from trygg.locks.demo import LOW_BATTERY_LOCK, seed_demo
from trygg.locks.models import BatteryTask, LockEvent
from trygg.visits.demo import seed_demo as seed_visits

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_lock_log_and_a_battery_to_change() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    seed_alarms(municipality)
    seed_visits(municipality)
    seed_demo(municipality)
    task = BatteryTask.objects.get()
    assert task.lock.serial_number == f"DEMO-LOCK-{LOW_BATTERY_LOCK:03d}"
    assert task.is_open
    leader = User.objects.get(username="teamledare")
    seen = events.with_context(events.visible_events(leader))
    assert seen.filter(Q(visit_pk__isnull=False), kind="unlocked").exists()
    assert events.flagged(seen).count() == 1
    assert LockEvent.objects.filter(kind="failed", refusal="expired").exists()
