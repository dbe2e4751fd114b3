"""The new-order form's client picker (issue 12): no list of every client the user may
see, a search over their own clients (their teams' first, wider on purpose), each client
shown logged, and the chosen one still checked on the server."""

from __future__ import annotations

import pytest

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import ClientFactory, TeamFactory, make_staff
from trygg.servicedesk.models import Order

from .conftest import Desk, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_setup(desk: Desk) -> dict:
    own = TeamFactory(provider=desk.provider_a, name="Norr")
    other = TeamFactory(provider=desk.provider_a, name="Söder")
    leader = make_staff(
        Role.TEAM_LEADER,
        provider=desk.provider_a,
        teams=[own],
        first_name="Lea",
        last_name="Ledare",
    )
    mine = ClientFactory(provider=desk.provider_a, team=own, first_name="Märta", last_name="Lind")
    theirs = ClientFactory(
        provider=desk.provider_a, team=other, first_name="Maj", last_name="Lindqvist"
    )
    return {"leader": leader, "mine": mine, "theirs": theirs}


def form_url(desk: Desk) -> str:
    return f"/orders/new/{desk.type('nfc_tags').pk}/"


def search_url(desk: Desk) -> str:
    return f"/orders/new/{desk.type('nfc_tags').pk}/clients/"


def test_the_form_lists_no_clients_until_searched(desk: Desk, team_setup: dict) -> None:
    page = login(team_setup["leader"]).get(form_url(desk)).content.decode()
    assert "<select" not in page.split('name="client"')[0][-200:]
    # The form only: the header names the signed-in leader, whose generated surname may
    # contain a client's ("Lindgren" and "Lind").
    form = page[page.index('<main id="main">') :]
    for client in (team_setup["mine"], team_setup["theirs"], desk.client_a, desk.client_b):
        assert client.last_name not in form
    assert 'type="radio"' not in form  # no client to choose until a search
    assert 'hx-get="' + search_url(desk) in page
    assert not AccessLogEntry.objects.exists()


def test_the_search_finds_own_teams_first_and_logs_what_it_shows(
    desk: Desk, team_setup: dict
) -> None:
    http = login(team_setup["leader"])
    narrow = http.get(search_url(desk), {"field": "client", "q": "Lind"})
    assert narrow.status_code == 200
    text = narrow.content.decode()
    assert "Lind, Märta" in text
    assert "Lindqvist" not in text
    assert f'type="radio" name="client" value="{team_setup["mine"].pk}"' in text
    logged = AccessLogEntry.objects.get()
    assert (logged.client, logged.action) == (team_setup["mine"], AccessAction.LIST)

    wide = http.get(search_url(desk), {"field": "client", "q": "Lind", "wide": "1"})
    assert "Lindqvist, Maj" in wide.content.decode()
    assert AccessLogEntry.objects.filter(client=team_setup["theirs"]).count() == 1


def test_the_search_never_shows_another_providers_client(desk: Desk, team_setup: dict) -> None:
    http = login(team_setup["leader"])
    text = http.get(search_url(desk), {"field": "client", "q": "Beta", "wide": "1"}).content
    assert b"Beta" not in text.replace(b'value="Beta"', b"")
    assert not AccessLogEntry.objects.filter(client=desk.client_b).exists()


def test_one_letter_shows_nothing(desk: Desk, team_setup: dict) -> None:
    http = login(team_setup["leader"])
    text = http.get(search_url(desk), {"field": "client", "q": "L", "wide": "1"}).content
    assert b"radio" not in text
    assert not AccessLogEntry.objects.exists()


def test_a_bad_field_name_or_type_is_refused(desk: Desk, team_setup: dict) -> None:
    http = login(team_setup["leader"])
    assert http.get(search_url(desk), {"field": '"><x', "q": "Lind"}).status_code == 400
    assert http.get("/orders/new/999999/clients/", {"field": "client"}).status_code == 404


def test_the_chosen_client_is_still_checked_on_the_server(desk: Desk, team_setup: dict) -> None:
    http = login(team_setup["leader"])
    refused = http.post(form_url(desk), {"client": desk.client_b.pk, "count": 3})
    assert refused.status_code == 400
    assert "Beta" not in refused.content.decode()
    assert not Order.objects.exists()

    placed = http.post(form_url(desk), {"client": team_setup["theirs"].pk, "count": 3})
    assert placed.status_code == 302
    assert Order.objects.get().client == team_setup["theirs"]


def test_a_form_with_errors_keeps_the_chosen_client_and_logs_it(
    desk: Desk, team_setup: dict
) -> None:
    http = login(team_setup["leader"])
    response = http.post(form_url(desk), {"client": team_setup["mine"].pk, "count": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert f'value="{team_setup["mine"].pk}" checked' in text
    assert AccessLogEntry.objects.filter(client=team_setup["mine"]).count() == 1


def test_opening_an_order_about_a_client_is_a_read_of_that_client(
    desk: Desk, team_setup: dict
) -> None:
    """The order page shows the client and what was ordered for them: a deliberate read, so
    the auditor's flagged view shows it when the client is outside the reader's teams."""
    order = desk.place(
        team_setup["leader"],
        "nfc_tags",
        {"client": team_setup["theirs"].pk, "count": 1},
        provider=desk.provider_a,
    )
    before = AccessLogEntry.objects.count()
    assert login(team_setup["leader"]).get(f"/orders/{order.pk}/").status_code == 200
    assert AccessLogEntry.objects.count() == before + 1
    logged = AccessLogEntry.objects.latest("pk")
    assert (logged.client, logged.action) == (team_setup["theirs"], AccessAction.DETAIL)
    assert logged.outside_teams
    assert logged.shown == {"order": [order.number]}
