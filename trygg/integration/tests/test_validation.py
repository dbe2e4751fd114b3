"""Every field of every row is checked, and one bad row rejects the whole file."""

from __future__ import annotations

import pytest

from trygg.core.models import Client, GrantedService
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory
from trygg.integration.constants import ImportSource, ImportStatus
from trygg.integration.formats import Issue, parse_csv
from trygg.integration.models import ImportRun
from trygg.integration.services import ImportResult, import_records

from .helpers import (
    SECRET_DOOR_CODE,
    TODAY,
    Setting,
    client_fields,
    make_setting,
    row,
    service_fields,
    standard_rows,
    to_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def run(setting: Setting, rows: list[dict[str, str]], **kwargs: object) -> ImportResult:
    parsed = parse_csv(to_csv(rows))
    return import_records(
        setting.provider,
        parsed.records,
        end_missing=bool(kwargs.get("end_missing", False)),
        today=TODAY,
        actor="test",
        source=ImportSource.COMMAND,
        parse_errors=parsed.errors,
    )


def errors(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(e.row, e.field) for e in result.errors]


def test_a_valid_file_imports(setting: Setting) -> None:
    result = run(setting, standard_rows(3))
    assert result.ok, result.errors
    assert result.clients.created == 4
    assert result.services.created == 6
    client = Client.objects.get(case_system_id="K0001")
    assert client.provider == setting.provider
    assert client.team == setting.team
    assert client.door_code == SECRET_DOOR_CODE
    assert Client.objects.get(case_system_id="K0004").team is None
    service = GrantedService.objects.get(case_system_id="I0012")
    assert (service.service_type, service.granted_minutes, service.period) == (
        setting.service,
        30,
        "day",
    )
    assert service.provider == setting.provider


def test_it_stores_the_national_id_in_canonical_form(setting: Setting) -> None:
    canonical = client_fields(1)["national_id"]
    written = f"{canonical[2:8]}-{canonical[8:]}"
    result = run(setting, [row(client_fields(1, national_id=written))])
    assert result.ok, result.errors
    assert Client.objects.get().national_id == canonical


def test_it_rejects_a_bad_national_id_check_digit(setting: Setting) -> None:
    good = client_fields(1)["national_id"]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    result = run(setting, [row(client_fields(1, national_id=bad))])
    assert errors(result) == [(2, "national_id")]
    assert "check digit" in result.errors[0].message
    assert bad not in result.errors[0].message


def test_it_rejects_bad_dates(setting: Setting) -> None:
    rows = [
        row(client_fields(1, start_date="2024-02-30"), service_fields(1)),
        row(client_fields(2, start_date="1/3/2024", end_date="20240101")),
        row(
            client_fields(3), service_fields(3, service_from="2024-05-01", service_to="2024-04-01")
        ),
        row(client_fields(4, start_date="2024-05-01", end_date="2024-04-30")),
    ]
    result = run(setting, rows)
    assert errors(result) == [
        (2, "start_date"),
        (3, "start_date"),
        (3, "end_date"),
        (4, "service_to"),
        (5, "end_date"),
    ]
    assert "YYYY-MM-DD" in result.errors[0].message


def test_it_rejects_unknown_team(setting: Setting) -> None:
    TeamFactory(code="ELSEWHERE")  # another provider's team is unknown here too
    result = run(setting, [row(client_fields(1, team="ELSEWHERE"))])
    assert errors(result) == [(2, "team")]
    assert "NORR, SODER" in result.errors[0].message


def test_it_rejects_unknown_service_type(setting: Setting) -> None:
    result = run(setting, [row(client_fields(1), service_fields(1, service_type="YOGA"))])
    assert errors(result) == [(2, "service_type")]


def test_it_rejects_bad_minutes_and_periods(setting: Setting) -> None:
    rows = [
        row(client_fields(1), service_fields(1, granted_minutes="0")),
        row(client_fields(1), service_fields(2, granted_minutes="12.5")),
        row(client_fields(1), service_fields(3, granted_minutes="1500", period="day")),
        row(client_fields(1), service_fields(4, period="fortnight")),
    ]
    result = run(setting, rows)
    assert errors(result) == [
        (2, "granted_minutes"),
        (3, "granted_minutes"),
        (4, "granted_minutes"),
        (5, "period"),
    ]


def test_it_rejects_unknown_language_codes(setting: Setting) -> None:
    result = run(setting, [row(client_fields(1, languages="sv, xx"))])
    assert errors(result) == [(2, "languages")]


def test_it_normalises_languages(setting: Setting) -> None:
    assert run(setting, [row(client_fields(1, languages="SV; ar,sv"))]).ok
    assert Client.objects.get().languages == "sv,ar"


def test_it_requires_the_client_and_service_fields(setting: Setting) -> None:
    rows = [row(client_fields(1, first_name="", city=""), service_fields(1, service_id=""))]
    result = run(setting, rows)
    assert errors(result) == [(2, "first_name"), (2, "city"), (2, "service_id")]


def test_it_rejects_duplicates_within_the_file(setting: Setting) -> None:
    same_person = client_fields(1)["national_id"]
    rows = [
        row(client_fields(1), service_fields(1)),
        row(client_fields(1), service_fields(1)),
        row(client_fields(2, national_id=same_person)),
    ]
    result = run(setting, rows)
    assert errors(result) == [(3, "service_id"), (4, "national_id")]
    assert "row 2" in result.errors[0].message


def test_door_codes_never_appear_in_error_messages(setting: Setting) -> None:
    long_code = SECRET_DOOR_CODE * 10
    rows = [
        row(client_fields(1, door_code=long_code)),
        row(client_fields(1, door_code=SECRET_DOOR_CODE + "9")),
    ]
    result = run(setting, rows)
    assert {e.field for e in result.errors} == {"door_code"}
    for issue in result.errors:
        assert SECRET_DOOR_CODE not in str(issue.as_dict())


def test_one_bad_row_rejects_the_whole_file_and_writes_nothing(setting: Setting) -> None:
    ClientFactory(provider=setting.provider, case_system_id="K0001", first_name="Före")
    rows = standard_rows(3)
    rows[-1]["team"] = "NOPE"
    before = (Client.objects.count(), GrantedService.objects.count())

    result = run(setting, rows, end_missing=True)

    assert not result.ok
    assert errors(result) == [(8, "team")]
    assert (Client.objects.count(), GrantedService.objects.count()) == before
    assert Client.objects.get(case_system_id="K0001").first_name == "Före"
    assert (result.clients.created, result.services.created) == (0, 0)
    run_row = ImportRun.objects.get()
    assert (run_row.status, run_row.error_count) == (ImportStatus.REJECTED, 1)


def test_parse_errors_and_field_errors_are_reported_together(setting: Setting) -> None:
    result = import_records(
        setting.provider,
        parse_csv(to_csv([row(client_fields(1, team="NOPE"))])).records,
        end_missing=False,
        today=TODAY,
        actor=None,
        parse_errors=[Issue(field="last_name", message="Differs", row=3)],
    )
    assert errors(result) == [(2, "team"), (3, "last_name")]
    assert Client.objects.count() == 0


def test_a_client_moves_from_another_provider(setting: Setting) -> None:
    other = ProviderFactory(municipality=setting.provider.municipality)
    ClientFactory(
        provider=other,
        case_system_id="K0001",
        **{k: v for k, v in client_fields(1).items() if k in {"national_id", "first_name"}},
    )
    result = run(setting, [row(client_fields(1), service_fields(1))])
    assert result.ok, result.errors
    assert result.clients.updated == 1
    assert Client.objects.get(case_system_id="K0001").provider == setting.provider


def test_the_same_client_id_in_another_municipality_is_another_client(setting: Setting) -> None:
    ClientFactory(case_system_id="K0001")  # a different municipality
    result = run(setting, [row(client_fields(1))])
    assert result.clients.created == 1
    assert Client.objects.filter(case_system_id="K0001").count() == 2
