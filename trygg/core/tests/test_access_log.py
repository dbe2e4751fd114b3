"""Every read of a client's personal data writes one access-log row, flagged for review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core.access import forget_scope
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, AccessLogReaderProvider, RoleAssignment
from trygg.core.services import log_client_access
from trygg.lib.national_ids import make_swedish

from .factories import ClientFactory, ProviderFactory, TeamFactory, make_staff

pytestmark = pytest.mark.django_db


def login(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    return ProviderFactory()


@pytest.fixture
def team(provider):  # type: ignore[no-untyped-def]
    return TeamFactory(provider=provider)


@pytest.fixture
def worker(provider, team):  # type: ignore[no-untyped-def]
    return make_staff(
        Role.CARE_WORKER,
        provider=provider,
        teams=[team],
        first_name="Wilma",
        last_name="Vardsson",
        national_id=make_swedish(dt.date(1980, 5, 5), 42),
    )


def rows(action: AccessAction | None = None) -> list[AccessLogEntry]:
    queryset = AccessLogEntry.objects.order_by("id")
    return list(queryset.filter(action=action) if action else queryset)


def reader_providers(entry: AccessLogEntry) -> list[int]:
    return sorted(
        AccessLogReaderProvider.objects.filter(entry=entry).values_list("provider_id", flat=True)
    )


# Every read writes a row ----------------------------------------------------------------


def test_the_list_page_writes_one_row_per_listed_client(provider, team, worker) -> None:
    listed = ClientFactory.create_batch(3, provider=provider, team=team)
    ClientFactory(provider=ProviderFactory(municipality=provider.municipality))

    login(worker).get("/clients/", REMOTE_ADDR="10.0.0.7")

    logged = rows(AccessAction.LIST)
    assert sorted(r.client_id for r in logged) == sorted(c.pk for c in listed)
    assert {(r.user_id, r.path, r.remote_addr) for r in logged} == {
        (worker.pk, "/clients/", "10.0.0.7")
    }


def test_only_the_clients_on_the_page_shown_are_logged(provider, team, worker) -> None:
    ClientFactory.create_batch(55, provider=provider, team=team)
    login(worker).get("/clients/", {"page": 2})
    assert len(rows(AccessAction.LIST)) == 5


def test_a_search_that_finds_nobody_writes_nothing(provider, worker) -> None:
    ClientFactory(provider=provider, last_name="Andersson")
    login(worker).get("/clients/", {"q": "Zetterlund"})
    assert rows() == []


def test_opening_a_record_writes_a_detail_row(provider, team, worker) -> None:
    client = ClientFactory(provider=provider, team=team)
    login(worker).get(f"/clients/{client.pk}/")
    (row,) = rows()
    assert (row.action, row.client, row.path) == (
        AccessAction.DETAIL,
        client,
        f"/clients/{client.pk}/",
    )


def test_revealing_the_door_code_writes_its_own_row(provider, team, worker) -> None:
    client = ClientFactory(provider=provider, team=team, door_code="8642")
    response = login(worker).post(f"/clients/{client.pk}/door-code/")
    assert "8642" in response.text
    assert response["Cache-Control"] == "no-store"
    assert [r.action for r in rows()] == [AccessAction.DOOR_CODE]


def test_a_refused_door_code_writes_nothing(provider, team) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    client = ClientFactory(provider=provider, team=team)
    assert login(manager).post(f"/clients/{client.pk}/door-code/").status_code == 403
    assert rows() == []


def test_the_api_logs_lists_and_records(provider, team, worker) -> None:
    clients = ClientFactory.create_batch(2, provider=provider, team=team)
    http = login(worker)
    assert http.get("/api/v1/clients").status_code == 200
    assert sorted(r.client_id for r in rows(AccessAction.API_LIST)) == sorted(c.pk for c in clients)
    assert http.get(f"/api/v1/clients/{clients[0].pk}").status_code == 200
    (detail,) = rows(AccessAction.API_DETAIL)
    assert detail.client_id == clients[0].pk


def test_a_client_one_may_not_see_is_not_logged_as_read(provider, worker) -> None:
    other = ClientFactory(provider=ProviderFactory(municipality=provider.municipality))
    http = login(worker)
    assert http.get(f"/clients/{other.pk}/").status_code == 404
    assert http.get(f"/api/v1/clients/{other.pk}").status_code == 404
    assert rows() == []


# Flags ----------------------------------------------------------------------------------


def test_it_flags_a_read_of_ones_own_record(provider, team, worker) -> None:
    me = ClientFactory(provider=provider, team=team, national_id=worker.national_id)
    login(worker).get(f"/clients/{me.pk}/")
    (row,) = rows()
    assert (row.own_record, row.colleague_record, row.outside_teams) == (True, False, False)
    assert row.flagged


def test_it_flags_a_read_of_a_colleagues_record(provider, team, worker) -> None:
    colleague = make_staff(
        Role.CARE_WORKER, provider=provider, national_id=make_swedish(dt.date(1975, 1, 2), 7)
    )
    client = ClientFactory(provider=provider, team=team, national_id=colleague.national_id)
    login(worker).get(f"/clients/{client.pk}/")
    (row,) = rows()
    assert (row.own_record, row.colleague_record, row.outside_teams) == (False, True, False)


def test_a_colleague_at_another_provider_is_still_a_colleague(provider, team, worker) -> None:
    elsewhere = make_staff(
        Role.CARE_WORKER,
        provider=ProviderFactory(municipality=provider.municipality),
        national_id=make_swedish(dt.date(1975, 1, 2), 8),
    )
    client = ClientFactory(provider=provider, team=team, national_id=elsewhere.national_id)
    login(worker).get(f"/clients/{client.pk}/")
    assert rows()[0].colleague_record


def test_it_flags_a_read_outside_the_readers_teams(provider, team, worker) -> None:
    elsewhere = ClientFactory(provider=provider, team=TeamFactory(provider=provider))
    teamless = ClientFactory(provider=provider, team=None)
    in_team = ClientFactory(provider=provider, team=team)
    for client in (elsewhere, teamless, in_team):
        login(worker).get(f"/clients/{client.pk}/")
    flags = {r.client_id: r.outside_teams for r in rows()}
    assert flags == {elsewhere.pk: True, teamless.pk: True, in_team.pk: False}


def test_a_reader_without_teams_gets_no_flag(provider, team) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    operator = make_staff(Role.ALARM_OPERATOR, municipality=provider.municipality)
    client = ClientFactory(provider=provider, team=team)
    login(manager).get(f"/clients/{client.pk}/")
    login(operator).get(f"/clients/{client.pk}/")
    assert [r.flagged for r in rows()] == [False, False]
    assert [reader_providers(r) for r in rows()] == [[provider.pk], []]


def test_each_row_carries_the_clients_municipality_and_all_the_readers_providers(
    provider, team
) -> None:
    other = ProviderFactory(municipality=provider.municipality)
    both = make_staff(Role.CARE_WORKER, provider=provider, teams=[team])
    make_staff_also_at(both, other)
    clients = ClientFactory.create_batch(2, provider=provider, team=team)
    entries = log_client_access(both, clients, AccessAction.LIST, path="/clients/")
    assert [e.municipality_id for e in rows()] == [provider.municipality_id] * 2
    assert [reader_providers(e) for e in entries] == [sorted([provider.pk, other.pk])] * 2


def make_staff_also_at(user, provider) -> None:  # type: ignore[no-untyped-def]
    """Give a staff member a second role, at another provider."""
    RoleAssignment.objects.create(
        user=user, role=Role.CARE_WORKER, municipality=provider.municipality, provider=provider
    )
    forget_scope(user)


def test_staff_without_a_national_id_never_match_a_client(provider, team) -> None:
    blank = make_staff(Role.TEAM_LEADER, provider=provider, teams=[team], national_id="")
    make_staff(Role.CARE_WORKER, provider=provider, national_id="")
    client = ClientFactory(provider=provider, team=team)
    login(blank).get(f"/clients/{client.pk}/")
    assert not rows()[0].flagged


# Append-only ----------------------------------------------------------------------------


@pytest.fixture
def entry(provider, team, worker) -> AccessLogEntry:
    client = ClientFactory(provider=provider, team=team)
    (row,) = log_client_access(worker, [client], AccessAction.DETAIL, path="/x/")
    return row


def test_the_model_refuses_to_change_or_delete_a_row(entry) -> None:
    entry.path = "/changed/"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(path="/changed/")
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    assert AccessLogEntry.objects.get(pk=entry.pk).path == "/x/"


def test_the_database_refuses_a_raw_update(entry) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_accesslogentry SET path = '/changed/' WHERE id = %s", [entry.pk]
        )
    assert AccessLogEntry.objects.get(pk=entry.pk).path == "/x/"


def test_the_readers_providers_cannot_be_changed_either(entry, provider) -> None:
    (stamp,) = AccessLogReaderProvider.objects.filter(entry=entry)
    other = ProviderFactory(municipality=provider.municipality)
    stamp.provider = other
    with pytest.raises(PermissionError):
        stamp.save()
    with pytest.raises(PermissionError):
        stamp.delete()
    with pytest.raises(PermissionError):
        AccessLogReaderProvider.objects.filter(entry=entry).update(provider=other)
    with pytest.raises(PermissionError):
        AccessLogReaderProvider.objects.filter(entry=entry).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_accesslogreaderprovider SET provider_id = %s WHERE entry_id = %s",
            [other.pk, entry.pk],
        )
    assert reader_providers(entry) == [provider.pk]


def test_the_database_refuses_a_raw_delete_on_postgresql(entry) -> None:
    # SQLite keeps DELETE open because Django's test flush empties tables with it; the
    # application refuses it there (above). PostgreSQL refuses it in the database.
    with transaction.atomic(), connection.cursor() as cursor:
        sid = transaction.savepoint()
        try:
            cursor.execute("DELETE FROM core_accesslogentry WHERE id = %s", [entry.pk])
            refused = False
        except DatabaseError:
            refused = True
        transaction.savepoint_rollback(sid)
    assert refused == (connection.vendor == "postgresql")


# The review page ------------------------------------------------------------------------


@pytest.fixture
def reads(provider, team, worker):  # type: ignore[no-untyped-def]
    """Reads by this provider's worker and by another provider's, on varied days."""
    municipality = provider.municipality
    other = ProviderFactory(municipality=municipality)
    stranger = make_staff(Role.CARE_WORKER, provider=other, last_name="Utomsson")
    mine = ClientFactory(
        provider=provider, team=team, last_name="Lindqvist", national_id=worker.national_id
    )
    theirs = ClientFactory(provider=other, last_name="Bergstrom")
    log_client_access(worker, [mine], AccessAction.DETAIL, path="/a/")
    log_client_access(worker, [mine], AccessAction.DOOR_CODE, path="/b/")
    log_client_access(stranger, [theirs], AccessAction.LIST, path="/c/")
    old = timezone.make_aware(dt.datetime(2025, 1, 15, 12, 0))
    back_dated = AccessLogEntry.objects.create(
        user=worker,
        client=mine,
        municipality=municipality,
        action=AccessAction.API_DETAIL,
        path="/old/",
        at=old,
        own_record=True,
    )
    AccessLogReaderProvider.objects.create(entry=back_dated, provider=provider)
    return {"mine": mine, "theirs": theirs, "stranger": stranger}


def review(user, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    response = login(user).get("/audit/access-log/", filters)
    assert response.status_code == 200
    return sorted(e.path for e in response.context["page"].object_list)


def test_an_auditor_reviews_the_whole_municipality(provider, reads) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    assert review(auditor) == ["/a/", "/b/", "/c/", "/old/"]


def test_an_auditor_of_another_municipality_sees_nothing(reads) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=ProviderFactory().municipality)
    assert review(auditor) == []


def test_a_provider_manager_reviews_only_their_own_staffs_reads(provider, reads) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    assert review(manager) == ["/a/", "/b/", "/old/"]
    assert "Bergstrom" not in login(manager).get("/audit/access-log/").text


def test_a_read_by_staff_of_two_providers_is_reviewed_by_both_managers(
    provider, team, worker, reads
) -> None:
    other = reads["theirs"].provider
    make_staff_also_at(worker, other)
    log_client_access(worker, [reads["theirs"]], AccessAction.DETAIL, path="/both/")
    assert review(make_staff(Role.PROVIDER_MANAGER, provider=provider)) == [
        "/a/",
        "/b/",
        "/both/",
        "/old/",
    ]
    assert review(make_staff(Role.PROVIDER_MANAGER, provider=other)) == ["/both/", "/c/"]


def test_a_manager_of_both_providers_sees_such_a_read_once(provider, team, worker, reads) -> None:
    other = reads["theirs"].provider
    make_staff_also_at(worker, other)
    log_client_access(worker, [reads["theirs"]], AccessAction.DETAIL, path="/both/")
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    RoleAssignment.objects.create(
        user=manager, role=Role.PROVIDER_MANAGER, municipality=other.municipality, provider=other
    )
    assert review(manager) == ["/a/", "/b/", "/both/", "/c/", "/old/"]
    assert login(manager).get("/api/v1/access-log").json()["count"] == 5


def test_moving_on_does_not_hide_earlier_reads_from_the_old_manager(
    provider, worker, reads
) -> None:
    RoleAssignment.objects.filter(user=worker).delete()
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    assert review(manager) == ["/a/", "/b/", "/old/"]


@pytest.mark.parametrize(
    "role",
    [
        Role.CARE_WORKER,
        Role.TEAM_LEADER,
        Role.NIGHT_SUPERVISOR,
        Role.ALARM_OPERATOR,
        Role.WELFARE_TECH,
        Role.MUNICIPAL_ADMIN,
    ],
)
def test_other_roles_may_not_review_the_log(provider, role) -> None:
    if role in (Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN):
        user = make_staff(role, municipality=provider.municipality)
    else:
        user = make_staff(role, provider=provider)
    http = login(user)
    assert http.get("/audit/access-log/").status_code == 403
    assert http.get("/api/v1/access-log").status_code == 403


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"staff": "Utomsson"}, ["/c/"]),
        ({"staff": "vardsson"}, ["/a/", "/b/", "/old/"]),
        ({"client": "Bergstr"}, ["/c/"]),
        ({"action": AccessAction.DOOR_CODE}, ["/b/"]),
        ({"date_from": "2025-01-15", "date_to": "2025-01-15"}, ["/old/"]),
        ({"date_to": "2025-01-14"}, []),
        ({"flagged": "own"}, ["/a/", "/b/", "/old/"]),
        ({"flagged": "any"}, ["/a/", "/b/", "/old/"]),
        ({"flagged": "colleague"}, []),
        ({"flagged": "outside"}, []),
    ],
)
def test_the_review_filters_narrow_the_rows(provider, reads, filters, expected) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    assert review(auditor, **filters) == expected


def test_the_client_filter_takes_a_national_id_in_any_form(provider, reads) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    nid = reads["theirs"].national_id
    for text in (nid, f"{nid[:8]}-{nid[8:]}", f"{nid[2:8]}-{nid[8:]}"):
        assert review(auditor, client=text) == ["/c/"]


def test_a_date_range_backwards_shows_a_form_error(provider, reads) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    response = login(auditor).get(
        "/audit/access-log/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400  # a filter that does not parse (issue 12)
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.text
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize(
    ("filters", "field"), [({"flagged": "on"}, "flagged"), ({"action": "peek"}, "action")]
)
def test_an_invalid_filter_says_what_to_fix_rather_than_finding_nothing(
    provider, reads, filters, field
) -> None:
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    response = login(auditor).get("/audit/access-log/", filters)
    assert response.status_code == 400  # a filter that does not parse (issue 12)
    assert response.context["form"].errors[field]
    value = next(iter(filters.values()))
    errors = response.text.split(f'id="id_{field}-errors"', 1)[1].split("</ul>", 1)[0]
    assert f"Välj ett giltigt alternativ. {value} finns inte bland tillgängliga" in errors
    assert "Ingen sökning gjordes: filtret behöver rättas." in response.text
    assert "Inga läsningar matchar." not in response.text
    assert list(response.context["page"].object_list) == []


def test_the_htmx_rows_name_the_field_of_an_invalid_filter(provider, reads) -> None:
    """Searching swaps in only the rows, so they say what the form would have marked."""
    auditor = make_staff(Role.AUDITOR, municipality=provider.municipality)
    response = login(auditor).get("/audit/access-log/", {"flagged": "on"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text
    assert 'role="alert"' in response.text
    assert "Flaggor: Välj ett giltigt alternativ. on finns inte" in response.text
    assert "Inga läsningar matchar." not in response.text


def test_the_api_reviews_with_the_same_rules(provider, reads) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    payload = login(manager).get("/api/v1/access-log", {"flagged": "own"}).json()
    assert payload["count"] == 3
    assert {item["path"] for item in payload["items"]} == {"/a/", "/b/", "/old/"}


# Paging through the review ----------------------------------------------------------------


@pytest.fixture
def many_reads(provider, team, worker) -> list[str]:  # type: ignore[no-untyped-def]
    """120 reads, three to a timestamp; their paths newest first, as the review lists them."""
    clients = ClientFactory.create_batch(3, provider=provider, team=team)
    start = timezone.now().replace(microsecond=0)
    entries = AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=worker,
            client=clients[i % 3],
            municipality=provider.municipality,
            action=AccessAction.DETAIL,
            path=f"/{i}/",
            at=start - dt.timedelta(minutes=i // 3),
        )
        for i in range(120)
    )
    return [e.path for e in sorted(entries, key=lambda e: (e.at, e.pk), reverse=True)]


def open_page(http: HttpClient, **params: str) -> tuple[list[str], object]:
    response = http.get("/audit/access-log/", params)
    assert response.status_code == 200
    page = response.context["page"]
    assert ('rel="next"' in response.text) == bool(page.older)
    assert ('rel="prev"' in response.text) == bool(page.newer)
    return [e.path for e in page.object_list], page


def test_older_and_newer_walk_the_whole_log_once_each_way(provider, many_reads) -> None:
    http = login(make_staff(Role.AUDITOR, municipality=provider.municipality))
    first, page = open_page(http)
    assert page.newer is None  # type: ignore[attr-defined]
    second, page = open_page(http, older=page.older)  # type: ignore[attr-defined]
    third, page = open_page(http, older=page.older)  # type: ignore[attr-defined]
    assert [len(first), len(second), len(third)] == [50, 50, 20]
    assert first + second + third == many_reads
    assert page.older is None  # type: ignore[attr-defined]
    back, page = open_page(http, newer=page.newer)  # type: ignore[attr-defined]
    assert back == second
    top, page = open_page(http, newer=page.newer)  # type: ignore[attr-defined]
    assert top == first
    assert page.newer is None  # type: ignore[attr-defined]


def test_the_pager_keeps_the_filters(provider, many_reads) -> None:
    http = login(make_staff(Role.AUDITOR, municipality=provider.municipality))
    response = http.get("/audit/access-log/", {"staff": "Vardsson", "action": "detail"})
    assert "staff=Vardsson&amp;action=detail&amp;older=" in response.text
    older = response.context["page"].older
    following = http.get(
        "/audit/access-log/", {"staff": "Vardsson", "action": "detail", "older": older}
    )
    assert len(following.context["page"].object_list) == 50


def test_the_htmx_rows_carry_the_pager(provider, many_reads) -> None:
    http = login(make_staff(Role.AUDITOR, municipality=provider.municipality))
    response = http.get("/audit/access-log/", HTTP_HX_REQUEST="true")
    assert "<html" not in response.text
    assert 'rel="next"' in response.text


@pytest.mark.parametrize("cursor", ["", "abc", "12_", "_5", "99999999999999999999999_1"])
def test_a_malformed_cursor_shows_the_newest_page(provider, many_reads, cursor) -> None:
    http = login(make_staff(Role.AUDITOR, municipality=provider.municipality))
    paths, _page = open_page(http, older=cursor)
    assert paths == many_reads[:50]


# The migration that gave the log its municipality and readers' providers ------------------

BEFORE = [("core", "0002_access_log_append_only")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_readers_providers_both_ways(provider, team, worker) -> None:
    from django.db.migrations.executor import MigrationExecutor

    other = ProviderFactory(municipality=provider.municipality)
    make_staff_also_at(worker, other)
    operator = make_staff(Role.ALARM_OPERATOR, municipality=provider.municipality)
    client = ClientFactory(provider=provider, team=team)
    log_client_access(worker, [client], AccessAction.DETAIL, path="/two/")
    log_client_access(operator, [client], AccessAction.DETAIL, path="/none/")

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT path, reader_provider_ids FROM core_accesslogentry ORDER BY id")
        assert cursor.fetchall() == [
            ("/two/", f",{min(provider.pk, other.pk)},{max(provider.pk, other.pk)},"),
            ("/none/", ""),
        ]
        # A row as the old code wrote it.
        cursor.execute(
            "INSERT INTO core_accesslogentry (at, user_id, client_id, action, path, "
            "reader_provider_ids, own_record, colleague_record, outside_teams) "
            "VALUES (%s, %s, %s, 'list', '/old/', %s, %s, %s, %s)",
            [timezone.now(), worker.pk, client.pk, f",{other.pk},", False, False, False],
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    by_path = {e.path: e for e in AccessLogEntry.objects.all()}
    assert {e.municipality_id for e in by_path.values()} == {provider.municipality_id}
    assert reader_providers(by_path["/two/"]) == sorted([provider.pk, other.pk])
    assert reader_providers(by_path["/none/"]) == []
    assert reader_providers(by_path["/old/"]) == [other.pk]
    for table in ("core_accesslogentry", "core_accesslogreaderprovider"):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"UPDATE {table} SET id = id")  # noqa: S608
