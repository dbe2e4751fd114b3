"""The tag page: the welfare-technology team and the provider's team leaders and managers put
tags up at a client's door and take them down with a reason; care workers and other
providers do not; every client shown is access-logged; bad input is a 400 that says why,
and nothing is half-written. The client's record shows the tags."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry
from trygg.devices.models import NfcTag
from trygg.lib import tagcodes

from .conftest import Place
from .office import login

pytestmark = pytest.mark.django_db
PAGE = "/visits/tags/"


def main(html: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return found.group(1)


def logged(user_id: int, action: str) -> list[int]:
    return list(
        AccessLogEntry.objects.filter(user_id=user_id, action=action).values_list(
            "client_id", flat=True
        )
    )


def english(http: HttpClient) -> HttpClient:
    http.cookies["django_language"] = "en"
    return http


def test_the_page_is_in_the_menu_of_those_who_put_tags_up(place: Place) -> None:
    for who in (place.welfare_tech, place.leader, place.manager):
        home = login(who).get("/")
        assert 'href="/visits/tags/"' in home.text, who
    for who in (place.worker, place.stranger):
        assert 'href="/visits/tags/"' not in login(who).get("/").text
        assert login(who).get(PAGE).status_code == 403


def test_the_picker_finds_only_clients_one_may_put_tags_up_for(place: Place) -> None:
    http = login(place.leader)
    found = http.get(f"{PAGE}clients/", {"q": place.other_client.last_name})
    assert found.status_code == 200
    assert f'value="{place.other_client.pk}"' not in found.text
    found = http.get(f"{PAGE}clients/", {"q": place.south_client.last_name})
    assert f'value="{place.south_client.pk}"' in found.text
    assert logged(place.leader.pk, AccessAction.LIST) == [place.south_client.pk]
    tech = login(place.welfare_tech).get(f"{PAGE}clients/", {"q": place.other_client.last_name})
    assert f'value="{place.other_client.pk}"' in tech.text


def test_a_client_of_another_provider_is_not_found(place: Place) -> None:
    http = login(place.leader)
    assert http.get(PAGE, {"client": place.other_client.pk}).status_code == 404
    assert http.get(PAGE, {"client": "x"}).status_code == 404
    code = tagcodes.generate()
    posted = http.post(
        f"{PAGE}register/", {"client": place.other_client.pk, "code": code, "door": "main"}
    )
    assert posted.status_code == 404
    assert not NfcTag.objects.filter(code=code).exists()


def test_the_page_shows_the_clients_tags_and_logs_the_read(place: Place) -> None:
    page = english(login(place.leader)).get(PAGE, {"client": place.client.pk})
    assert page.status_code == 200
    body = main(page.text)
    assert place.tag.code in body
    assert f'id="tag-{place.tag.pk}"' in body
    assert place.second_tag.code not in body
    assert "Scan the tag" in body
    assert logged(place.leader.pk, AccessAction.DETAIL) == [place.client.pk]


def test_a_scanned_tag_is_registered_with_its_chip_at_the_chosen_door(place: Place) -> None:
    http = english(login(place.leader))
    code = tagcodes.generate()
    posted = http.post(
        f"{PAGE}register/",
        {
            "client": place.client.pk,
            "code": f"https://trygg.example/t/{code}",
            "uid": "04:a2:3b:1c:5d:80:7f",
            "door": "back",
            "location": "Altandörren, insidan",
        },
    )
    assert posted.status_code == 302
    tag = NfcTag.objects.get(code=code)
    assert (tag.client, tag.uid, tag.door, tag.location, tag.registered_by) == (
        place.client,
        "04A23B1C5D807F",
        "back",
        "Altandörren, insidan",
        place.leader,
    )
    place.tag.refresh_from_db()
    assert place.tag.retired_on is None  # the front door keeps its own tag
    page = http.get(posted["Location"])
    assert f"Tag {code} is registered" in page.text


def test_a_mistyped_code_is_a_400_that_says_why_and_nothing_is_saved(place: Place) -> None:
    http = english(login(place.welfare_tech))
    code = tagcodes.generate()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    before = NfcTag.objects.count()
    for typed, reason in (
        (wrong, "check each character again"),
        ("7K3M", "8 characters"),
        ("", "This field is required"),
    ):
        posted = http.post(
            f"{PAGE}register/", {"client": place.client.pk, "code": typed, "door": "main"}
        )
        assert posted.status_code == 400
        assert reason in main(posted.text)
    posted = http.post(
        f"{PAGE}register/", {"client": place.client.pk, "code": code, "door": "roof"}
    )
    assert posted.status_code == 400
    assert NfcTag.objects.count() == before


def test_a_tag_from_another_door_is_refused(place: Place) -> None:
    posted = english(login(place.welfare_tech)).post(
        f"{PAGE}register/",
        {"client": place.client.pk, "code": place.second_tag.code, "door": "main"},
    )
    assert posted.status_code == 400
    assert "used at another door" in main(posted.text)
    place.second_tag.refresh_from_db()
    assert place.second_tag.client == place.second_client


def test_a_tag_is_taken_down_with_a_reason(place: Place) -> None:
    http = english(login(place.manager))
    url = f"{PAGE}{place.tag.pk}/take-down/"
    refused = http.post(url, {"reason": "other", "note": ""})
    assert refused.status_code == 400
    assert "Say why the tag is taken down" in main(refused.text)
    assert http.post(url, {"reason": "replaced"}).status_code == 400
    place.tag.refresh_from_db()
    assert place.tag.retired_on is None
    done = http.post(url, {"reason": "broken"})
    assert done.status_code == 302
    place.tag.refresh_from_db()
    assert (place.tag.retired_reason, place.tag.retired_by) == ("broken", place.manager)
    page = http.get(done["Location"])
    assert "Broken or cannot be read" in main(page.text)
    again = http.post(url, {"reason": "broken"})
    assert again.status_code == 400
    assert "already taken down" in main(again.text)


def test_others_cannot_take_a_tag_down(place: Place) -> None:
    url = f"{PAGE}{place.tag.pk}/take-down/"
    # Not found, like any client one may not put tags up for.
    for who in (place.stranger, place.worker):
        assert login(who).post(url, {"reason": "broken"}).status_code == 404
    place.tag.refresh_from_db()
    assert place.tag.retired_on is None


def test_the_clients_record_shows_the_tags(place: Place) -> None:
    for who, manages in ((place.worker, False), (place.leader, True)):
        page = english(login(who)).get(f"/clients/{place.client.pk}/")
        assert page.status_code == 200
        body = main(page.text)
        assert f'id="record-tag-{place.tag.pk}"' in body
        assert place.tag.code in body
        assert ("Register or take down tags" in body) is manages
    entry = AccessLogEntry.objects.filter(user_id=place.worker.pk, action="detail").latest("pk")
    assert entry.shown["tags"] == [place.tag.code]
