"""The demo's outages: calm, with a notice log, and no e-mail printed while seeding."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from trygg.notifications.models import Notification
from trygg.outages.constants import OutageStatus
from trygg.outages.demo import seed_demo
from trygg.outages.models import MaintenanceWindow, Outage, OutageNotice
from trygg.outages.services import banner_outages, check_rules

from .conftest import World


def test_it_seeds_once_and_nothing_is_down(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert seed_demo(world.municipality) == 3
    assert seed_demo(world.municipality) == 0
    assert Outage.objects.count() == 3
    assert mail.outbox == []
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert MaintenanceWindow.objects.filter(municipality=world.municipality).count() == 3
    upcoming = list(Outage.objects.filter(status=OutageStatus.ANNOUNCED).order_by("starts_at"))
    assert len(upcoming) == 2
    for outage in upcoming:
        assert outage.starts_at > timezone.now()
        # Announced in good time: no rule was set aside to seed it.
        assert outage.override_reason == ""
        assert outage.overridden_rules == ""
        assert outage.starts_at - outage.announced_at >= dt.timedelta(days=14)
        assert OutageNotice.objects.filter(outage=outage).count() == 8
    done = Outage.objects.get(status=OutageStatus.COMPLETED)
    assert done.ends_at < timezone.now()
    assert not any(o.is_current() for o in Outage.objects.all())


@pytest.mark.parametrize("days_from_monday", range(7))
def test_one_outage_is_close_enough_for_everyone_to_see_its_banner(
    world: World, days_from_monday: int
) -> None:
    """Whatever the weekday the demo is seeded, a care worker logging in sees a banner:
    the nearest outage starts inside users' seven days and its system's window."""
    monday = timezone.make_aware(dt.datetime(2026, 3, 2, 7, 30), ZoneInfo("Europe/Stockholm"))
    now = monday + dt.timedelta(days=days_from_monday)
    seed_demo(world.municipality, now=now)
    shown = banner_outages([world.municipality.pk], [], now)
    assert [o.title for o in shown] == ["Uppdatering av Trygg"]
    [soon] = shown
    assert dt.timedelta(days=2) <= soon.starts_at - now <= dt.timedelta(days=7)
    assert not check_rules(
        world.municipality, soon.system, soon.starts_at, soon.ends_at, soon.announced_at
    )
