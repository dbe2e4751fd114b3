"""The banner shows announced outages to their audience: managers from 14 days ahead,
users from 7, everyone while it is under way; in one query or two."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from trygg.core.models import User
from trygg.outages.constants import OutageStatus, RuleAudience, System
from trygg.outages.models import NoticeRule

from .conftest import World
from .helpers import make_outage


def _page(user: User) -> str:
    http = HttpClient()
    http.force_login(user)
    response = http.get("/")
    assert response.status_code == 200
    return response.text


def test_managers_see_it_ten_days_ahead_users_do_not(world: World) -> None:
    make_outage(world.municipality, in_days=10, title="Besöksappen uppgraderas")
    for manager in (world.manager, world.team_leader_a, world.welfare_tech, world.admin):
        assert "Besöksappen uppgraderas" in _page(manager), manager
    for user in (world.care_worker, world.care_worker_a, world.operator):
        assert "Besöksappen uppgraderas" not in _page(user), user


def test_users_see_it_within_seven_days(world: World) -> None:
    make_outage(world.municipality, in_days=5, title="Besöksappen uppgraderas")
    assert "Besöksappen uppgraderas" in _page(world.care_worker_a)


def test_nobody_sees_it_three_weeks_ahead(world: World) -> None:
    make_outage(world.municipality, in_days=21, title="Besöksappen uppgraderas")
    assert "Besöksappen uppgraderas" not in _page(world.manager)


def test_everyone_sees_an_outage_under_way(world: World) -> None:
    make_outage(
        world.municipality,
        in_days=-0.05,
        status=OutageStatus.IN_PROGRESS,
        system=System.LOCKS,
        title="Låsen svarar inte",
    )
    page = _page(world.care_worker)
    assert "Låsen svarar inte" in page
    assert "msg-error" in page


@pytest.mark.parametrize(
    "status", [OutageStatus.DRAFT, OutageStatus.CANCELLED, OutageStatus.COMPLETED]
)
def test_drafts_and_finished_outages_show_no_banner(world: World, status: OutageStatus) -> None:
    make_outage(world.municipality, in_days=2, status=status, title="Syns inte")
    assert "Syns inte" not in _page(world.manager)


def test_another_municipality_sees_nothing(world: World) -> None:
    make_outage(world.municipality, in_days=2, title="Besöksappen uppgraderas")
    assert "Besöksappen uppgraderas" not in _page(world.outsider)


def test_the_municipality_rules_set_the_horizon(world: World) -> None:
    NoticeRule.objects.create(
        municipality=world.municipality, audience=RuleAudience.USERS, min_days=3
    )
    make_outage(world.municipality, in_days=5, title="Besöksappen uppgraderas")
    assert "Besöksappen uppgraderas" not in _page(world.care_worker)


def test_it_costs_at_most_two_queries(world: World, django_assert_max_num_queries: object) -> None:
    from django.test import RequestFactory
    from django.utils.functional import empty

    from trygg.core.access import scope_for
    from trygg.outages.context_processors import outage_banners

    for days in (1, 2, 3, 10):
        make_outage(world.municipality, in_days=days)
    request = RequestFactory().get("/")
    request.user = world.manager
    scope_for(world.manager)  # the navigation has loaded it already on a real page
    banners = outage_banners(request)["outage_banners"]
    assert banners._wrapped is empty  # nothing is read until the template asks
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        assert len(list(banners)) == 4
        assert [o.municipality.code for o in banners] == ["9100"] * 4
