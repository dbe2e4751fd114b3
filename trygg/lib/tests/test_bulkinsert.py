"""Writing many rows fast: what `insert_rows` and `update_rows` write is what the ORM would,
in a few statements, on SQLite and PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry, Client, Provider, User
from trygg.core.tests.factories import ClientFactory, MunicipalityFactory, ProviderFactory
from trygg.lib.bulkinsert import COPY_FROM, insert_rows, insert_values, update_rows

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """auto_now and auto_now_add take this moment."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def provider() -> Provider:
    return ProviderFactory()


@pytest.fixture
def reader() -> User:
    return User.objects.create(username="reader")


@pytest.fixture
def person(provider: Provider) -> Client:
    """A client (pytest-django's `client` is the test browser)."""
    return ClientFactory(provider=provider)


def columns(model: type[Any], pk: int) -> dict[str, Any]:
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return model.objects.filter(pk=pk).values(*names).get()


def test_an_inserted_row_is_what_save_writes(provider: Provider, frozen: dt.datetime) -> None:
    """Every kind of field: foreign keys set and empty, text, booleans, dates set and empty,
    auto_now and auto_now_add, and the model's defaults."""
    fields = {
        "provider": provider,
        "national_id": "194001019802",
        "street": "Storgatan 1",
        "first_name": "Greta",
        "last_name": "Lind",
        "end_date": None,
        "door_code": "",
    }
    saved = ClientFactory.build(**fields)
    saved.save()
    inserted = ClientFactory.build(**fields)
    insert_rows([inserted])
    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    expected = columns(Client, saved.pk)
    expected["case_system_id"] = inserted.case_system_id
    assert columns(Client, inserted.pk) == expected
    assert expected["created_at"] == expected["updated_at"] == NOW
    assert expected["team_id"] is None


def test_ids_come_back_in_the_order_of_the_rows(provider: Provider) -> None:
    rows = [ClientFactory.build(provider=provider, last_name=f"Nr {i}") for i in range(5)]
    insert_rows(rows)
    names = dict(Client.objects.values_list("pk", "last_name"))
    assert [names[row.pk] for row in rows] == [f"Nr {i}" for i in range(5)]


def test_a_relation_assigned_before_it_was_saved_gets_its_id() -> None:
    municipality = MunicipalityFactory()
    provider = ProviderFactory.build(municipality=municipality)
    client = ClientFactory.build(provider=provider, municipality=municipality)
    insert_rows([provider])  # after the client was given it, as bulk_create allows
    insert_rows([client])
    assert Client.objects.get(pk=client.pk).provider_id == provider.pk


def test_many_rows_take_a_few_statements(provider: Provider, reader: User, person: Client) -> None:
    """SQLite splits by its parameter limit; PostgreSQL reserves the ids in one query and
    streams the rows with one COPY (from COPY_FROM rows)."""
    entries = [
        AccessLogEntry(
            user=reader,
            client=person,
            municipality=provider.municipality,
            action=AccessAction.DETAIL,
            path=f"/clients/{i}/",
            remote_addr="192.0.2.7" if i % 2 else None,
            at=NOW + dt.timedelta(seconds=i % 3),
        )
        for i in range(1500)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(entries)
    if connection.vendor == "postgresql":
        assert len(queries) == 2
        assert queries[1]["sql"].startswith("COPY")
    else:
        assert 1 < len(queries) < 50
    assert len({entry.pk for entry in entries}) == 1500
    stored = AccessLogEntry.objects.get(pk=entries[7].pk)
    second = NOW + dt.timedelta(seconds=1)
    assert (stored.path, stored.remote_addr, stored.at) == ("/clients/7/", "192.0.2.7", second)
    assert AccessLogEntry.objects.get(pk=entries[8].pk).remote_addr is None


def test_an_empty_list_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        insert_rows([])
        update_rows([], ["city"])
    assert len(queries) == 0


def test_update_writes_the_named_fields_only_in_one_statement(
    provider: Provider, frozen: dt.datetime
) -> None:
    rows = [ClientFactory(provider=provider, city="Förr") for _ in range(3)]
    for i, row in enumerate(rows):
        row.city = f"Stad {i}"
        row.end_date = dt.date(2026, 5, i + 1)
        row.street = "not written"
    with CaptureQueriesContext(connection) as queries:
        update_rows(rows, ["city", "end_date"])
    assert len(queries) == 1
    for i, row in enumerate(rows):
        stored = Client.objects.get(pk=row.pk)
        assert (stored.city, stored.end_date) == (f"Stad {i}", dt.date(2026, 5, i + 1))
        assert stored.street != "not written"


def test_update_sets_empty_values_relations_and_auto_now(provider: Provider) -> None:
    other = ProviderFactory(municipality=provider.municipality)
    row = ClientFactory(provider=provider, end_date=dt.date(2026, 1, 1))
    row.end_date = None
    row.provider = other
    later = NOW + dt.timedelta(days=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        update_rows([row], ["end_date", "provider", "updated_at"])
    stored = Client.objects.get(pk=row.pk)
    assert (stored.end_date, stored.provider_id, stored.updated_at) == (None, other.pk, later)


def test_update_skips_a_row_that_is_gone(provider: Provider) -> None:
    kept, gone = ClientFactory(provider=provider), ClientFactory(provider=provider)
    Client.objects.filter(pk=gone.pk).delete()
    kept.city = gone.city = "Ny stad"
    update_rows([kept, gone], ["city"])
    assert list(Client.objects.values_list("city", flat=True)) == ["Ny stad"]


@pytest.mark.parametrize("names", [[], ["id"], ["reader_providers"], ["no_such_field"]])
def test_update_refuses_what_is_not_a_plain_column(
    provider: Provider, reader: User, person: Client, names: list[str]
) -> None:
    entry = AccessLogEntry.objects.create(
        user=reader,
        client=person,
        municipality=provider.municipality,
        action=AccessAction.DETAIL,
        path="/",
    )
    with pytest.raises((ValueError, FieldDoesNotExist)):
        update_rows([entry], names)


def test_values_insert_what_save_writes_with_the_defaults(
    provider: Provider, reader: User, person: Client
) -> None:
    """Rows as tuples: the named fields as given (foreign keys by id), every other field what
    a new instance holds (here the time's callable default and an empty address), and the
    ids in the order of the rows."""
    saved = AccessLogEntry(
        user=reader,
        client=person,
        municipality=provider.municipality,
        action=AccessAction.DETAIL,
        path="/clients/1/",
    )
    saved.save()
    names = ("user_id", "client_id", "municipality_id", "action", "path")
    rows = [
        (reader.pk, person.pk, provider.municipality_id, AccessAction.DETAIL, f"/clients/{i}/")
        for i in (1, 2, 3)
    ]
    ids = insert_values(AccessLogEntry, names, rows)
    assert [columns(AccessLogEntry, pk)["path"] for pk in ids] == [
        "/clients/1/",
        "/clients/2/",
        "/clients/3/",
    ]
    first, expected = columns(AccessLogEntry, ids[0]), columns(AccessLogEntry, saved.pk)
    assert first.pop("at") >= expected.pop("at")  # the default, called once for the call
    assert first == expected
    assert first["remote_addr"] is None
    assert len({columns(AccessLogEntry, pk)["at"] for pk in ids}) == 1


def test_values_take_a_few_statements_and_refuse_unknown_names(
    provider: Provider, reader: User, person: Client
) -> None:
    rows = [
        (reader.pk, person.pk, provider.municipality_id, AccessAction.DETAIL, f"/c/{i}/", NOW)
        for i in range(1500)
    ]
    names = ("user_id", "client_id", "municipality_id", "action", "path", "at")
    with CaptureQueriesContext(connection) as queries:
        ids = insert_values(AccessLogEntry, names, rows)
    assert len(queries) == 1 if connection.vendor == "postgresql" else 1 < len(queries) < 50
    assert len(set(ids)) == 1500
    assert AccessLogEntry.objects.get(pk=ids[7]).path == "/c/7/"
    assert insert_values(AccessLogEntry, names, []) == []
    with pytest.raises(ValueError, match="attribute names"):
        insert_values(AccessLogEntry, ("user",), [(reader.pk,)])


def test_a_few_rows_are_one_statement_and_many_the_same_rows(
    provider: Provider, reader: User, person: Client
) -> None:
    """Below COPY_FROM PostgreSQL takes one INSERT of one array per column; above, COPY.
    Both write the same values and give the ids in the order of the rows."""

    def entries(count: int, offset: int) -> list[AccessLogEntry]:
        return [
            AccessLogEntry(
                user=reader,
                client=person,
                municipality=provider.municipality,
                action=AccessAction.DETAIL,
                path=f"/clients/{offset + i}/",
                remote_addr="192.0.2.7" if i % 2 else None,
                at=NOW + dt.timedelta(seconds=i % 5),
            )
            for i in range(count)
        ]

    few, many = entries(3, 0), entries(COPY_FROM + 2, 100)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(few)
    assert len(queries) == 1
    insert_rows(many)
    written = {
        pk: (path, remote_addr, at)
        for pk, path, remote_addr, at in AccessLogEntry.objects.filter(
            path__startswith="/clients/"
        ).values_list("pk", "path", "remote_addr", "at")
    }
    for entry in [*few, *many]:
        assert written[entry.pk] == (entry.path, entry.remote_addr, entry.at)
        assert not entry._state.adding
