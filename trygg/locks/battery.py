"""Battery changes for door locks: a lock that reports a low battery gets a task for the
welfare-technology team before it dies, and the change, once registered (who, when),
closes the task.

A lock at `LOW_BATTERY_PERCENT` or lower opens a task, once: while it is open, lower
reports only lower its level (and bring its date forward). A report made before the last
change was registered (a lock still saying "low" from before) opens nothing. A lock
taken down gets no task, and its open task is cancelled with the reason (`cancel_for_lock`,
from `inventory.remove_lock` when it comes down today or earlier, and from the worker job
`locks.battery_removed` on the day a lock taken down ahead of time comes off the door).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.languages import language_of
from trygg.core.models import User
from trygg.devices.models import DoorLock
from trygg.notifications.services import notify

from .access import LOCK_MANAGER_ROLES, can_manage_locks, can_open_keys, locks
from .constants import LOW_BATTERY_PERCENT, BatteryCancel
from .models_events import BatteryTask

logger = logging.getLogger(__name__)

# How long a lock runs after its first low-battery warning, as the makers give it (a few
# weeks of ordinary use): the change is due well before. A lock reporting the critical
# level or lower may stop any day.
CHANGE_WITHIN = dt.timedelta(days=7)
CRITICAL_PERCENT = 10
CHANGE_WITHIN_CRITICAL = dt.timedelta(days=1)
# A change is given to the minute: a report within that minute is the old battery's.
CHANGE_PRECISION = dt.timedelta(minutes=1)
CANCEL_CHECK_EVERY = 300


class BatteryError(ValueError):
    """A change that cannot be registered as asked; the message says why."""


def _due(lock: DoorLock, level: int | None, reported_at: dt.datetime) -> dt.date:
    within = (
        CHANGE_WITHIN_CRITICAL if level is not None and level <= CRITICAL_PERCENT else CHANGE_WITHIN
    )
    return lock.municipality.local_date(reported_at + within)


def note_level(lock: DoorLock, level: int | None, at: dt.datetime) -> BatteryTask | None:
    """The lock reported its battery (`None`: a low-battery warning without a number).
    Opens a task when it is low and none is open; returns the open task, if any."""
    if level is not None and level > LOW_BATTERY_PERCENT:
        return None
    if not lock.is_in_service(lock.municipality.local_date(at)):
        return None
    with transaction.atomic():
        task = BatteryTask.objects.select_for_update().open().filter(lock=lock).first()
        if task is not None:
            if level is not None and (task.level is None or level < task.level):
                task.level = level
                task.reported_at = at
                task.due_on = min(task.due_on, _due(lock, level, at))
                task.save(update_fields=["level", "reported_at", "due_on"])
            return task
        last_change = (
            BatteryTask.objects.filter(lock=lock, changed_at__isnull=False)
            .order_by("-changed_at")
            .values_list("changed_at", flat=True)
            .first()
        )
        if last_change is not None and at < last_change + CHANGE_PRECISION:
            return None
        try:
            with transaction.atomic():
                task = BatteryTask.objects.create(
                    municipality_id=lock.municipality_id,
                    lock=lock,
                    opened_at=min(timezone.now(), at),
                    level=level,
                    reported_at=at,
                    due_on=_due(lock, level, at),
                )
        except IntegrityError:
            # Another report opened it at the same moment.
            return BatteryTask.objects.open().filter(lock=lock).first()
        _tell_the_team(task)
    logger.info("Battery task %s opened for lock %s", task.pk, lock.pk)
    return task


def _tell_the_team(task: BatteryTask) -> None:
    """The welfare-technology team hears of a new battery task (an in-app message, with an
    e-mail copy), each in their own language; in the task's transaction."""
    lock = task.lock
    team = User.objects.filter(
        is_active=True,
        role_assignments__municipality_id=task.municipality_id,
        role_assignments__role=Role.WELFARE_TECH,
    ).distinct()
    url = reverse("locks:lock", args=[lock.pk])
    for person in team:
        with override(language_of(person, lock.municipality)):
            subject = _("Lock %(serial)s needs a new battery") % {"serial": lock.serial_number}
            body = _("Change it by %(day)s: %(address)s.") % {
                "day": task.due_on.isoformat(),
                "address": lock.address or lock.serial_number,
            }
        notify([person], subject, body, url=url, topic="locks.battery")


def register_change(
    actor: User,
    task: BatteryTask,
    *,
    changed_at: dt.datetime,
    note: str = "",
    now: dt.datetime | None = None,
) -> BatteryTask:
    """The battery is changed: who changed it (the person registering) and when. Closes
    the task."""
    if not can_manage_locks(actor, task.municipality_id):
        raise PermissionError("Only the welfare-technology team registers battery changes.")
    now = now or timezone.now()
    if changed_at > now + dt.timedelta(minutes=5):
        raise BatteryError(_("The change cannot be in the future."))
    if changed_at < task.opened_at - dt.timedelta(days=1):
        raise BatteryError(_("The change cannot be before the lock reported a low battery."))
    note = note.strip()
    if len(note) > 500:
        raise BatteryError(_("The note can be at most 500 characters."))
    with transaction.atomic():
        done = (
            BatteryTask.objects.open()
            .filter(pk=task.pk)
            .update(changed_at=changed_at, changed_by=actor, registered_at=now, note=note)
        )
        if not done:
            task.refresh_from_db(fields=["cancelled_at"])
            if task.cancelled_at is not None:
                raise BatteryError(_("The task was cancelled: the lock is taken down."))
            raise BatteryError(_("The change is already registered."))
    task.refresh_from_db()
    return task


def cancel_for_lock(
    lock: DoorLock,
    *,
    actor: User | None = None,
    reason: str = BatteryCancel.LOCK_REMOVED,
    now: dt.datetime | None = None,
) -> int:
    """Cancel the lock's open battery task with the reason (the lock is off the door: no
    battery to change there). `actor` None is the worker or the command line. Returns how
    many tasks were cancelled (0 or 1)."""
    now = now or timezone.now()
    cancelled = (
        BatteryTask.objects.open()
        .filter(lock=lock)
        .update(cancelled_at=now, cancelled_by=actor, cancel_reason=reason)
    )
    if cancelled:
        logger.info("Battery task of lock %s cancelled (%s)", lock.pk, reason)
    return cancelled


def cancel_for_removed_locks(now: dt.datetime | None = None) -> int:
    """The worker's pass: cancel the open tasks of locks that are off their door today by
    their municipality's clock (taken down ahead of time, or before the task opened).
    Returns how many were cancelled."""
    now = now or timezone.now()
    cancelled = 0
    tasks = (
        BatteryTask.objects.open()
        .filter(Q(lock__removed_on__isnull=False) | Q(lock__placed_on__isnull=True))
        .select_related("lock__municipality")
    )
    for task in tasks:
        lock = task.lock
        if not lock.is_in_service(lock.municipality.local_date(now)):
            cancelled += cancel_for_lock(lock, now=now)
    return cancelled


def opens_tasks(user: User | AnonymousUser) -> bool:
    """Whether the battery changes belong in the user's menu: the welfare-technology team
    and the municipality's administrators."""
    return bool(scope_for(user).municipalities_with(LOCK_MANAGER_ROLES))


def sees_tasks(user: User | AnonymousUser) -> bool:
    """Whether the user may read the list of battery changes to do: those who change them
    and everyone who sees locks (a provider's managers and team leaders for their clients'
    doors, so they can tell the staff who go there; the auditors). Read-only for all but
    `opens_tasks`."""
    return opens_tasks(user) or can_open_keys(user)


def open_tasks(user: User) -> list[BatteryTask]:
    """The open battery tasks of the locks the user may see (`access.locks`: the whole
    municipality for its welfare-technology team, their clients' doors for a provider's
    managers and team leaders), the most urgent first."""
    return list(
        BatteryTask.objects.open()
        .filter(lock__in=locks(user).values("pk"))
        .select_related("lock__client", "lock__municipality")
        .order_by("due_on", "level", "pk")
    )
