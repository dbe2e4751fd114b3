"""The demo's tags: on the demo clients' doors, put up like real ones, once."""

from __future__ import annotations

import pytest

from trygg.core.tests.factories import ClientFactory
from trygg.devices.models import NfcTag
from trygg.lib import tagcodes
from trygg.visits import demo

from .conftest import Place

pytestmark = pytest.mark.django_db


def test_the_demo_puts_tags_on_the_doors_once(place: Place) -> None:
    for n in range(30):
        ClientFactory(provider=place.provider, team=place.north, last_name=f"Demo {n}")
    before = set(NfcTag.objects.values_list("pk", flat=True))

    made = demo.seed_tags(place.municipality)

    tags = NfcTag.objects.exclude(pk__in=before)
    assert made == {"tags": tags.count()}
    assert tags.count() >= 25
    for tag in tags:
        assert tagcodes.parse(tag.code) == tag.code
        assert tag.uid.startswith("04")
        assert len(tag.uid) == 14
        assert tag.is_in_place_on(place.municipality.today())
        assert tag.registered_by == place.welfare_tech
    # The two doors that had a tag keep it; some doors are left without, on purpose.
    assert NfcTag.objects.filter(client=place.client).count() == 1
    untagged = place.provider.clients.exclude(nfc_tags__isnull=False)
    assert untagged.exists()

    assert demo.seed_tags(place.municipality) == {}
    assert NfcTag.objects.count() == len(before) + tags.count()
