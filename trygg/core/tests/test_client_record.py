"""The client record's registry (core/record.py): apps add sections without core naming them;
each section decides what it shows whom; the record's one access-log row names what every
section showed, and the review shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as conf
from django.http import HttpRequest
from django.test import Client as HttpClient

from trygg.core import record
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, User
from trygg.core.record import Shown

from .factories import ClientFactory, ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db

calls: list[tuple[int, int]] = []


def _visits(client: Client, user: User, request: HttpRequest) -> Shown | None:
    """A section only team leaders get, listing two made-up visits."""
    calls.append((client.pk, user.pk))
    if not User.objects.filter(pk=user.pk, role_assignments__role=Role.TEAM_LEADER).exists():
        return None
    return Shown(
        context={"visits": ["V-1", "V-2"]}, entries=["V-1", "V-2"], note="Visits this week."
    )


def _keys(client: Client, user: User, request: HttpRequest) -> Shown:
    return Shown(context={}, entries=[])


@pytest.fixture(autouse=True)
def sections(tmp_path, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Two sections of a test app, beside the real ones, and their templates."""
    (tmp_path / "visits.html").write_text(
        '<ul>{% for v in visits %}<li id="visit-{{ v }}">{{ v }} of {{ client.first_name }}'
        "</li>{% endfor %}</ul>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}
    ]
    saved = dict(record._sections)
    record.register("visits", "Visits", _visits, "visits.html", position=5, empty_text="No visits.")
    record.register("keys", "Keys", _keys, "visits.html", position=1, empty_text="No keys.")
    calls.clear()
    yield
    record._sections.clear()
    record._sections.update(saved)


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    return {
        "client": ClientFactory(provider=provider, team=team, first_name="Greta"),
        "leader": make_staff(Role.TEAM_LEADER, provider=provider, teams=[team]),
        "worker": make_staff(Role.CARE_WORKER, provider=provider, teams=[team]),
        "stranger": make_staff(Role.TEAM_LEADER, provider=ProviderFactory()),
        "auditor": make_staff(Role.AUDITOR, municipality=provider.municipality),
    }


def login(user: User) -> HttpClient:
    http = HttpClient()
    http.cookies[conf.LANGUAGE_COOKIE_NAME] = "en"
    http.force_login(user)
    return http


def page_of(user: User, client: Client) -> str:
    http = login(user)
    response = http.get(f"/clients/{client.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_sections_appear_in_their_order_with_what_the_app_gave_them(people) -> None:  # type: ignore[no-untyped-def]
    page = page_of(people["leader"], people["client"])
    assert page.index('id="record-keys"') < page.index('id="record-visits"')
    assert page.index('id="record-visits"') < page.index('id="services"')
    assert '<li id="visit-V-1">V-1 of Greta</li>' in page
    assert "Visits this week." in page
    assert "No keys." in page  # an empty section says so
    assert '<a href="#record-visits">Visits</a>' in page  # one tap to each part
    (row,) = AccessLogEntry.objects.filter(action=AccessAction.DETAIL)
    assert row.shown["visits"] == ["V-1", "V-2"]
    assert row.shown["keys"] == []


def test_a_section_that_is_not_for_the_user_is_left_out_and_not_logged(people) -> None:  # type: ignore[no-untyped-def]
    page = page_of(people["worker"], people["client"])
    assert 'id="record-visits"' not in page
    assert "V-1" not in page
    (row,) = AccessLogEntry.objects.filter(action=AccessAction.DETAIL)
    assert "visits" not in row.shown
    assert row.shown["keys"] == []


def test_no_section_is_asked_about_a_client_the_user_may_not_see(people) -> None:  # type: ignore[no-untyped-def]
    http = login(people["stranger"])
    assert http.get(f"/clients/{people['client'].pk}/").status_code == 404
    assert calls == []
    assert not AccessLogEntry.objects.exists()


def test_the_review_shows_what_each_section_showed(people) -> None:  # type: ignore[no-untyped-def]
    page_of(people["leader"], people["client"])
    http = login(people["auditor"])
    review = http.get("/audit/access-log/").content.decode()
    assert "Keys: none · Visits: V-1, V-2" in review


def test_a_section_no_longer_registered_is_still_named_in_the_review() -> None:
    described = record.describe({"zz_gone": ["X"], "visits": ["V-1"], "keys": []})
    assert described == [("Keys", []), ("Visits", ["V-1"]), ("zz_gone", ["X"])]
    assert record.describe(None) == []
