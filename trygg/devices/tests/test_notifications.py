"""Ready for pickup and wipe requested tell the right people, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from trygg.core.constants import Role
from trygg.core.tests.factories import make_staff
from trygg.devices import services
from trygg.devices.constants import PhoneAction, PhoneStatus
from trygg.devices.models import Phone
from trygg.devices.signals import phone_wipe_requested
from trygg.notifications.models import Notification

from .conftest import World

pytestmark = pytest.mark.django_db
A = PhoneAction


def recipients(topic_part: str) -> list[int]:
    return sorted(
        Notification.objects.filter(topic__endswith=topic_part).values_list(
            "recipient_id", flat=True
        )
    )


def test_ready_tells_the_staff_member_and_whoever_handed_it_in(world: World) -> None:
    phone = world.phone(status=PhoneStatus.IN_STOCK)
    phone = services.change_phone(world.team_leader, phone, A.HAND_IN)
    assert not Notification.objects.exists()
    services.change_phone(world.tech, phone, A.MARK_READY)
    assert recipients(":mark_ready") == sorted([world.care_worker.pk, world.team_leader.pk])
    note = Notification.objects.get(recipient=world.care_worker)
    assert note.url == f"/devices/phones/{phone.pk}/"
    assert "ready for pickup" in note.subject


def test_ready_tells_a_person_once_when_they_handed_in_their_own(world: World) -> None:
    phone = world.phone(world.manager, status=PhoneStatus.IN_STOCK)
    phone = services.change_phone(world.manager, phone, A.HAND_IN)
    services.change_phone(world.tech, phone, A.MARK_READY)
    assert recipients(":mark_ready") == [world.manager.pk]


def test_a_refused_repeat_tells_nobody_again(world: World) -> None:
    phone = world.phone(status=PhoneStatus.HANDED_IN)
    stale = Phone.objects.get(pk=phone.pk)
    services.change_phone(world.tech, phone, A.MARK_READY)
    with pytest.raises(services.PhoneConflict):
        services.change_phone(world.tech2, stale, A.MARK_READY)
    # One each for the staff member and the one who registered it handed in; no repeats.
    assert recipients(":mark_ready") == sorted([world.care_worker.pk, world.tech.pk])


def test_wipe_request_tells_the_whole_welfare_technology_team(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    gone = make_staff(Role.WELFARE_TECH, municipality=world.municipality, is_active=False)
    received: list[Phone] = []

    def revoke_keys(sender: object, phone: Phone, **kwargs: object) -> None:
        received.append(phone)

    phone_wipe_requested.connect(revoke_keys)
    try:
        phone = services.change_phone(world.care_worker, world.phone(), A.REPORT_LOST)
        with django_capture_on_commit_callbacks(execute=True):
            services.change_phone(world.manager, phone, A.REQUEST_WIPE)
    finally:
        phone_wipe_requested.disconnect(revoke_keys)
    assert recipients(":request_wipe") == sorted([world.tech.pk, world.tech2.pk])
    assert gone.pk not in recipients(":request_wipe")
    assert world.foreign_tech.pk not in recipients(":request_wipe")
    assert received == [phone]
    assert len([m for m in mail.outbox if "Wipe" in m.subject]) == 2


def test_a_care_workers_lost_report_reaches_the_managers(world: World) -> None:
    services.change_phone(world.care_worker, world.phone(), A.REPORT_LOST)
    assert recipients(":report_lost") == sorted([world.manager.pk, world.team_leader.pk])
