"""A care worker's client list opens on their own teams; searching all of the provider's
clients is a deliberate step (issue 12). Names in a list are logged but never flagged: the
auditor's flagged view holds records opened outside one's work, not list renders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from trygg.core.constants import AccessAction, Role
from trygg.core.models import FLAGGED_FOR_REVIEW, AccessLogEntry, Client, Team, User
from trygg.core.services import log_client_access
from trygg.lib.national_ids import make_swedish

from .factories import ClientFactory, ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def login(user: User) -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    http.force_login(user)
    return http


def listed(html: str) -> set[int]:
    """The clients whose rows the list shows, by row id."""
    return {
        int(part.split('"')[0]) for part in html.split('<tr id="client-')[1:] if part[0].isdigit()
    }


def rows(user: User, action: str | None = None) -> list[AccessLogEntry]:
    queryset = AccessLogEntry.objects.filter(user=user).order_by("id")
    return list(queryset.filter(action=action) if action else queryset)


class World:
    def __init__(self) -> None:
        self.provider = ProviderFactory()
        self.north: Team = TeamFactory(provider=self.provider, name="Norr")
        self.south: Team = TeamFactory(provider=self.provider, name="Söder")
        self.mine = ClientFactory.create_batch(
            3, provider=self.provider, team=self.north, last_name="Nordin"
        )
        self.theirs = ClientFactory.create_batch(
            4, provider=self.provider, team=self.south, last_name="Sundqvist"
        )
        self.other_provider = ClientFactory(
            provider=ProviderFactory(municipality=self.provider.municipality),
            last_name="Sundqvist",
        )
        self.worker = make_staff(Role.CARE_WORKER, provider=self.provider, teams=[self.north])
        self.leader = make_staff(Role.TEAM_LEADER, provider=self.provider, teams=[self.north])
        self.auditor = make_staff(Role.AUDITOR, municipality=self.provider.municipality)

    def pks(self, clients: list[Client]) -> set[int]:
        return {c.pk for c in clients}


@pytest.fixture
def world() -> World:
    return World()


def test_a_care_workers_list_opens_on_their_own_teams_clients(world: World) -> None:
    html = login(world.worker).get("/clients/").content.decode()
    assert listed(html) == world.pks(world.mine)
    assert "Search all clients" in html
    assert 'aria-current="page">My teams' in html
    assert "The clients of your team: Norr." in html
    # A search without widening stays in the teams.
    found = login(world.worker).get("/clients/", {"q": "Sundqvist"}).content.decode()
    assert listed(found) == set()


def test_searching_all_clients_is_a_step_of_its_own_and_needs_a_search(world: World) -> None:
    http = login(world.worker)
    empty = http.get("/clients/", {"wide": "1"}).content.decode()
    assert listed(empty) == set()
    assert "Type at least 2 characters" in empty
    assert rows(world.worker) == []  # nothing shown, nothing logged

    found = http.get("/clients/", {"wide": "1", "q": "Sundqvist"}).content.decode()
    assert listed(found) == world.pks(world.theirs)  # never another provider's
    logged = rows(world.worker)
    assert sorted(r.client_id for r in logged) == sorted(world.pks(world.theirs))
    assert {(r.action, r.path) for r in logged} == {
        (AccessAction.LIST, "/clients/?wide=1&q=Sundqvist")
    }
    assert not any(r.flagged or r.outside_teams for r in logged)


def test_a_search_by_national_id_is_logged_as_such_without_the_id(world: World) -> None:
    national_id = make_swedish(dt.date(1931, 3, 4), 17)
    target = ClientFactory(provider=world.provider, team=world.south, national_id=national_id)
    html = login(world.worker).get("/clients/", {"wide": "1", "q": national_id}).content.decode()
    assert listed(html) == {target.pk}
    (row,) = rows(world.worker)
    assert row.action == AccessAction.SEARCH
    assert row.path == "/clients/?wide=1&q=[id]"
    assert national_id not in row.path
    assert national_id[2:8] not in row.path
    assert not row.flagged


def test_opening_a_record_outside_ones_teams_is_flagged_and_reviewed(world: World) -> None:
    http = login(world.worker)
    http.get("/clients/", {"wide": "1", "q": "Sundqvist"})
    outside = world.theirs[0]
    http.get(f"/clients/{outside.pk}/")
    http.get(f"/clients/{world.mine[0].pk}/")

    (opened,) = rows(world.worker, AccessAction.DETAIL)[:1]
    assert (opened.client_id, opened.outside_teams, opened.flagged) == (outside.pk, True, True)

    review = login(world.auditor)
    for flag in ("any", "outside"):
        page = review.get("/audit/access-log/", {"flagged": flag}).content.decode()
        main = page[page.index("<main") :]
        assert main.count("<tr>") - 1 == 1, flag  # the one record opened, no list row
        assert f"/clients/{outside.pk}/" in main
        assert "/clients/?wide=1" not in main
    everything = review.get("/audit/access-log/").content.decode()
    assert "/clients/?wide=1&amp;q=Sundqvist" in everything  # still in the log


def test_list_rows_written_flagged_before_the_rule_stay_out_of_the_flagged_view(
    world: World,
) -> None:
    """The log is append-only: a list's rows once flagged "outside own teams" stay so, and
    the review leaves them out (also from the start page's count)."""
    for client in world.theirs:
        AccessLogEntry.objects.create(
            user=world.worker,
            client=client,
            municipality_id=client.municipality_id,
            action=AccessAction.LIST,
            path="/clients/",
            outside_teams=True,
        )
    opened = log_client_access(
        world.worker, [world.theirs[0]], AccessAction.DETAIL, path="/clients/x/"
    )
    assert list(AccessLogEntry.objects.filter(FLAGGED_FOR_REVIEW)) == opened
    page = login(world.auditor).get("/audit/access-log/", {"flagged": "any"}).content.decode()
    main = page[page.index("<main") :]
    assert main.count("<tr>") - 1 == 1
    everything = login(world.auditor).get("/audit/access-log/").content.decode()
    main = everything[everything.index("<main") :]
    assert main.count("Outside own teams</span>") == 1  # the old list rows show no flag
    home = login(world.auditor).get("/").content.decode()
    card = home[home.index("flagged=any&amp;date_from=") :]
    assert card[card.index('<div class="stat">') :].startswith('<div class="stat">1</div>')


def test_api_lists_follow_the_same_rule(world: World) -> None:
    national_id = make_swedish(dt.date(1931, 3, 4), 27)
    ClientFactory(provider=world.provider, team=world.south, national_id=national_id)
    http = login(world.worker)
    assert http.get("/api/v1/clients").status_code == 200
    assert http.get("/api/v1/clients", {"q": national_id}).status_code == 200
    logged = rows(world.worker, AccessAction.API_LIST)
    assert logged
    assert any(r.outside_teams is False and r.client.team_id == world.south.pk for r in logged)
    assert not any(r.flagged or r.outside_teams for r in logged)
    assert all(national_id not in r.path for r in logged)
    assert "/api/v1/clients?q=[id]" in {r.path for r in logged}


def test_team_leaders_and_managers_keep_the_whole_provider(world: World) -> None:
    everyone = world.pks(world.mine) | world.pks(world.theirs)
    manager = make_staff(Role.PROVIDER_MANAGER, provider=world.provider)
    for user in (world.leader, manager):
        html = login(user).get("/clients/").content.decode()
        assert listed(html) == everyone
        assert "Search all clients" not in html
        assert all(not r.flagged for r in rows(user))


def test_night_staff_open_on_their_teams_and_a_worker_without_teams_on_everyone(
    world: World,
) -> None:
    night = make_staff(Role.NIGHT_SUPERVISOR, provider=world.provider, teams=[world.south])
    assert listed(login(night).get("/clients/").content.decode()) == world.pks(world.theirs)
    teamless = make_staff(Role.CARE_WORKER, provider=world.provider)
    html = login(teamless).get("/clients/").content.decode()
    assert listed(html) == world.pks(world.mine) | world.pks(world.theirs)
    assert "Search all clients" not in html


def test_a_care_worker_who_also_leads_a_team_keeps_the_wider_list(world: World) -> None:
    from trygg.core.models import RoleAssignment

    RoleAssignment.objects.create(
        user=world.worker,
        role=Role.TEAM_LEADER,
        municipality=world.provider.municipality,
        provider=world.provider,
    )
    html = login(world.worker).get("/clients/").content.decode()
    assert listed(html) == world.pks(world.mine) | world.pks(world.theirs)


def test_with_several_teams_the_team_filter_offers_only_ones_own(world: World) -> None:
    third = TeamFactory(provider=world.provider, name="Väster")
    both = make_staff(Role.CARE_WORKER, provider=world.provider, teams=[world.north, third])
    html = login(both).get("/clients/").content.decode()
    start = html.index('<form class="filters"')
    form = html[start : html.index("</form>", start)]
    assert "Norr" in form
    assert "Väster" in form
    assert "Söder" not in form
    assert "The clients of your teams: Norr, Väster." in html or (
        "The clients of your teams: Väster, Norr." in html
    )
    only_mine = login(both).get("/clients/", {"team": world.south.pk}).content.decode()
    assert listed(only_mine) == set()  # another team's roster is not a filter away
