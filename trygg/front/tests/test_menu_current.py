"""The phone's folded menu names the page the person is on ("Meny · Mina larm"): the
entry holding the page, "Start" on the start page only, and none on a page no entry holds,
never a wrong one."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import User
from trygg.core.tests.factories import ClientFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def _here(user: User, path: str) -> list[str]:
    http = HttpClient()
    http.force_login(user)
    page = http.get(path)
    assert page.status_code == 200
    nav = page.text[page.text.index('<nav class="mainnav"') : page.text.index("</nav>")]
    return re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', nav)


def test_start_is_marked_on_the_start_page_only() -> None:
    team = TeamFactory()
    leader = make_staff(Role.TEAM_LEADER, provider=team.provider, teams=[team])
    client = ClientFactory(provider=team.provider, team=team)
    assert _here(leader, "/") == ["Start"]
    assert _here(leader, "/clients/") == ["Brukare"]
    assert _here(leader, f"/clients/{client.pk}/") == ["Brukare"]
    # The alarm phone's own entry, not the console's at /alarms/.
    assert _here(leader, "/alarms/phone/") == ["Mina larm"]
    # A page no menu entry holds marks none (it used to say "Start").
    assert _here(leader, "/notifications/") == []
