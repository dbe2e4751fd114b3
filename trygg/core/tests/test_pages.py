"""The pages render for the roles that may see them, without N+1 queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from trygg.core import access
from trygg.core.constants import Role
from trygg.core.models import Client

from .factories import (
    ClientFactory,
    ConsentFactory,
    GrantedServiceFactory,
    ProviderFactory,
    TeamFactory,
    make_staff,
)
from .world import NO_ROLE, World

pytestmark = pytest.mark.django_db

PERSONAS = [*Role.values, NO_ROLE]


def logged_in(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.force_login(user)
    return http


# Start page -----------------------------------------------------------------------------

CARDS = {
    Role.CARE_WORKER: {"active_clients", "team_clients"},
    Role.TEAM_LEADER: {"active_clients", "team_clients", "consents_due"},
    Role.NIGHT_SUPERVISOR: {"active_clients", "team_clients"},
    Role.PROVIDER_MANAGER: {"active_clients", "consents_due", "staff_count", "flagged_reads"},
    Role.ALARM_OPERATOR: {"active_clients"},
    Role.WELFARE_TECH: {"active_clients", "consents_due"},
    Role.MUNICIPAL_ADMIN: {"active_clients", "consents_due", "staff_count", "provider_count"},
    Role.AUDITOR: {"active_clients", "flagged_reads"},
    NO_ROLE: set(),
}
ALL_CARDS = set().union(*CARDS.values())


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_start_page_shows_the_cards_of_each_role(world: World, persona: str) -> None:
    response = logged_in(world.personas[persona]).get("/")
    assert response.status_code == 200
    shown = {card for card in ALL_CARDS if response.context.get(card) is not None}
    assert shown == CARDS[persona]


def test_the_start_page_counts_only_visible_clients(world: World) -> None:
    worker = logged_in(world.personas[Role.CARE_WORKER]).get("/")
    assert worker.context["active_clients"] == len(world.own_clients)
    assert worker.context["team_clients"] == 1
    operator = logged_in(world.personas[Role.ALARM_OPERATOR]).get("/")
    assert operator.context["active_clients"] == len(world.own_clients) + 1


def test_anonymous_is_sent_to_login_from_the_start_page() -> None:
    response = HttpClient().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# Clients --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != NO_ROLE])
def test_the_client_record_shows_services_consents_and_the_full_id(
    world: World, persona: str
) -> None:
    client = world.own.client
    response = logged_in(world.personas[persona]).get(f"/clients/{client.pk}/")
    assert response.status_code == 200
    assert "Personlig omv" in response.text
    assert world.own.consent.given_by in response.text
    assert client.display_national_id in response.text


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != NO_ROLE])
def test_the_door_code_button_shows_only_to_roles_that_may_reveal_it(
    world: World, persona: str
) -> None:
    user = world.personas[persona]
    client = world.own.client
    http = logged_in(user)
    page = http.get(f"/clients/{client.pk}/")
    allowed = access.can_reveal_door_code(user, client)
    assert (f"/clients/{client.pk}/door-code/" in page.text) == allowed
    assert client.door_code not in page.text
    reveal = http.post(f"/clients/{client.pk}/door-code/")
    assert reveal.status_code == (200 if allowed else 403)
    assert (client.door_code in reveal.text) == allowed


def test_door_codes_are_for_care_staff_and_the_municipalitys_operators(world: World) -> None:
    allowed = {
        persona
        for persona in PERSONAS
        if access.can_reveal_door_code(world.personas[persona], world.own.client)
    }
    assert allowed == {
        Role.CARE_WORKER,
        Role.TEAM_LEADER,
        Role.NIGHT_SUPERVISOR,
        Role.ALARM_OPERATOR,
        Role.WELFARE_TECH,
    }


def test_the_client_list_masks_national_ids(world: World) -> None:
    response = logged_in(world.personas[Role.CARE_WORKER]).get("/clients/")
    client = world.own.client
    assert client.masked_national_id in response.text
    assert client.national_id not in response.text
    assert client.display_national_id not in response.text


def test_a_record_without_services_or_consents_says_so(world: World) -> None:
    bare = ClientFactory(provider=world.own.provider, team=world.own.team)
    response = logged_in(world.personas[Role.TEAM_LEADER]).get(f"/clients/{bare.pk}/")
    assert response.status_code == 200
    assert response.context["services"].count() == 0
    assert response.context["consents"].count() == 0


def test_the_client_list_searches_by_any_form_of_national_id(world: World) -> None:
    http = logged_in(world.personas[Role.CARE_WORKER])
    nid = world.own.client.national_id
    for text in (nid, f"{nid[:8]}-{nid[8:]}", f"{nid[2:8]}-{nid[8:]}", nid[2:]):
        found = list(http.get("/clients/", {"q": text}).context["page"].object_list)
        assert found == [world.own.client], text


def test_the_htmx_request_gets_only_the_rows(world: World) -> None:
    response = logged_in(world.personas[Role.CARE_WORKER]).get("/clients/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert world.own.client.last_name in response.text


# No N+1 ---------------------------------------------------------------------------------


def _queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    ["/clients/", "/staff/", "/teams/", "/providers/", "/audit/access-log/", "/api/v1/clients"],
)
def test_list_pages_cost_the_same_queries_for_5_or_50_rows(url: str) -> None:
    provider = ProviderFactory()
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    http = logged_in(manager)

    def grow(n: int) -> None:
        for _ in range(n):
            team = TeamFactory(provider=provider)
            client = ClientFactory(provider=provider, team=team)
            GrantedServiceFactory(client=client)
            ConsentFactory(client=client)
            make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
        # Rows for the access-log review: the reads the manager's list pages made.
        logged_in(manager).get("/clients/")

    grow(5)
    few = _queries(http, url)
    grow(45)
    many = _queries(http, url)
    assert many == few, f"{url}: {few} queries for 5 rows, {many} for 50"


def test_the_client_list_of_50_stays_under_a_fixed_budget(
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    ClientFactory.create_batch(50, provider=provider, team=team)
    http = logged_in(make_staff(Role.CARE_WORKER, provider=provider, teams=[team]))
    # 13: the access-log write is two INSERTs, the rows and their readers' providers.
    with django_assert_max_num_queries(13):
        response = http.get("/clients/")
    assert len(response.context["page"].object_list) == 50


# The admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != Role.MUNICIPAL_ADMIN])
def test_the_admin_is_closed_to_everyone_but_municipal_administrators(
    world: World, persona: str
) -> None:
    response = logged_in(world.personas[persona]).get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) < 3


def test_anonymous_is_sent_from_the_admin_to_the_one_login_page() -> None:
    response = HttpClient().get("/admin/core/provider/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert response.status_code == 200


def test_the_admin_shows_only_the_administrators_municipality(world: World) -> None:
    http = logged_in(world.personas[Role.MUNICIPAL_ADMIN])
    assert http.get("/admin/").status_code == 200
    providers = http.get("/admin/core/provider/")
    assert world.own.provider.name in providers.text
    assert world.neighbour.provider.name in providers.text
    assert world.remote.provider.name not in providers.text
    teams = http.get("/admin/core/team/")
    assert world.own.team.name in teams.text
    assert world.remote.team.name not in teams.text
    assert world.remote.provider.name not in teams.text
    users = http.get("/admin/core/user/")
    assert world.own.staff.last_name in users.text
    assert world.remote.staff.last_name not in users.text
    add_team = http.get("/admin/core/team/add/")
    assert world.remote.provider.name not in add_team.text
    assert http.get(f"/admin/core/provider/{world.remote.provider.pk}/change/").status_code == 302


def test_clients_are_not_in_the_admin(world: World) -> None:
    http = logged_in(world.personas[Role.MUNICIPAL_ADMIN])
    assert http.get("/admin/core/client/").status_code == 404
    assert Client not in __import__("trygg.core.admin", fromlist=["site"]).site._registry


def test_a_search_counts_its_matches_and_pages_through_them() -> None:
    provider = ProviderFactory()
    team = TeamFactory(provider=provider)
    ClientFactory.create_batch(55, provider=provider, team=team, last_name="Ottosson")
    ClientFactory.create_batch(3, provider=provider, team=team, last_name="Berg")
    http = logged_in(make_staff(Role.CARE_WORKER, provider=provider, teams=[team]))
    pages = [http.get("/clients/", {"q": "ottosson", "page": n}).context["page"] for n in (1, 2, 9)]
    assert [len(p.object_list) for p in pages] == [50, 5, 5]
    assert [p.number for p in pages] == [1, 2, 2]
    assert {p.paginator.count for p in pages} == {55}
    names = {c.last_name for p in pages for c in p.object_list}
    assert names == {"Ottosson"}
    assert http.get("/clients/", {"q": "Zetterlund"}).context["page"].paginator.count == 0
