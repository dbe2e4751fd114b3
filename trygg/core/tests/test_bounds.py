"""Out-of-range numbers and dates in query strings get a 4xx with a message, never a 500
(issue 12): a number past what the database holds, a date whose next day or whose
municipal midnight in UTC does not exist. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from trygg.core.constants import Role

from .world import World

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"
FIRST = "0001-01-01"
LAST = "9999-12-31"

# (persona, URL): one who may open the list, so the filter itself is what is judged.
CASES = [
    (Role.TEAM_LEADER, f"/api/v1/clients?offset={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/clients?team_id={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/clients?active_on={FIRST}"),
    (Role.TEAM_LEADER, f"/api/v1/clients?active_on={LAST}"),
    (Role.TEAM_LEADER, f"/api/v1/clients/{BIG}"),
    (Role.PROVIDER_MANAGER, f"/api/v1/devices/phones?offset={BIG}"),
    (Role.PROVIDER_MANAGER, f"/api/v1/devices/phones?provider_id={BIG}"),
    (Role.PROVIDER_MANAGER, f"/api/v1/devices/phones/{BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/servicedesk/orders?offset={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/servicedesk/orders/{BIG}"),
    (Role.AUDITOR, f"/api/v1/access-log?offset={BIG}"),
    (Role.AUDITOR, f"/api/v1/access-log?date_from={FIRST}"),
    (Role.AUDITOR, f"/api/v1/access-log?date_to={LAST}"),
    (Role.MUNICIPAL_ADMIN, f"/api/v1/support/call-outs?offset={BIG}"),
    (Role.MUNICIPAL_ADMIN, f"/api/v1/support/call-outs?municipality={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/support/who-to-call?at={LAST}"),
    (Role.TEAM_LEADER, f"/api/v1/support/who-to-call?at={FIRST}"),
    (Role.TEAM_LEADER, f"/api/v1/support/who-to-call?district={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/support/who-to-call?municipality={BIG}"),
    (Role.TEAM_LEADER, f"/api/v1/support/services?municipality={BIG}"),
    (Role.TEAM_LEADER, f"/clients/?team={BIG}"),
    (Role.PROVIDER_MANAGER, f"/devices/phones/?provider={BIG}"),
    (Role.TEAM_LEADER, f"/servicedesk/?order_type={BIG}"),
    (Role.AUDITOR, f"/audit/access-log/?date_from={FIRST}"),
    (Role.AUDITOR, f"/audit/access-log/?date_to={LAST}"),
]

# Numbers a page forgives (a page past the end shows the last one or is not found, an
# unknown municipality or district the user's own): they must simply not fail.
FORGIVEN = [
    (Role.TEAM_LEADER, f"/clients/?page={BIG}"),
    (Role.PROVIDER_MANAGER, f"/devices/phones/?page={BIG}"),
    (Role.TEAM_LEADER, f"/servicedesk/?page={BIG}"),
    (Role.AUDITOR, f"/audit/access-log/?older=1_{BIG}"),
    (Role.TEAM_LEADER, f"/support/?municipality={BIG}"),
    (Role.TEAM_LEADER, f"/support/?district={BIG}"),
]


@pytest.mark.parametrize(("persona", "url"), CASES)
def test_out_of_range_filters_are_a_4xx_with_a_message(
    world: World, persona: str, url: str
) -> None:
    response = get(world, persona, url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert response.content.strip()


def get(world: World, persona: str, url: str) -> Any:
    http = HttpClient(raise_request_exception=False)
    http.force_login(world.personas[persona])
    http.cookies["trygg_language"] = "en"
    return http.get(url)


@pytest.mark.parametrize(("persona", "url"), FORGIVEN)
def test_forgiven_numbers_do_not_fail(world: World, persona: str, url: str) -> None:
    assert get(world, persona, url).status_code < 500


def test_the_api_says_what_is_wrong(world: World) -> None:
    body = get(world, Role.TEAM_LEADER, f"/api/v1/clients?team_id={BIG}").json()
    assert "less than or equal to" in json.dumps(body["detail"])
    body = get(world, Role.AUDITOR, f"/api/v1/access-log?date_to={LAST}").json()
    assert "between 1900-01-01 and 2999-12-31" in json.dumps(body["detail"])


@pytest.mark.parametrize(
    ("persona", "url", "says"),
    [
        (Role.TEAM_LEADER, "/api/v1/clients?active_on=0", "YYYY-MM-DD"),
        (Role.AUDITOR, "/api/v1/access-log?date_from=1700000000", "YYYY-MM-DD"),
        (Role.TEAM_LEADER, "/api/v1/support/who-to-call?at=0", "ISO 8601"),
    ],
)
def test_the_api_takes_dates_as_iso_text_only(
    world: World, persona: str, url: str, says: str
) -> None:
    """Pydantic alone reads a number as seconds since 1970: `active_on=0` listed the clients
    active on 1 January 1970."""
    response = get(world, persona, url)
    assert response.status_code == 422
    assert says in json.dumps(response.json()["detail"])


def test_the_page_says_what_is_wrong_and_lists_nothing(world: World) -> None:
    response = get(world, Role.TEAM_LEADER, f"/clients/?team={BIG}")
    assert response.status_code == 400
    assert "The filter was not understood" in response.text
    assert "less than or equal to" in response.text
    assert not response.context["page"].object_list
    response = get(world, Role.AUDITOR, f"/audit/access-log/?date_from={FIRST}")
    assert "between 1900-01-01 and 2999-12-31" in response.text
