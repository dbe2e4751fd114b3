"""Demo orders: the catalogue and about 25 orders in every state, placed by demo staff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    assert 20 <= created <= 26
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)
    assert Order.objects.overdue(timezone.localdate()).exists()
    assert Order.objects.filter(status=OrderStatus.DONE, done_at__isnull=True).count() == 0
    assert mail.outbox == []
    assert seed_demo(desk.municipality) == 0


def test_its_log_extracts_are_made_and_the_municipality_has_one_of_every_provider(
    desk: Desk, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    seed_demo(desk.municipality)
    extracts = Order.objects.filter(order_type__code="log_extract")
    made = extracts.exclude(status=OrderStatus.CANCELLED)
    assert made.exists()
    assert all(order.results.count() == 1 for order in made)
    assert not extracts.filter(result_due_at__isnull=False).exists()
    municipal = extracts.get(provider=None)
    [result] = municipal.results.all()
    assert [p["name"] for p in result.summary["providers"]] == ["Omsorg A", "Omsorg B"]
    assert result.summary["date"] < municipal.placed_at.date().replace(day=1).isoformat()
