"""Importing the same file twice changes nothing, and writes nothing, the second time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trygg.core.models import Client, GrantedService, Provider
from trygg.integration.formats import parse_csv
from trygg.integration.services import ImportResult, import_records

from .helpers import TODAY, make_setting, standard_rows, to_csv

pytestmark = pytest.mark.django_db

_WRITES = ("INSERT", "UPDATE", "DELETE")


def _import(provider: Provider, data: bytes, *, end_missing: bool = True) -> ImportResult:
    parsed = parse_csv(data)
    assert parsed.errors == []
    return import_records(
        provider, parsed.records, end_missing=end_missing, today=TODAY, actor="test"
    )


def _core_writes(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(_WRITES) and "integration_importrun" not in q["sql"]
    ]


def test_the_second_import_changes_nothing() -> None:
    setting = make_setting()
    data = to_csv(standard_rows(3))
    first = _import(setting.provider, data)
    assert (first.clients.created, first.services.created) == (4, 6)
    stamps = dict(Client.objects.values_list("pk", "updated_at"))

    with CaptureQueriesContext(connection) as captured:
        second = _import(setting.provider, data)

    assert second.ok
    assert second.clients.as_dict() == {"created": 0, "updated": 0, "unchanged": 4, "ended": 0}
    assert second.services.as_dict() == {"created": 0, "updated": 0, "unchanged": 6, "ended": 0}
    assert _core_writes(captured.captured_queries) == []
    assert dict(Client.objects.values_list("pk", "updated_at")) == stamps


def test_the_second_import_of_the_same_file_in_another_spelling_changes_nothing() -> None:
    setting = make_setting()
    rows = standard_rows(2)
    _import(setting.provider, to_csv(rows, delimiter=";", bom=True))
    for r in rows:
        nid = r["national_id"]
        r["national_id"] = f"{nid[2:8]}-{nid[8:]}"
        r["languages"] = r["languages"].upper()
    second = _import(setting.provider, to_csv(rows, delimiter=","))
    assert (second.clients.updated, second.services.updated) == (0, 0)


def test_the_import_writes_only_what_changed() -> None:
    setting = make_setting()
    rows = standard_rows(3)
    _import(setting.provider, to_csv(rows))
    rows[0]["phone"] = rows[1]["phone"] = "070-111 11 11"  # client K0001, on both its rows
    rows[2]["granted_minutes"] = "90"  # service I0021

    with CaptureQueriesContext(connection) as captured:
        result = _import(setting.provider, to_csv(rows))

    assert (result.clients.updated, result.clients.unchanged) == (1, 3)
    assert (result.services.updated, result.services.unchanged) == (1, 5)
    writes = _core_writes(captured.captured_queries)
    assert len(writes) == 2
    assert all(w.startswith("UPDATE") for w in writes)
    assert Client.objects.get(case_system_id="K0001").phone == "070-111 11 11"
    assert GrantedService.objects.get(case_system_id="I0021").granted_minutes == 90
