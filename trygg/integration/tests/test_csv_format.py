"""Reading the case system's CSV file: encodings, delimiters, header, rows that belong together."""

from __future__ import annotations

from trygg.integration.constants import CSV_COLUMNS
from trygg.integration.formats import parse_csv

from .helpers import client_fields, row, service_fields, standard_rows, to_csv


def test_it_reads_semicolons_with_a_bom() -> None:
    parsed = parse_csv(to_csv(standard_rows(2), delimiter=";", bom=True))
    assert parsed.errors == []
    assert [r.client_id for r in parsed.records] == ["K0001", "K0002", "K0003"]
    assert [s.service_id for s in parsed.records[0].services] == ["I0011", "I0012"]
    assert parsed.records[2].services == []


def test_it_reads_commas_without_a_bom() -> None:
    rows = [row(client_fields(1, street="Provgatan 1, lgh 1101"), service_fields(1))]
    parsed = parse_csv(to_csv(rows, delimiter=","))
    assert parsed.errors == []
    assert parsed.records[0].street == "Provgatan 1, lgh 1101"
    assert parsed.records[0].rows == (2,)


def test_it_accepts_columns_in_any_order_and_case() -> None:
    columns = tuple(reversed(CSV_COLUMNS))
    data = to_csv(standard_rows(1), columns=columns).replace(b"client_id", b"Client_ID", 1)
    parsed = parse_csv(data)
    assert parsed.errors == []
    assert parsed.records[0].client_id == "K0001"


def test_it_rejects_a_missing_column() -> None:
    columns = tuple(c for c in CSV_COLUMNS if c != "door_code")
    parsed = parse_csv(to_csv(standard_rows(1), columns=columns))
    assert parsed.records == []
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "door_code")]
    assert parsed.errors[0].message == "Missing column: door_code."


def test_it_rejects_an_unknown_column() -> None:
    parsed = parse_csv(to_csv(standard_rows(1), columns=(*CSV_COLUMNS, "shoe_size")))
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "shoe_size")]
    assert "Unknown column" in parsed.errors[0].message


def test_header_problems_are_one_line_each_not_the_column_list_per_column() -> None:
    # Ten columns renamed: ten unknown and ten missing columns, which used to be 20
    # problems, the unknown ones each repeating all 19 column names.
    renamed = tuple(f"{c}_x" if i % 2 == 0 else c for i, c in enumerate(CSV_COLUMNS))
    parsed = parse_csv(to_csv(standard_rows(2), columns=renamed))
    assert parsed.records == []
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "file"), (1, "file")]
    unknown, missing = (e.message for e in parsed.errors)
    assert unknown.startswith("Unknown columns: “client_id_x”, “first_name_x”")
    assert missing.startswith("Missing columns: client_id, first_name, street")
    # Each column is named once, where it is wrong; the list of all columns is shown once
    # by the page, above the problems.
    assert "national_id" not in unknown
    assert "national_id" not in missing


def test_a_first_row_that_is_not_a_header_is_one_problem_and_repeats_nothing() -> None:
    # A file without its header row: the first row is a client's, personal data.
    data = to_csv(standard_rows(2)).split(b"\r\n", 1)[1]
    parsed = parse_csv(data)
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "file")]
    message = parsed.errors[0].message
    assert "header row" in message
    first_row = data.split(b"\r\n", 1)[0].decode().split(";")
    assert not any(cell and cell in message for cell in first_row if len(cell) > 2)


def test_it_rejects_text_that_is_not_utf8() -> None:
    data = to_csv(standard_rows(1)).decode().encode("cp1252")  # Excel's "CSV (semicolon)"
    parsed = parse_csv(data)
    assert [e.field for e in parsed.errors] == ["file"]
    assert "UTF-8" in parsed.errors[0].message


def test_it_rejects_an_empty_file() -> None:
    assert [e.field for e in parse_csv(b"").errors] == ["file"]
    assert [e.field for e in parse_csv(to_csv([])).errors] == ["file"]


def test_it_rejects_a_row_with_too_few_cells() -> None:
    data = to_csv(standard_rows(1)) + b"K0009;1;2\r\n"
    parsed = parse_csv(data)
    assert [(e.row, e.field) for e in parsed.errors] == [(5, "file")]


def test_it_skips_blank_rows_but_keeps_spreadsheet_row_numbers() -> None:
    data = to_csv(standard_rows(1)).replace(b"\r\n", b"\r\n;;;\r\n", 1)
    parsed = parse_csv(data)
    assert parsed.errors == []
    assert parsed.records[0].rows == (3, 4)


def test_it_names_the_rows_of_a_client_whose_columns_disagree() -> None:
    client = client_fields(1)
    rows = [
        row(client, service_fields(1)),
        row({**client, "last_name": "Annat", "door_code": "0000"}, service_fields(2)),
        row(client, service_fields(3)),
    ]
    parsed = parse_csv(to_csv(rows))
    assert [(e.row, e.field) for e in parsed.errors] == [(3, "last_name"), (3, "door_code")]
    assert "rows 2, 3, 4" in parsed.errors[0].message
    assert "0000" not in parsed.errors[1].message


def test_it_groups_rows_of_one_client_that_are_not_adjacent() -> None:
    rows = standard_rows(2)
    rows.append(row(client_fields(1), service_fields(99)))
    parsed = parse_csv(to_csv(rows))
    assert parsed.errors == []
    assert [s.service_id for s in parsed.records[0].services] == ["I0011", "I0012", "I0099"]
    assert parsed.records[0].rows == (2, 3, 7)
