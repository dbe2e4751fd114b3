"""The key overview: managers, team leaders and the municipality see who holds keys to
which doors and revoke one at once; a provider never sees another's locks, keys or
clients, not even behind a shared entrance."""

from __future__ import annotations

import re

import pytest

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import make_staff
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey

from .conftest import DAY, Home, login

pytestmark = pytest.mark.django_db

OVERVIEW = "/locks/"


def main(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return html[html.index("<main") : html.index("</main>")]


def key_of(home: Home, holder: object, lock: object) -> DigitalKey:
    return DigitalKey.objects.get(holder=holder, lock=lock, ended_at__isnull=True)


@pytest.fixture
def keys(home: Home) -> None:
    reconcile_keys(now=DAY)


def test_a_manager_sees_their_doors_and_who_holds_keys(home: Home, keys: None) -> None:
    response = login(home.place.manager).get(OVERVIEW)
    assert response.status_code == 200
    page = main(response)
    assert f'id="lock-{home.lock.pk}"' in page
    assert f'id="lock-{home.other_lock.pk}"' not in page
    assert home.client.full_name in page
    # The full name: a generated surname may also be a key holder's ("Berit Carlsson").
    assert home.other_client.full_name not in page
    for holder in (home.worker, home.colleague, home.team_leader):
        assert f'id="key-{key_of(home, holder, home.lock).pk}"' in page
    assert f'id="key-{key_of(home, home.other_worker, home.other_lock).pk}"' not in page
    assert f"/locks/keys/{key_of(home, home.worker, home.lock).pk}/revoke/" in page
    logged = AccessLogEntry.objects.filter(user=home.place.manager, action=AccessAction.LIST)
    assert set(logged.values_list("client_id", flat=True)) == {home.client.pk}


def test_a_shared_entrance_shows_each_provider_only_its_own(home: Home, keys: None) -> None:
    entrance = home.new_lock(
        street="Storgatan 12", entrance_clients=[home.client, home.other_client]
    )
    reconcile_keys(now=DAY)
    page = main(login(home.place.manager).get(OVERVIEW))
    row = page[page.index(f'id="lock-{entrance.pk}"') :]
    row = row[: row.index("</tr>")]
    assert home.client.full_name in row
    assert home.other_client.full_name not in row
    assert f'id="key-{key_of(home, home.other_worker, entrance).pk}"' not in row
    assert f'id="key-{key_of(home, home.worker, entrance).pk}"' in row


def test_the_municipality_sees_every_lock_and_the_auditor_cannot_revoke(
    home: Home, keys: None
) -> None:
    tech_page = main(login(home.place.tech).get(OVERVIEW))
    assert f'id="lock-{home.lock.pk}"' in tech_page
    assert f'id="lock-{home.other_lock.pk}"' in tech_page
    assert "/revoke/" in tech_page
    auditor = login(home.place.auditor)
    auditor_page = main(auditor.get(OVERVIEW))
    assert f'id="lock-{home.other_lock.pk}"' in auditor_page
    assert "/revoke/" not in auditor_page
    key = key_of(home, home.worker, home.lock)
    assert auditor.get(f"/locks/keys/{key.pk}/revoke/").status_code == 403


def test_a_team_leader_sees_their_teams_keys(home: Home, keys: None) -> None:
    page = main(login(home.team_leader).get(OVERVIEW))
    assert f'id="key-{key_of(home, home.worker, home.lock).pk}"' in page
    assert f'id="lock-{home.other_lock.pk}"' not in page


@pytest.mark.parametrize("persona", ["worker", "alarm_operator"])
def test_others_have_no_key_overview(home: Home, keys: None, persona: str) -> None:
    user = getattr(home, persona, None) or getattr(home.place, persona)
    http = login(user)
    assert http.get(OVERVIEW).status_code == 403
    key = key_of(home, home.worker, home.lock)
    assert http.get(f"/locks/keys/{key.pk}/revoke/").status_code == 404
    assert 'href="/locks/"' not in http.get("/").content.decode()


def test_another_municipality_sees_none_of_ours(home: Home, keys: None) -> None:
    http = login(home.place.foreign_tech)
    page = main(http.get(OVERVIEW))
    assert not re.findall(r'id="lock-\d+"', page)
    key = key_of(home, home.worker, home.lock)
    assert http.get(f"/locks/keys/{key.pk}/revoke/").status_code == 404


def test_the_menu_offers_the_overview_to_managers(home: Home) -> None:
    assert 'href="/locks/"' in login(home.place.manager).get("/").content.decode()


def test_another_providers_key_is_not_found(home: Home, keys: None) -> None:
    other_key = key_of(home, home.other_worker, home.other_lock)
    http = login(home.place.manager)
    assert http.get(f"/locks/keys/{other_key.pk}/revoke/").status_code == 404
    response = http.post(f"/locks/keys/{other_key.pk}/revoke/", {"reason": "x"})
    assert response.status_code == 404
    assert DigitalKey.objects.get(pk=other_key.pk).ended_at is None


def test_revoking_on_the_page(home: Home, keys: None) -> None:
    key = key_of(home, home.worker, home.lock)
    http = login(home.place.manager)
    form = http.get(f"/locks/keys/{key.pk}/revoke/")
    assert form.status_code == 200
    assert home.worker.get_full_name() in main(form)
    empty = http.post(f"/locks/keys/{key.pk}/revoke/", {"reason": " "})
    assert empty.status_code == 400
    assert "Say why the key is revoked." in main(empty)
    done = http.post(f"/locks/keys/{key.pk}/revoke/", {"reason": "Telefonen stulen"}, follow=True)
    assert done.status_code == 200
    assert "is revoked" in done.content.decode()
    key.refresh_from_db()
    assert (key.end_reason, key.ended_by, key.end_note) == (
        "revoked",
        home.place.manager,
        "Telefonen stulen",
    )
    assert f'id="key-{key.pk}"' not in main(done)
    again = http.get(f"/locks/keys/{key.pk}/revoke/")
    assert "The key ended" in main(again)


def test_a_team_without_shifts_is_flagged(home: Home, keys: None) -> None:
    from trygg.core.tests.factories import TeamFactory

    from .conftest import new_client

    idle = TeamFactory(provider=home.place.provider, name="Utan pass")
    idle_lock = home.new_lock(client=new_client(home, team=idle))
    member = make_staff(Role.CARE_WORKER, provider=home.place.provider, teams=[idle])
    reconcile_keys(now=DAY)
    page = main(login(home.place.manager).get(OVERVIEW))
    groups = page.split('<details class="key-group"')[1:]
    (idle_group,) = [g for g in groups if f'id="key-{key_of(home, member, idle_lock).pk}"' in g]
    assert "no working hours" in idle_group
    (day_group,) = [g for g in groups if f'id="key-{key_of(home, home.worker, home.lock).pk}"' in g]
    assert "no working hours" not in day_group


def test_the_search_finds_by_holder_and_address_but_not_by_hidden_clients(
    home: Home, keys: None
) -> None:
    entrance = home.new_lock(
        street="Storgatan 12", entrance_clients=[home.client, home.other_client]
    )
    http = login(home.place.manager)
    by_holder = main(http.get(OVERVIEW, {"q": home.worker.last_name}))
    assert f'id="lock-{home.lock.pk}"' in by_holder
    by_street = main(http.get(OVERVIEW, {"q": "Storgatan"}))
    assert re.findall(r'id="lock-(\d+)"', by_street) == [str(entrance.pk)]
    hidden = main(http.get(OVERVIEW, {"q": home.other_client.last_name}))
    assert f'id="lock-{entrance.pk}"' not in hidden


def test_the_overview_reads_a_fixed_number_of_queries(
    home: Home, keys: None, django_assert_max_num_queries: object
) -> None:
    for _ in range(5):
        from .conftest import new_client

        home.new_lock(client=new_client(home))
    reconcile_keys(now=DAY)
    http = login(home.place.manager)
    http.get(OVERVIEW)
    with django_assert_max_num_queries(22):  # type: ignore[operator]
        http.get(OVERVIEW)


def test_the_key_api_lists_and_revokes(home: Home, keys: None) -> None:
    import json

    http = login(home.place.manager)
    body = http.get("/api/v1/locks/keys").json()
    holders = {item["holder_id"] for item in body["items"]}
    assert holders == {home.worker.pk, home.colleague.pk, home.team_leader.pk}
    key = key_of(home, home.worker, home.lock)
    response = http.post(
        f"/api/v1/locks/keys/{key.pk}/revoke",
        json.dumps({"reason": "Slutat"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["end_reason"] == "revoked"
    again = http.post(
        f"/api/v1/locks/keys/{key.pk}/revoke",
        json.dumps({"reason": "Igen"}),
        content_type="application/json",
    )
    assert again.status_code == 409
    lifted = http.post(f"/api/v1/locks/keys/{key.pk}/lift")
    assert lifted.status_code == 200
    other = key_of(home, home.other_worker, home.other_lock)
    assert http.post(f"/api/v1/locks/keys/{other.pk}/lift").status_code == 404
    assert login(home.worker).get("/api/v1/locks/keys").status_code == 403


def test_a_patrols_key_to_another_providers_client_stays_with_the_municipality(
    home: Home, keys: None
) -> None:
    home.alarm(home.night_worker, client=home.other_client)
    reconcile_keys(now=DAY)
    key = key_of(home, home.night_worker, home.other_lock)
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=home.place.other_provider)
    for manager in (home.place.manager, other_manager):
        ids = {i["id"] for i in login(manager).get("/api/v1/locks/keys").json()["items"]}
        assert key.pk not in ids
    ids = {i["id"] for i in login(home.place.tech).get("/api/v1/locks/keys").json()["items"]}
    assert key.pk in ids
