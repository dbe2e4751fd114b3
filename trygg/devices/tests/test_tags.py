"""NFC tags: put up at a client's door by typing or scanning the code, one tag per door,
never reused at another door, and only by those who look after the client's tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.core.constants import Role
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff
from trygg.devices.models import NfcTag
from trygg.devices.tags import (
    TagError,
    new_tag_code,
    place_tag,
    places_tags,
    retire_tag,
    tag_clients,
)
from trygg.lib import tagcodes

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, Any]:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    client = ClientFactory(provider=provider, team=team)
    return {
        "provider": provider,
        "client": client,
        "tech": make_staff(Role.WELFARE_TECH, municipality=provider.municipality),
        "leader": make_staff(Role.TEAM_LEADER, provider=provider, teams=[team]),
        "worker": make_staff(Role.CARE_WORKER, provider=provider, teams=[team]),
        "stranger": make_staff(
            Role.TEAM_LEADER, provider=ProviderFactory(municipality=provider.municipality)
        ),
    }


def test_a_typed_code_registers_the_tag_at_the_door(people: dict[str, Any]) -> None:
    code = new_tag_code(people["client"].municipality)
    tag = place_tag(
        people["leader"],
        people["client"],
        code=code.lower(),
        uid="04:a2:3b:1c:5d:80:7f",
        location="Innanför ytterdörren",
    )
    assert (tag.code, tag.uid, tag.client, tag.location) == (
        code,
        "04A23B1C5D807F",
        people["client"],
        "Innanför ytterdörren",
    )
    assert tag.placed_on == people["client"].municipality.today()
    assert tag.is_in_place_on(tag.placed_on)


def test_a_new_tag_takes_over_the_door_and_the_old_one_is_taken_down(
    people: dict[str, Any],
) -> None:
    today = people["client"].municipality.today()
    old = place_tag(
        people["tech"],
        people["client"],
        code=tagcodes.generate(),
        placed_on=today - dt.timedelta(days=30),
    )
    new = place_tag(people["tech"], people["client"], code=tagcodes.generate())
    old.refresh_from_db()
    assert old.retired_on == today - dt.timedelta(days=1)
    assert list(NfcTag.objects.in_place_on(today).filter(client=people["client"])) == [new]


def test_a_tag_is_never_put_up_at_a_second_door(people: dict[str, Any]) -> None:
    tag = place_tag(people["tech"], people["client"], code=tagcodes.generate())
    neighbour = ClientFactory(provider=people["provider"])
    with pytest.raises(TagError, match="another door"):
        place_tag(people["tech"], neighbour, code=tag.code)
    with pytest.raises(TagError, match="already up"):
        place_tag(people["tech"], people["client"], code=tag.code)


def test_two_tags_cannot_share_a_chip_number(people: dict[str, Any]) -> None:
    place_tag(people["tech"], people["client"], code=tagcodes.generate(), uid="04A23B1C")
    neighbour = ClientFactory(provider=people["provider"])
    with pytest.raises(TagError, match="chip number"):
        place_tag(people["tech"], neighbour, code=tagcodes.generate(), uid="04:a2:3b:1c")
    assert NfcTag.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [("7K3M-Q9X", "8 characters"), ("7K3M-Q9XA", "check each character")],
)
def test_a_mistyped_code_is_refused(people: dict[str, Any], code: str, message: str) -> None:
    if tagcodes.check_character("7K3MQ9X") == "A":
        code = "7K3M-Q9XB"
    with pytest.raises(TagError, match=message):
        place_tag(people["tech"], people["client"], code=code)
    assert not NfcTag.objects.exists()


def test_only_those_who_look_after_the_client_put_up_tags(people: dict[str, Any]) -> None:
    for who in ("worker", "stranger"):
        with pytest.raises(PermissionError):
            place_tag(people[who], people["client"], code=tagcodes.generate())
    assert not NfcTag.objects.exists()


def test_a_tag_is_taken_down_once_and_not_before_it_went_up(people: dict[str, Any]) -> None:
    today = people["client"].municipality.today()
    tag = place_tag(people["tech"], people["client"], code=tagcodes.generate())
    with pytest.raises(TagError, match="before it was put up"):
        retire_tag(people["tech"], tag, reason="broken", on=today - dt.timedelta(days=1))
    retire_tag(people["leader"], tag, reason="broken")
    tag.refresh_from_db()
    assert (tag.retired_on, tag.retired_reason, tag.retired_by) == (
        today,
        "broken",
        people["leader"],
    )
    with pytest.raises(TagError, match="already taken down"):
        retire_tag(people["tech"], tag, reason="lost")
    tag.refresh_from_db()
    assert tag.retired_reason == "broken"


def test_taking_a_tag_down_needs_a_reason(people: dict[str, Any]) -> None:
    tag = place_tag(people["tech"], people["client"], code=tagcodes.generate())
    for reason, note in (("", ""), ("nonsense", ""), ("replaced", ""), ("other", "  ")):
        with pytest.raises(TagError):
            retire_tag(people["tech"], tag, reason=reason, note=note)
    with pytest.raises(PermissionError):
        retire_tag(people["worker"], tag, reason="broken")
    tag.refresh_from_db()
    assert tag.retired_on is None
    retire_tag(people["tech"], tag, reason="other", note="Dörren byttes ut")
    tag.refresh_from_db()
    assert (tag.retired_reason, tag.retired_note) == ("other", "Dörren byttes ut")


def test_the_tag_a_new_one_replaces_says_so(people: dict[str, Any]) -> None:
    old = place_tag(
        people["tech"],
        people["client"],
        code=tagcodes.generate(),
        placed_on=people["client"].municipality.today() - dt.timedelta(days=30),
    )
    new = place_tag(people["leader"], people["client"], code=tagcodes.generate())
    old.refresh_from_db()
    assert (old.retired_reason, old.retired_note, old.retired_by) == (
        "replaced",
        new.code,
        people["leader"],
    )


def test_the_clients_for_tags_follow_the_placing_rule(people: dict[str, Any]) -> None:
    elsewhere = ClientFactory(provider=ProviderFactory(municipality=people["client"].municipality))
    assert set(tag_clients(people["tech"])) >= {people["client"], elsewhere}
    assert list(tag_clients(people["leader"])) == [people["client"]]
    assert not tag_clients(people["worker"]).exists()
    assert not tag_clients(people["stranger"]).filter(pk=people["client"].pk).exists()
    assert places_tags(people["tech"])
    assert places_tags(people["leader"])
    assert not places_tags(people["worker"])


def test_each_door_has_its_own_tag(people: dict[str, Any]) -> None:
    front = place_tag(people["tech"], people["client"], code=tagcodes.generate())
    back = place_tag(people["tech"], people["client"], code=tagcodes.generate(), door="back")
    today = people["client"].municipality.today()
    in_place = set(NfcTag.objects.in_place_on(today).filter(client=people["client"]))
    assert in_place == {front, back}
    with pytest.raises(TagError, match="door"):
        place_tag(people["tech"], people["client"], code=tagcodes.generate(), door="roof")
