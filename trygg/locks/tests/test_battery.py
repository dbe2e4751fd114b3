"""Battery changes: a lock reporting a low battery gets a task for the welfare-technology
team, due before it dies; the change is registered (who, when) and closes the task; an old
report does not open it again."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry
from trygg.locks import battery, inventory, services, tokens
from trygg.locks.constants import BatteryCancel, KeyEnd
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import BatteryTask, DigitalKey
from trygg.notifications.models import Notification

from .conftest import DAY, Home, login

pytestmark = pytest.mark.django_db


def test_a_low_battery_opens_one_task_due_before_the_lock_dies(home: Home) -> None:
    services.lock_contact(home.lock, battery=64, now=DAY)
    assert not BatteryTask.objects.exists()
    services.lock_contact(home.lock, battery=18, now=DAY)
    task = BatteryTask.objects.get()
    assert (task.level, task.due_on) == (18, (DAY + battery.CHANGE_WITHIN).date())
    # Lower reports bring the date forward; they open no second task.
    later = DAY + dt.timedelta(days=2)
    services.lock_contact(home.lock, battery=9, now=later)
    task.refresh_from_db()
    assert BatteryTask.objects.count() == 1
    assert (task.level, task.due_on) == (9, (later + battery.CHANGE_WITHIN_CRITICAL).date())
    assert battery.open_tasks(home.place.tech) == [task]
    # The provider's managers and the team leader see it on their client's door (to read).
    assert battery.open_tasks(home.place.manager) == [task]
    assert battery.open_tasks(home.team_leader) == [task]
    assert battery.open_tasks(home.worker) == []
    # The welfare-technology team was told once, with the way to the lock.
    told = Notification.objects.filter(topic="locks.battery")
    assert list(told.values_list("recipient", flat=True)) == [home.place.tech.pk]
    assert told.get().url == f"/locks/{home.lock.pk}/"


def test_a_warning_without_a_level_opens_the_task_too(home: Home) -> None:
    event = services.ReportedEvent(event_id="lb-1", kind="low_battery", at=DAY)
    services.record_lock_events(home.lock, [event], now=DAY)
    task = BatteryTask.objects.get()
    assert task.level is None
    assert task.is_open


def test_the_change_is_registered_and_closes_the_task(home: Home) -> None:
    services.lock_contact(home.lock, battery=15, now=DAY)
    task = BatteryTask.objects.get()
    changed = DAY + dt.timedelta(days=1)
    with pytest.raises(PermissionError):
        battery.register_change(home.place.manager, task, changed_at=changed, now=changed)
    with pytest.raises(battery.BatteryError, match="future"):
        battery.register_change(
            home.place.tech, task, changed_at=changed + dt.timedelta(hours=1), now=changed
        )
    battery.register_change(home.place.tech, task, changed_at=changed, note="CR123A", now=changed)
    task.refresh_from_db()
    assert (task.changed_at, task.changed_by, task.note) == (changed, home.place.tech, "CR123A")
    with pytest.raises(battery.BatteryError, match="already"):
        battery.register_change(home.place.tech, task, changed_at=changed, now=changed)
    # A report from before the change (sent late) opens nothing; a new low one does.
    services.lock_contact(home.lock, battery=14, now=changed - dt.timedelta(hours=1))
    assert not BatteryTask.objects.open().exists()
    services.lock_contact(home.lock, battery=19, now=changed + dt.timedelta(days=300))
    assert BatteryTask.objects.open().count() == 1


def test_a_lock_taken_down_gets_no_task(home: Home) -> None:
    lock = inventory.remove_lock(home.place.tech, home.lock, on=DAY.date() - dt.timedelta(days=1))
    services.lock_contact(lock, battery=5, now=DAY)
    assert not BatteryTask.objects.exists()


def test_the_welfare_technology_team_registers_the_change_on_the_locks_page(home: Home) -> None:
    services.lock_contact(home.lock, battery=12)
    task = BatteryTask.objects.get()
    http = login(home.place.tech)
    listing = http.get("/locks/battery/")
    assert listing.status_code == 200
    assert f'id="battery-task-{task.pk}"' in listing.content.decode()
    page = http.get(f"/locks/{home.lock.pk}/")
    assert "Register the change" in page.content.decode()
    assert AccessLogEntry.objects.filter(user=home.place.tech, client=home.client).exists()
    bad = http.post(f"/locks/battery/{task.pk}/change/", {"changed_at": "igår"}, follow=True)
    assert "Give the date and time" in bad.content.decode()
    now = home.lock.municipality.localtime()
    answer = http.post(
        f"/locks/battery/{task.pk}/change/",
        {"changed_at": now.strftime("%Y-%m-%dT%H:%M"), "note": "Nytt batteri"},
        follow=True,
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "is registered" in text
    task.refresh_from_db()
    assert task.changed_by == home.place.tech
    assert f'id="battery-task-{task.pk}"' in text  # in the lock's history now
    # Managers do not register changes, care workers do not see the list either.
    assert login(home.place.manager).post(f"/locks/battery/{task.pk}/change/").status_code == 404
    assert login(home.worker).get("/locks/battery/").status_code == 403
    assert login(home.worker).post(f"/locks/battery/{task.pk}/change/", {}).status_code == 404


def test_team_leaders_and_managers_read_their_clients_battery_changes(home: Home) -> None:
    """The list is there for them from the door-lock overview, scoped to their clients'
    doors and access-logged; no change is registered from it."""
    services.lock_contact(home.lock, battery=12)
    services.lock_contact(home.other_lock, battery=8)
    mine, theirs = (
        BatteryTask.objects.get(lock=home.lock),
        BatteryTask.objects.get(lock=home.other_lock),
    )
    for person in (home.team_leader, home.place.manager):
        http = login(person)
        overview = http.get("/locks/").content.decode()
        assert 'href="/locks/battery/"' in overview
        page = http.get("/locks/battery/")
        assert page.status_code == 200
        main = page.content.decode().split("<main", 1)[1]
        assert f'id="battery-task-{mine.pk}"' in main
        assert f'id="battery-task-{theirs.pk}"' not in main
        assert "The welfare-technology team changes the battery" in main
        assert "/change/" not in main  # nothing to register from here
        assert AccessLogEntry.objects.filter(
            user=person, client=home.client, action=AccessAction.LIST
        ).exists()
        assert not AccessLogEntry.objects.filter(user=person, client=home.other_client).exists()
    # The care worker sees locks nowhere, so no link leads there.
    assert 'href="/locks/battery/"' not in login(home.worker).get("/").content.decode()


def test_taking_the_lock_down_cancels_its_battery_task_and_ends_its_keys(home: Home) -> None:
    reconcile_keys(now=DAY)
    assert DigitalKey.objects.open().filter(lock=home.lock).exists()
    services.lock_contact(home.lock, battery=8, now=DAY)
    task = BatteryTask.objects.get()
    other = services.lock_contact(home.other_lock, battery=8, now=DAY)
    assert other is not None
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    task.refresh_from_db()
    assert not task.is_open
    assert (task.cancel_reason, task.cancelled_by) == (BatteryCancel.LOCK_REMOVED, home.place.tech)
    assert task.changed_at is None  # cancelled, not changed
    assert battery.open_tasks(home.place.tech) == [
        BatteryTask.objects.get(lock=home.other_lock)
    ]  # the other lock's task is untouched
    with pytest.raises(battery.BatteryError, match="cancelled"):
        battery.register_change(home.place.tech, task, changed_at=DAY, now=DAY)
    # Its keys end with the reason, and the phone gets no token to that door.
    reconcile_keys(now=DAY)
    assert not DigitalKey.objects.open().filter(lock=home.lock).exists()
    assert set(DigitalKey.objects.filter(lock=home.lock).values_list("end_reason", flat=True)) == {
        KeyEnd.LOCK_REMOVED
    }
    with pytest.raises(tokens.NoKeys):
        tokens.issue_tokens(home.worker, now=DAY)


def test_a_lock_taken_down_ahead_of_time_keeps_its_task_until_that_day(home: Home) -> None:
    services.lock_contact(home.lock, battery=15, now=DAY)
    task = BatteryTask.objects.get()
    today = home.lock.municipality.today()
    inventory.remove_lock(home.place.tech, home.lock, on=today + dt.timedelta(days=3))
    task.refresh_from_db()
    assert task.is_open  # the lock is still on the door and may die before
    assert battery.cancel_for_removed_locks() == 0
    that_day = home.lock.municipality.localtime() + dt.timedelta(days=3)
    assert battery.cancel_for_removed_locks(now=that_day) == 1
    task.refresh_from_db()
    assert (task.cancel_reason, task.cancelled_by) == (BatteryCancel.LOCK_REMOVED, None)
    assert battery.cancel_for_removed_locks(now=that_day) == 0


def test_the_team_takes_a_lock_down_on_its_page(home: Home) -> None:
    services.lock_contact(home.lock, battery=12)
    task = BatteryTask.objects.get()
    url = f"/locks/{home.lock.pk}/remove/"
    today = home.lock.municipality.today().isoformat()
    # Only the welfare-technology team: a provider's manager sees the lock, not the form.
    manager = login(home.place.manager)
    assert 'id="lock-remove"' not in manager.get(f"/locks/{home.lock.pk}/").content.decode()
    assert manager.post(url, {"removed_on": today}).status_code == 403
    assert login(home.other_worker).post(url, {"removed_on": today}).status_code == 404
    http = login(home.place.tech)
    assert 'id="lock-remove"' in http.get(f"/locks/{home.lock.pk}/").content.decode()
    bad = http.post(url, {"removed_on": "snart"}, follow=True)
    assert bad.status_code == 200
    assert "valid date" in bad.content.decode()
    early = http.post(url, {"removed_on": "2020-01-01"}, follow=True)
    assert "after it was placed" in early.content.decode()
    home.lock.refresh_from_db()
    assert home.lock.removed_on is None
    done = http.post(url, {"removed_on": today}, follow=True)
    text = done.content.decode()
    assert "is taken down" in text
    assert f'id="battery-task-{task.pk}"' in text
    assert "Cancelled" in text
    assert "the lock was taken down" in text
    assert 'id="lock-remove"' not in text  # it is off the door: nothing to take down
    assert f'id="battery-task-{task.pk}"' not in http.get("/locks/battery/").content.decode()
