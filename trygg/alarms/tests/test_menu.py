"""Each role reaches its alarm page from the menu: those who go out get "Mina larm" (the
alarm phone) first, those who watch get "Larm" (the console)."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import User
from trygg.core.tests.factories import ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def _menu(user: User, path: str = "/") -> list[tuple[str, str, bool]]:
    http = HttpClient()
    http.force_login(user)
    page = http.get(path).content.decode()
    nav = page[page.index('<nav class="mainnav"') : page.index("</nav>")]
    return [
        (label, href, bool(current))
        for href, current, label in re.findall(
            r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav
        )
    ]


def test_a_care_worker_has_the_alarm_phone_second_in_the_menu_and_no_console() -> None:
    team = TeamFactory()
    worker = make_staff(Role.CARE_WORKER, provider=team.provider, teams=[team])
    menu = _menu(worker)
    assert menu[1][:2] == ("Mina larm", "/alarms/phone/")
    assert ("Larm", "/alarms/") not in [item[:2] for item in menu]


def test_the_alarm_operator_has_the_console_and_no_phone() -> None:
    operator = make_staff(Role.ALARM_OPERATOR, municipality=ProviderFactory().municipality)
    links = [item[:2] for item in _menu(operator)]
    assert ("Larm", "/alarms/") in links
    assert ("Mina larm", "/alarms/phone/") not in links


def test_night_staff_in_a_team_have_both_and_the_phone_page_marks_its_own_entry() -> None:
    team = TeamFactory()
    night = make_staff(Role.NIGHT_SUPERVISOR, provider=team.provider, teams=[team])
    menu = _menu(night, "/alarms/phone/")
    assert ("Mina larm", "/alarms/phone/", True) in menu
    assert ("Larm", "/alarms/", False) in menu
