"""Demo orders: the catalogue and about 25 orders in every state, placed by demo staff."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.demo import seed_demo
from trygg.servicedesk.models import Order

from .conftest import Desk

pytestmark = pytest.mark.django_db


def test_it_seeds_orders_in_every_state_once(desk: Desk) -> None:
    created = seed_demo(desk.municipality)
    assert 20 <= created <= 25
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)
    assert Order.objects.overdue(timezone.localdate()).exists()
    assert Order.objects.filter(status=OrderStatus.DONE, done_at__isnull=True).count() == 0
    assert mail.outbox == []
    assert seed_demo(desk.municipality) == 0
