"""The demo's outages: calm, with a notice log, and no e-mail printed while seeding."""

from __future__ import annotations

from django.core import mail
from django.utils import timezone

from trygg.notifications.models import Notification
from trygg.outages.constants import OutageStatus
from trygg.outages.demo import seed_demo
from trygg.outages.models import MaintenanceWindow, Outage, OutageNotice

from .conftest import World


def test_it_seeds_once_and_nothing_is_down(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert seed_demo(world.municipality) == 2
    assert seed_demo(world.municipality) == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert MaintenanceWindow.objects.filter(municipality=world.municipality).count() == 3
    upcoming = Outage.objects.get(status=OutageStatus.ANNOUNCED)
    assert upcoming.starts_at > timezone.now()
    assert upcoming.override_reason == ""
    assert OutageNotice.objects.filter(outage=upcoming).count() == 8
    done = Outage.objects.get(status=OutageStatus.COMPLETED)
    assert done.ends_at < timezone.now()
    assert not any(o.is_current() for o in Outage.objects.all())
