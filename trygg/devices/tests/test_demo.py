"""The demo phones: made once, for demo staff, with the stories the demo shows."""

from __future__ import annotations

import pytest

from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Municipality
from trygg.devices.constants import PhoneStatus
from trygg.devices.demo import seed_demo
from trygg.devices.models import Phone
from trygg.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_phones_once() -> None:
    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    made = seed_demo(municipality)
    assert 35 <= made <= 40
    assert seed_demo(municipality) == 0
    phones = Phone.objects.filter(municipality=municipality)
    statuses = list(phones.values_list("status", flat=True))
    assert statuses.count(PhoneStatus.WIPE_REQUESTED) == 1
    assert statuses.count(PhoneStatus.READY_FOR_PICKUP) == 1
    assert phones.overdue(municipality.today()).count() == 1
    assert phones.filter(assigned_to__isnull=True).count() == 0
    for phone in phones:
        phone.full_clean()  # every IMEI passes its check digit
    assert Notification.objects.filter(topic__contains=":request_wipe").exists()
