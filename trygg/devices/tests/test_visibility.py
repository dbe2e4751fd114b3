"""Who sees which phones: own provider, whole municipality, or only one's own."""

from __future__ import annotations

import pytest
from django.http import Http404

from trygg.devices import access

from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(world: World) -> dict[str, object]:
    return {
        "own": world.phone(world.care_worker),
        "colleague": world.phone(world.colleague),
        "other": world.phone(world.other_care_worker, provider=world.other_provider),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("care_worker", {"own"}),
        ("colleague", {"colleague"}),
        ("team_leader", {"own", "colleague"}),
        ("manager", {"own", "colleague"}),
        ("other_manager", {"other"}),
        ("tech", {"own", "colleague", "other"}),
        ("admin", {"own", "colleague", "other"}),
        ("alarm_operator", set()),
        ("auditor", set()),
        ("foreign_tech", set()),
    ],
)
def test_each_role_sees_its_phones(
    world: World, phones: dict[str, object], persona: str, expected: set[str]
) -> None:
    seen = set(access.phones(getattr(world, persona)))
    assert seen == {phones[name] for name in expected}


def test_another_providers_phone_is_not_found(world: World, phones: dict[str, object]) -> None:
    other = phones["other"]
    with pytest.raises(Http404):
        access.get_phone(world.manager, other.pk)  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        access.get_phone(world.care_worker, phones["colleague"].pk)  # type: ignore[attr-defined]


def test_who_may_register_for_which_provider(world: World) -> None:
    assert set(access.phone_providers(world.manager)) == {world.provider}
    assert set(access.phone_providers(world.tech)) == {world.provider, world.other_provider}
    assert not access.phone_providers(world.care_worker).exists()
    assert not access.phone_providers(world.foreign_tech).filter(pk=world.provider.pk).exists()
