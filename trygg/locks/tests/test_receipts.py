"""A key receipt counts from the day the keys were handed over until the day they came back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from trygg.core.constants import Role
from trygg.core.tests.factories import ClientFactory, make_staff
from trygg.locks.constants import KeyHolder, SignedHow
from trygg.locks.models import KeyReceipt
from trygg.locks.receipts import has_key_receipt, receipts_in_force

pytestmark = pytest.mark.django_db

HANDED = dt.date(2026, 11, 2)


def _receipt(**fields: object) -> KeyReceipt:
    client = fields.pop("client", None) or ClientFactory()
    values: dict[str, object] = {
        "municipality": client.municipality,
        "client": client,
        "keys": "Två lägenhetsnycklar",
        "key_count": 2,
        "holder": KeyHolder.ALARM_ORGANISATION,
        "handed_over_on": HANDED,
        "signed_by": "Brukaren",
        "signed_how": SignedHow.PAPER,
        "registered_by": make_staff(Role.WELFARE_TECH, municipality=client.municipality),
    }
    values.update(fields)
    return KeyReceipt.objects.create(**values)


def test_a_receipt_holds_from_handover_until_the_keys_come_back():
    receipt = _receipt(returned_on=dt.date(2026, 11, 20))
    client = receipt.client
    assert not has_key_receipt(client, HANDED - dt.timedelta(days=1))
    assert has_key_receipt(client, HANDED)
    assert receipts_in_force(client, dt.date(2026, 11, 19)) == [receipt]
    assert not has_key_receipt(client, dt.date(2026, 11, 20))


def test_a_provider_holding_keys_is_named():
    with pytest.raises(IntegrityError):
        _receipt(holder=KeyHolder.PROVIDER)
