"""Reading the JSON form: the same records as the CSV, errors located by path."""

from __future__ import annotations

import json

from trygg.core.tests.factories import ProviderFactory
from trygg.integration.formats import parse_csv, parse_json, parse_json_bytes

from .helpers import standard_rows, to_csv, to_json


def test_it_reads_the_same_records_as_the_csv() -> None:
    provider = ProviderFactory.build(org_number="556000-0001")
    rows = standard_rows(2)
    from_json = parse_json(to_json(rows, provider, end_missing=True))
    from_csv = parse_csv(to_csv(rows))
    assert from_json.errors == []
    assert (from_json.provider, from_json.end_missing) == ("556000-0001", True)
    strip = [({**vars(r), "location": None, "rows": ()}) for r in from_json.records]
    expected = [({**vars(r), "location": None, "rows": ()}) for r in from_csv.records]
    assert [(c["client_id"], len(c["services"])) for c in strip] == [
        (c["client_id"], len(c["services"])) for c in expected
    ]
    assert from_json.records[0].services[0].granted_minutes == "120"
    assert from_json.records[0].services[0].location.path == "clients[0].services[0]"


def test_it_locates_shape_errors_by_path() -> None:
    document = {
        "provider": "556000-0001",
        "clients": [
            {"client_id": "K1", "shoe_size": 44, "services": [{"service_id": ["x"]}]},
            "not an object",
        ],
        "extra": 1,
    }
    parsed = parse_json(document)
    assert [(e.path, e.field) for e in parsed.errors] == [
        ("$", "extra"),
        ("clients[0]", "shoe_size"),
        ("clients[0].services[0]", "service_id"),
        ("clients[1]", ""),
    ]
    assert parsed.errors[0].as_dict() == {
        "path": "$",
        "field": "extra",
        "message": "Unknown field.",
    }


def test_it_requires_the_provider_and_the_client_list() -> None:
    parsed = parse_json({"end_missing": "yes"})
    assert [e.field for e in parsed.errors] == ["provider", "end_missing", "clients"]


def test_it_reports_broken_json() -> None:
    parsed = parse_json_bytes(b'{"provider": ')
    assert [e.field for e in parsed.errors] == ["file"]
    assert "line 1" in parsed.errors[0].message


def test_it_accepts_nulls_for_empty_values() -> None:
    document = json.loads(
        '{"provider": "1", "clients": [{"client_id": "K1", "end_date": null, "services": null}]}'
    )
    parsed = parse_json(document)
    assert parsed.errors == []
    assert parsed.records[0].end_date == ""


def test_a_file_holding_the_nul_character_is_refused_whole() -> None:
    """PostgreSQL can neither store nor compare text with NUL: an import holding one was a
    server error there. Refused before any record is read, in either format."""
    provider = ProviderFactory.build(org_number="556000-0001")
    rows = standard_rows(1)
    rows[0]["last_name"] = "Nul\x00sson"
    as_json = parse_json_bytes(json.dumps(to_json(rows, provider)).encode())
    as_csv = parse_csv(to_csv(rows))
    for parsed in (as_json, as_csv):
        assert [(e.field, e.message) for e in parsed.errors] == [
            ("file", "The file contains the NUL character, which no field may hold.")
        ]
        assert parsed.records == []
