"""A team's and a provider's page link a person's name only where the viewer may open that
person's page: the alarm centre and the welfare-technology team see a provider's teams and
managers by name, and are not sent to a "not found" page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import User

from .factories import ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def login(user: User) -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    http.force_login(user)
    return http


def main_of(http: HttpClient, path: str) -> str:
    response = http.get(path)
    assert response.status_code == 200
    return response.content.decode().split("<main", 1)[1]


def staff_links(html: str) -> list[str]:
    return re.findall(r'href="(/staff/\d+/)"', html)


@pytest.mark.parametrize("role", [Role.ALARM_OPERATOR, Role.WELFARE_TECH])
def test_municipal_staff_see_names_without_dead_links(role: Role) -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team], last_name="Ekholm")
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider, last_name="Forsell")
    viewer = login(make_staff(role, municipality=provider.municipality))

    team_page = main_of(viewer, f"/teams/{team.pk}/")
    assert worker.get_full_name() in team_page
    assert f"/staff/{worker.pk}/" not in team_page
    provider_page = main_of(viewer, f"/providers/{provider.pk}/")
    assert manager.get_full_name() in provider_page
    assert f"/staff/{manager.pk}/" not in provider_page


def test_the_provider_manager_still_opens_their_staff_from_the_team() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    worker = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    http = login(manager)
    links = staff_links(main_of(http, f"/teams/{team.pk}/"))
    assert f"/staff/{worker.pk}/" in links
    assert f"/staff/{manager.pk}/" in staff_links(main_of(http, f"/providers/{provider.pk}/"))
    for link in links:
        assert http.get(link).status_code == 200
