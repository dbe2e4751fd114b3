"""The billing basis pages and files: a provider sees only its own, the municipality every
provider's; every client on a page or in a file is access-logged; the files add up."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, GrantedService
from trygg.core.tests.factories import make_staff
from trygg.visits import billing, exports

from .conftest import Place
from .office import admin_of, auditor_of, login, register

pytestmark = pytest.mark.django_db
CET = dt.timezone(dt.timedelta(hours=1))
MONTH = {"month": "2026-12"}


@pytest.fixture
def month(place: Place) -> Place:
    register(place, start=dt.datetime(2026, 12, 2, 12, tzinfo=CET), minutes=31, tasks=["PERS"])
    register(
        place,
        staff=place.stranger,
        client=place.other_client,
        start=dt.datetime(2026, 12, 2, 12, tzinfo=CET),
        minutes=45,
    )
    return place


def test_a_manager_is_taken_to_the_own_providers_basis(month: Place) -> None:
    http = login(month.manager)
    response = http.get("/visits/billing/", MONTH)
    assert response.status_code == 302
    assert response["Location"] == f"/visits/billing/{month.provider.pk}/?month=2026-12"
    page = http.get(response["Location"])
    assert page.status_code == 200
    basis = page.context["basis"]
    assert {row.client_id for row in basis.rows} == {
        month.client.pk,
        month.second_client.pk,
        month.south_client.pk,
    }
    assert "Främling" not in page.text
    assert f'id="row-{month.client.pk}-PERS"' in page.text
    assert "<svg" in page.text


def test_a_provider_never_opens_another_providers_basis_or_files(month: Place) -> None:
    http = login(month.manager)
    other = month.other_provider.pk
    assert http.get(f"/visits/billing/{other}/", MONTH).status_code == 404
    assert http.get(f"/visits/billing/{other}/export.csv", MONTH).status_code == 404
    assert http.get(f"/visits/billing/{other}/export.xlsx", MONTH).status_code == 404
    for staff in (month.worker, month.leader):
        assert login(staff).get(f"/visits/billing/{month.provider.pk}/").status_code == 403


def test_the_municipality_sees_every_provider_with_a_chart(month: Place) -> None:
    for person in (admin_of(month), auditor_of(month)):
        page = login(person).get("/visits/billing/", MONTH)
        assert page.status_code == 200
        listed = [provider for provider, _figures, _payable in page.context["rows"]]
        assert listed == [month.other_provider, month.provider]
        assert page.text.count('class="performed"') >= 2
        # No client data on the overview: nothing logged.
        assert not AccessLogEntry.objects.filter(user=person).exists()
        assert (
            login(person).get(f"/visits/billing/{month.other_provider.pk}/", MONTH).status_code
            == 200
        )


def test_another_municipalitys_administrator_sees_nothing(month: Place) -> None:
    from trygg.core.tests.factories import MunicipalityFactory

    stranger = make_staff(Role.MUNICIPAL_ADMIN, municipality=MunicipalityFactory())
    http = login(stranger)
    assert http.get(f"/visits/billing/{month.provider.pk}/", MONTH).status_code == 404
    assert http.get("/visits/billing/", MONTH).context["rows"] == []


def test_the_page_logs_every_client_it_lists(month: Place) -> None:
    login(month.manager).get(f"/visits/billing/{month.provider.pk}/", MONTH)
    logged = set(
        AccessLogEntry.objects.filter(user=month.manager, action=AccessAction.LIST).values_list(
            "client_id", flat=True
        )
    )
    assert logged == {month.client.pk, month.second_client.pk, month.south_client.pk}


def test_a_bad_month_is_a_400(month: Place) -> None:
    http = login(month.manager)
    page = http.get(f"/visits/billing/{month.provider.pk}/", {"month": "2026-13"})
    assert page.status_code == 400
    assert "Give the month as YYYY-MM." in page.text
    file = http.get(f"/visits/billing/{month.provider.pk}/export.csv", {"month": "x"})
    assert file.status_code == 400
    assert http.get(f"/visits/billing/{month.provider.pk}/export.pdf", MONTH).status_code == 404


def test_the_csv_holds_the_rows_totals_and_bands_and_is_logged(month: Place) -> None:
    response = login(month.manager).get(f"/visits/billing/{month.provider.pk}/export.csv", MONTH)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ersattningsunderlag-')
    assert response["Content-Disposition"].endswith('-2026-12.csv"')
    body = response.content
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:4] == ["Month", "Provider", "National id", "Client"]
    rows = {(line[3].split(",")[0], line[4]): line for line in lines[1:5]}
    andersson = rows[("Andersson", "PERS")]
    assert andersson[2] == month.client.display_national_id
    assert andersson[6:] == ["531", "31", "-500", "31"]
    assert lines[5] == []
    assert ["Granted minutes", str(4 * 531)] in lines
    assert ["Performed minutes", "31"] in lines
    assert ["Weekday 07-22", "1", "31"] in lines
    logged = set(
        AccessLogEntry.objects.filter(user=month.manager, action=AccessAction.EXPORT).values_list(
            "client_id", flat=True
        )
    )
    assert logged == {month.client.pk, month.second_client.pk, month.south_client.pk}


def test_the_workbook_has_the_same_rows_and_totals(month: Place) -> None:
    response = login(admin_of(month)).get(f"/visits/billing/{month.provider.pk}/export.xlsx", MONTH)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    sheet, totals = workbook.worksheets
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("Month", "Provider", "National id", "Client")
    assert len(values) == 5
    assert sheet.freeze_panes == "A2"
    facts = {row[0]: row[1] for row in totals.iter_rows(values_only=True) if row[0]}
    assert (facts["Granted minutes"], facts["Performed minutes"]) == (4 * 531, 31)


def test_a_cell_that_looks_like_a_formula_stays_text(month: Place) -> None:
    month.client.last_name = "=HYPERLINK(1)"
    month.client.save(update_fields=["last_name"])
    basis = billing.basis(month.provider, dt.date(2026, 12, 1))
    assert "'=HYPERLINK(1)" in exports.render_csv(basis).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(exports.render_xlsx(basis)))
    cells = [cell for row in workbook.worksheets[0].iter_rows() for cell in row]
    formula = next(cell for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"


def test_the_follow_up_shows_delivered_against_granted_and_the_shares(month: Place) -> None:
    GrantedService.objects.filter(provider=month.provider).update(valid_from=dt.date(2026, 12, 1))
    page = login(admin_of(month)).get("/visits/follow-up/", MONTH)
    assert page.status_code == 200
    [mine] = [r for r in page.context["results"] if r.provider == month.provider]
    december = mine.months[-1]
    assert december.month == dt.date(2026, 12, 1)
    assert (december.performed, december.registrations, december.proven) == (31, 1, 1)
    assert december.delivered_share == pytest.approx(31 / (4 * 120 * 31 / 7))
    assert [team.name for team, _monthly in mine.teams] == ["Norr", "Söder"]
    assert mine.months[0].granted == 0
    manager = login(month.manager).get("/visits/follow-up/", MONTH)
    assert [r.provider for r in manager.context["results"]] == [month.provider]
