"""The banner shows announced outages to their audience: managers from 14 days ahead,
users from 7, everyone while it is under way; in one query or two."""

from __future__ import annotations

import datetime as dt

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
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.utils.functional import empty

    from trygg.core.access import scope_for
    from trygg.outages.context_processors import outage_banners

    for days in (1, 2, 3, 10):
        make_outage(world.municipality, in_days=days)
    request = RequestFactory().get("/")
    request.user = world.manager
    request.session = SessionStore()  # loaded already on a real page, as the user is
    scope_for(world.manager)  # the navigation has loaded it already on a real page
    banners = outage_banners(request)["outage_banners"]
    assert banners._wrapped is empty  # nothing is read until the template asks
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        assert len(list(banners)) == 4
        assert [o.municipality.code for o in banners] == ["9100"] * 4


def _hide(http: HttpClient, outage_pk: int, next_url: str = "/clients/") -> str:
    response = http.post(f"/outages/{outage_pk}/hide-banner/", {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def test_a_person_can_close_the_banner_and_it_stays_closed(world: World) -> None:
    outage = make_outage(world.municipality, in_days=5, title="Besöksappen uppgraderas")
    http = HttpClient()
    http.force_login(world.care_worker_a)
    assert "Besöksappen uppgraderas" in http.get("/").text
    assert _hide(http, outage.pk) == "/clients/"  # back where they were
    assert "Besöksappen uppgraderas" not in http.get("/").text
    other = HttpClient()
    other.force_login(world.care_worker_a)  # another session, another phone: still shown
    assert "Besöksappen uppgraderas" in other.get("/").text


def test_a_closed_banner_comes_back_for_news(world: World) -> None:
    outage = make_outage(world.municipality, in_days=5, title="Besöksappen uppgraderas")
    http = HttpClient()
    http.force_login(world.care_worker_a)
    _hide(http, outage.pk)
    make_outage(world.municipality, in_days=6, title="Låsen uppgraderas")
    assert "Låsen uppgraderas" in http.get("/").text  # a new outage
    outage.starts_at += dt.timedelta(hours=2)  # moved to another time
    outage.ends_at += dt.timedelta(hours=2)
    outage.save(update_fields=["starts_at", "ends_at"])
    assert "Besöksappen uppgraderas" in http.get("/").text
    _hide(http, outage.pk)
    outage.status = OutageStatus.IN_PROGRESS  # under way now
    outage.save(update_fields=["status"])
    assert "Besöksappen uppgraderas" in http.get("/").text


def test_closing_goes_nowhere_else_and_closes_only_what_was_shown(world: World) -> None:
    unseen = make_outage(world.municipality, in_days=10, title="Besöksappen uppgraderas")
    http = HttpClient()
    http.force_login(world.care_worker_a)
    assert _hide(http, unseen.pk, "https://elsewhere.example/") == "/"
    assert http.session.get("outages.hidden_banners") is None  # not shown to users yet
    assert http.get(f"/outages/{unseen.pk}/hide-banner/").status_code == 405
