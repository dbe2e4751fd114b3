"""The log extract (loggutdrag): the date rules when ordered, who is on it, the counts with
emergency alarms subtracted, the CSV and XLSX files, the access log, and the worker that
makes it once however many run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from trygg.alarms import extracts
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, ClosedDay, Provider, User
from trygg.core.moments import moment_text
from trygg.core.tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    make_staff,
)
from trygg.devices import services as services_devices
from trygg.devices.models import AlarmProtocol, AlarmUnitKind
from trygg.devices.services import place_unit
from trygg.lib.national_ids import make_norwegian
from trygg.servicedesk import access as servicedesk_access
from trygg.servicedesk import services
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.hooks import ResultRequest
from trygg.servicedesk.models import Order, OrderAttachment, OrderComment, OrderResult, OrderType
from trygg.servicedesk.services import InvalidOrder, ResultClaimLost

from .conftest import Place

pytestmark = pytest.mark.django_db

# Wednesday 11 March 2026, 10:00 in Stockholm: an ordinary working week.
WEDNESDAY = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)
D = dt.date(2026, 3, 10)  # the Tuesday before: the extract date in most tests
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in their English source form; the files are Swedish anyway."""
    with translation.override("en"):
        yield


def order(
    place: Place,
    user: User,
    data: Mapping[str, Any] | None = None,
    *,
    provider: Provider | None = None,
    now: dt.datetime = WEDNESDAY,
) -> Order:
    order_type = OrderType.objects.get(municipality=place.municipality, code="log_extract")
    return services.place_order(
        user,
        order_type,
        data if data is not None else {"extract_date": D.isoformat()},
        provider=provider,
        clients=servicedesk_access.order_clients(user, place.municipality.pk),
        now=now,
    )


def refused(place: Place, day: str, *, now: dt.datetime = WEDNESDAY) -> str:
    with pytest.raises(InvalidOrder) as caught:
        order(place, place.manager, {"extract_date": day}, provider=place.provider, now=now)
    assert not Order.objects.exists()
    errors = caught.value.errors
    assert list(errors) == ["extract_date"]
    return " ".join(errors["extract_date"])


def safety(place: Place, client: Client, first: dt.date = D - 30 * DAY, **kw: Any) -> None:
    place_unit(place.tech, place.unit(), client=client, active_from=first, **kw)


def emergency(place: Place, provider: Provider, first: dt.date = D - 30 * DAY) -> None:
    unit = place.unit(kind=AlarmUnitKind.EMERGENCY_ALARM)
    place_unit(place.tech, unit, provider=provider, active_from=first)


def make(order: Order, by: User | None = None) -> OrderResult:
    return extracts.make_log_extract(order, ResultRequest(made_by=by))


def csv_rows(result: OrderResult) -> list[list[str]]:
    attachment = result.files.get(original_name__endswith=".csv")
    raw = attachment.file.open("rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))


def workbook(result: OrderResult) -> Any:
    attachment = result.files.get(original_name__endswith=".xlsx")
    return load_workbook(io.BytesIO(attachment.file.open("rb").read()))


# The date, when ordered ---------------------------------------------------------------------


def test_a_saturday_is_refused_naming_the_nearest_working_days(place: Place) -> None:
    message = refused(place, "2026-03-07")
    assert "March 7, 2026 is a Saturday, not a working day." in message
    assert "The nearest working days are Friday, March 6, 2026 and Monday, March 9, 2026." in (
        message
    )


def test_a_sunday_is_refused_too(place: Place) -> None:
    message = refused(place, "2026-03-08")
    assert "is a Sunday" in message
    assert "Friday, March 6, 2026 and Monday, March 9, 2026" in message


def test_a_public_holiday_is_refused_by_its_name(place: Place) -> None:
    # Good Friday, 3 April 2026; Easter Monday, the 6th, is closed too.
    message = refused(place, "2026-04-03", now=dt.datetime(2026, 4, 15, 9, tzinfo=dt.UTC))
    assert "April 3, 2026 is Good Friday, not a working day." in message
    assert "Thursday, April 2, 2026 and Tuesday, April 7, 2026" in message


def test_midsummer_eve_is_no_working_day_in_sweden(place: Place) -> None:
    message = refused(place, "2026-06-19", now=dt.datetime(2026, 6, 24, 9, tzinfo=dt.UTC))
    assert "June 19, 2026 is Midsummer Eve, not a working day." in message
    assert "Thursday, June 18, 2026 and Monday, June 22, 2026" in message


def test_a_day_the_municipality_keeps_closed_is_refused_with_its_reason(place: Place) -> None:
    ClosedDay.objects.create(municipality=place.municipality, date=D, reason="Klämdag")
    message = refused(place, D.isoformat())
    assert "March 10, 2026 is a day the municipality keeps closed (Klämdag)." in message
    assert "Monday, March 9, 2026 and Wednesday, March 11, 2026" in message


def test_a_day_to_come_is_refused(place: Place) -> None:
    message = refused(place, "2026-03-12")
    assert "March 12, 2026 has not come yet" in message
    assert "Choose Wednesday, March 11, 2026 or an earlier working day." in message


@pytest.mark.parametrize(
    ("day", "holiday", "nearest"),
    [
        (
            "2026-12-25",
            "Dec. 25, 2026 is Christmas Day, not a working day.",
            "The nearest working days are Wednesday, Dec. 23, 2026 and Monday, Dec. 28, 2026",
        ),
        (
            "2027-01-06",
            "Jan. 6, 2027 is Epiphany, not a working day.",
            "The nearest working days are Tuesday, Jan. 5, 2027 and Thursday, Jan. 7, 2027",
        ),
    ],
)
def test_a_holiday_to_come_is_refused_as_a_holiday_too(
    place: Place, day: str, holiday: str, nearest: str
) -> None:
    # Ordered on Monday 7 December 2026: the holiday has not come, and would be refused on
    # the day too; the orderer is told both, and which days to order instead.
    message = refused(place, day, now=dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC))
    assert holiday in message
    assert nearest in message
    assert "has not come yet" in message
    assert "Choose Monday, Dec. 7, 2026 or an earlier working day." in message


def test_a_holiday_to_come_is_named_in_swedish(place: Place) -> None:
    with translation.override("sv"):
        message = refused(place, "2026-12-25", now=dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC))
    assert "25 december 2026 är Juldagen" in message
    assert "onsdag 23 december 2026" in message
    assert "måndag 28 december 2026" in message
    assert "har inte kommit än" in message


def test_a_weekend_day_just_past_names_only_the_working_day_before(place: Place) -> None:
    # Placed on Sunday 8 March: Monday the 9th has not come yet, so it is not offered.
    message = refused(place, "2026-03-07", now=dt.datetime(2026, 3, 8, 9, tzinfo=dt.UTC))
    assert "The nearest working day before it is Friday, March 6, 2026." in message
    assert "Monday" not in message


def test_the_message_is_in_the_orderers_language(place: Place) -> None:
    with translation.override("sv"):
        message = refused(place, "2026-03-07")
    assert "7 mars 2026 är en lördag" in message
    assert "fredag 6 mars 2026" in message
    assert "måndag 9 mars 2026" in message


def test_today_and_a_past_working_day_are_accepted(place: Place) -> None:
    assert order(place, place.manager, {"extract_date": "2026-03-11"}, provider=place.provider)
    assert order(place, place.manager, {"extract_date": "2025-12-30"}, provider=place.provider)


def test_without_a_date_it_is_the_order_date_due_in_two_working_days(place: Place) -> None:
    placed = order(place, place.manager, {}, provider=place.provider)
    assert placed.due_on == dt.date(2026, 3, 13)  # Wednesday + 2 working days
    assert extracts.extract_date(placed) == (dt.date(2026, 3, 11), False)
    result = make(placed)
    assert result.summary["date"] == "2026-03-11"
    assert result.summary["date_given"] is False


def test_without_a_date_a_saturday_order_is_of_that_saturday(place: Place) -> None:
    saturday = dt.datetime(2026, 3, 14, 9, tzinfo=dt.UTC)
    placed = order(place, place.manager, {}, provider=place.provider, now=saturday)
    assert extracts.extract_date(placed) == (dt.date(2026, 3, 14), False)
    assert placed.due_on == dt.date(2026, 3, 18)  # received Monday, due 2 working days on


@pytest.fixture
def norway(db: None) -> dict[str, Any]:
    """A Norwegian municipality with the log extract in its catalogue, and a client."""
    municipality = MunicipalityFactory(country="NO", time_zone="Europe/Oslo")
    ensure_default_catalogue(municipality)  # only Swedish ones get it by themselves
    provider = ProviderFactory(
        municipality=municipality, name="Hjemmetjenesten Sentrum", org_number="974760673"
    )
    fnr = make_norwegian(dt.date(1941, 3, 5), 412)
    assert fnr is not None
    return {
        "municipality": municipality,
        "provider": provider,
        "leader": make_staff(Role.TEAM_LEADER, provider=provider),
        "tech": make_staff(Role.WELFARE_TECH, municipality=municipality),
        "client": ClientFactory(provider=provider, national_id=fnr, last_name="Haugen"),
    }


def _norwegian_order(norway: dict[str, Any], day: str, now: dt.datetime) -> Order:
    order_type = OrderType.objects.get(municipality=norway["municipality"], code="log_extract")
    return services.place_order(
        norway["leader"],
        order_type,
        {"extract_date": day},
        provider=norway["provider"],
        clients=servicedesk_access.order_clients(norway["leader"], norway["municipality"].pk),
        now=now,
    )


def test_in_norway_ascension_day_is_refused_and_midsummer_eve_is_a_working_day(
    norway: dict[str, Any],
) -> None:
    now = dt.datetime(2026, 6, 24, 9, tzinfo=dt.UTC)
    with translation.override("nb"), pytest.raises(InvalidOrder) as caught:
        _norwegian_order(norway, "2026-05-14", now)
    message = caught.value.errors["extract_date"][0]
    assert "14. mai 2026 er Kristi himmelfartsdag og ingen arbeidsdag." in message
    assert "onsdag 13. mai 2026 og fredag 15. mai 2026" in message
    assert _norwegian_order(norway, "2026-06-19", now).values["extract_date"] == "2026-06-19"


def test_a_norwegian_extract_is_in_norwegian_with_the_fodselsnummer_as_text(
    norway: dict[str, Any],
) -> None:
    unit = services_devices.register_alarm_unit(
        norway["tech"],
        norway["municipality"],
        serial_number="NO-0001",
        model_name="Testalarm",
        protocol=AlarmProtocol.DC09,
        dc09_account="B001",
        heartbeat_interval=300,
    )
    place_unit(norway["tech"], unit, client=norway["client"], active_from=D - 30 * DAY)
    placed = _norwegian_order(norway, D.isoformat(), WEDNESDAY)
    rows = csv_rows(make(placed))
    assert rows[0][:3] == ["Tjenesteyter", "Navn", "Fødselsnummer"]
    assert rows[1][2] == norway["client"].display_national_id
    assert rows[1][2].startswith("05034")  # the leading zero kept: "050341 41234"
    assert " " in rows[1][2]
    assert rows[1][7] == "Trygghetsalarm"
    assert rows[-1] == ["Hjemmetjenesten Sentrum", "1", "0", "1", "1"]


# Who is on it ---------------------------------------------------------------------------------


def test_a_providers_extract_lists_its_own_customers_only(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.neighbour)
    safety(place, place.other_client)
    emergency(place, place.other_provider)
    result = make(order(place, place.manager, provider=place.provider))
    assert set(result.client_ids) == {place.client.pk, place.neighbour.pk}
    assert [p["name"] for p in result.summary["providers"]] == ["Hemtjänsten Norr"]
    text = "\n".join(";".join(row) for row in csv_rows(result))
    assert place.other_client.last_name not in text
    assert place.other_client.display_national_id not in text
    assert "Annan Omsorg AB" not in text
    assert workbook(result).sheetnames == ["Sammanställning", "Hemtjänsten Norr"]


def test_a_municipal_extract_has_every_provider_with_its_own_counts(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.neighbour)
    safety(place, place.other_client)
    emergency(place, place.provider)
    emergency(place, place.other_provider)
    emergency(place, place.other_provider)
    result = make(order(place, place.alarm_operator))
    assert result.summary["providers"] == [
        {
            "id": place.other_provider.pk,
            "name": "Annan Omsorg AB",
            "safety": 1,
            "emergency": 2,
            "total": 3,
            "billable": 1,
        },
        {
            "id": place.provider.pk,
            "name": "Hemtjänsten Norr",
            "safety": 2,
            "emergency": 1,
            "total": 3,
            "billable": 2,
        },
    ]
    assert result.summary["totals"] == {"safety": 3, "emergency": 3, "total": 6, "billable": 3}
    assert workbook(result).sheetnames == ["Sammanställning", "Annan Omsorg AB", "Hemtjänsten Norr"]


def test_another_municipalitys_customers_are_never_on_it(place: Place) -> None:
    unit = place.unit(municipality=place.elsewhere)
    place_unit(place.foreign_tech, unit, client=place.foreign_client, active_from=D - DAY)
    safety(place, place.client)
    result = make(order(place, place.alarm_operator))
    assert result.client_ids == [place.client.pk]


def test_emergency_alarms_are_listed_and_subtracted(place: Place) -> None:
    safety(place, place.client)
    emergency(place, place.provider)
    emergency(place, place.provider)
    result = make(order(place, place.manager, provider=place.provider))
    assert result.summary["totals"] == {"safety": 1, "emergency": 2, "total": 3, "billable": 1}
    rows = csv_rows(result)
    kinds = [row[7] for row in rows[1:4]]
    assert kinds == ["Trygghetslarm", "Akutlarm (utförarens eget)", "Akutlarm (utförarens eget)"]
    # An emergency alarm names its provider and unit, and no person.
    assert rows[2][:3] == ["Hemtjänsten Norr", "", ""]


def test_a_customer_with_two_units_is_one_customer_on_two_lines(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.client)
    result = make(order(place, place.manager, provider=place.provider))
    assert result.summary["totals"]["safety"] == 1
    assert len([r for r in csv_rows(result) if place.client.last_name in ";".join(r)]) == 2


def test_the_first_and_last_day_of_a_placement_both_count(place: Place) -> None:
    from_d = ClientFactory(provider=place.provider, last_name="Frånidag")
    to_d = ClientFactory(provider=place.provider, last_name="Tillidag")
    safety(place, from_d, first=D)
    safety(place, to_d, first=D - 10 * DAY, active_to=D)
    ClientFactory(provider=place.provider, last_name="Imorgon")
    safety(place, Client.objects.get(last_name="Imorgon"), first=D + DAY)
    ended = ClientFactory(provider=place.provider, last_name="Igår")
    safety(place, ended, first=D - 10 * DAY, active_to=D - DAY)
    result = make(order(place, place.manager, provider=place.provider))
    assert set(result.client_ids) == {from_d.pk, to_d.pk}


def test_a_provider_without_customers_gets_an_extract_of_zeros(place: Place) -> None:
    result = make(order(place, place.manager, provider=place.provider))
    assert result.summary["totals"] == {"safety": 0, "emergency": 0, "total": 0, "billable": 0}
    assert result.files.count() == 2


# The files ------------------------------------------------------------------------------------


def test_the_csv_is_for_swedish_excel(place: Place) -> None:
    client = place.client
    safety(place, client, first=dt.date(2025, 11, 3))
    emergency(place, place.provider, first=dt.date(2026, 1, 2))
    placed = order(place, place.manager, provider=place.provider)
    result = make(placed)
    attachment = result.files.get(original_name__endswith=".csv")
    assert attachment.original_name == f"loggutdrag-2026-03-10-{placed.number}.csv"
    assert attachment.content_type == "text/csv"
    assert attachment.uploaded_by is None
    raw = attachment.file.open("rb").read()
    assert b"\r\n" in raw
    rows = csv_rows(result)
    assert rows[0] == [
        "Utförare",
        "Namn",
        "Personnummer",
        "Gatuadress",
        "Postnummer",
        "Ort",
        "Enhetens serienummer",
        "Larmtyp",
        "Aktiv från",
    ]
    serial = rows[1][6]
    assert rows[1] == [
        "Hemtjänsten Norr",
        f"{client.last_name}, {client.first_name}",
        client.display_national_id,  # in full, with its hyphen: text to Excel
        client.street,
        client.postal_code,
        client.city,
        serial,
        "Trygghetslarm",
        "2025-11-03",
    ]
    assert rows[2][7:] == ["Akutlarm (utförarens eget)", "2026-01-02"]
    assert rows[3] == []
    assert rows[4] == ["Utförare", "Trygghetslarm", "Akutlarm", "Totalt", "Att fakturera"]
    assert rows[5] == ["Hemtjänsten Norr", "1", "1", "2", "1"]
    assert len(rows) == 6  # one provider: no line for all providers


def test_a_municipal_csv_ends_with_the_total_of_all_providers(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.other_client)
    emergency(place, place.other_provider)
    rows = csv_rows(make(order(place, place.alarm_operator)))
    assert rows[-3:] == [
        ["Annan Omsorg AB", "1", "1", "2", "1"],
        ["Hemtjänsten Norr", "1", "0", "1", "1"],
        ["Alla utförare", "2", "1", "3", "2"],
    ]


def test_the_workbook_has_a_summary_and_a_sheet_per_provider(place: Place) -> None:
    safety(place, place.client, first=dt.date(2025, 11, 3))
    safety(place, place.neighbour)
    emergency(place, place.provider)
    safety(place, place.other_client)
    placed = order(place, place.alarm_operator)
    book = workbook(make(placed))
    summary = book["Sammanställning"]
    assert summary["A1"].value == "Loggutdrag över aktiva larmkunder"
    assert summary["A1"].font.bold
    assert (summary["A2"].value, summary["B2"].value) == ("Datum", dt.datetime(2026, 3, 10))
    assert summary["B2"].number_format == "yyyy-mm-dd"
    assert summary["B3"].value == placed.number
    header = [c.value for c in summary[7]]
    assert header == ["Utförare", "Trygghetslarm", "Akutlarm", "Totalt", "Att fakturera"]
    assert all(c.font.bold for c in summary[7])
    assert [c.value for c in summary[8]] == ["Annan Omsorg AB", 1, 0, 1, 1]
    assert [c.value for c in summary[9]] == ["Hemtjänsten Norr", 2, 1, 3, 2]
    assert [c.value for c in summary[10]] == ["Alla utförare", 3, 1, 4, 3]
    assert summary[10][0].font.bold
    assert summary.freeze_panes == "A8"

    sheet = book["Hemtjänsten Norr"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "Utförare"
    assert sheet["A1"].font.bold
    assert sheet.auto_filter.ref == "A1:I4"
    assert [sheet.cell(row=r, column=2).value for r in (2, 3, 4)] == [
        f"{place.client.last_name}, {place.client.first_name}",
        f"{place.neighbour.last_name}, {place.neighbour.first_name}",
        None,  # the emergency alarm
    ]
    assert sheet["C2"].value == place.client.display_national_id
    assert sheet["C2"].data_type == "s"
    assert sheet["I2"].value == dt.datetime(2025, 11, 3)  # a real date, not text
    assert sheet["I2"].is_date
    assert sheet["H4"].value == "Akutlarm (utförarens eget)"
    totals = [
        (sheet.cell(row=r, column=1).value, sheet.cell(row=r, column=2).value) for r in range(6, 10)
    ]
    assert totals == [("Trygghetslarm", 2), ("Akutlarm", 1), ("Totalt", 3), ("Att fakturera", 2)]
    assert sheet.column_dimensions["B"].width >= 12


def test_a_name_that_looks_like_a_formula_stays_text(place: Place) -> None:
    sly = ClientFactory(provider=place.provider, first_name='=HYPERLINK("x")', last_name="@Sum")
    safety(place, sly)
    result = make(order(place, place.manager, provider=place.provider))
    assert csv_rows(result)[1][1] == '\'@Sum, =HYPERLINK("x")'
    cell = workbook(result)["Hemtjänsten Norr"]["B2"]
    assert cell.data_type == "s"
    assert cell.value == '@Sum, =HYPERLINK("x")'


def test_sheet_titles_excel_accepts(place: Place) -> None:
    taken: set[str] = set()
    assert extracts._sheet_title("Omsorg [Norr]: A/B", taken) == "Omsorg  Norr   A B"
    long_name = "Hemtjänsten i Norra Stadsdelen Aktiebolag"
    assert extracts._sheet_title(long_name, taken) == long_name[:31]
    assert extracts._sheet_title(long_name, taken) == long_name[:27] + " (2)"


# Recorded on the order --------------------------------------------------------------------------


def test_it_says_on_the_order_what_was_made(place: Place) -> None:
    safety(place, place.client)
    emergency(place, place.provider)
    placed = order(place, place.manager, provider=place.provider)
    make(placed)
    comment = OrderComment.objects.get(order=placed)
    assert comment.author is None
    assert not comment.internal
    assert comment.text == (
        "Loggutdrag för 2026-03-10 gjort av Trygg. Trygghetslarm: 1, akutlarm: 1, totalt: 2, "
        "att fakturera: 1."
    )
    assert place.client.national_id not in comment.text


def test_every_generation_is_access_logged_per_client(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.client)  # two units, one client: one row
    safety(place, place.neighbour)
    emergency(place, place.provider)
    placed = order(place, place.manager, provider=place.provider)
    make(placed)
    rows = AccessLogEntry.objects.filter(action=AccessAction.EXPORT)
    assert sorted(rows.values_list("client_id", flat=True)) == sorted(
        [place.client.pk, place.neighbour.pk]
    )
    assert set(rows.values_list("user_id", flat=True)) == {place.manager.pk}  # made for
    assert set(rows.values_list("path", flat=True)) == {f"/orders/{placed.pk}/result/"}
    make(placed, by=place.tech)
    again = AccessLogEntry.objects.filter(action=AccessAction.EXPORT, user=place.tech)
    assert again.count() == 2


def test_the_log_extract_is_written_in_two_queries_of_the_access_log(
    place: Place, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        safety(place, ClientFactory(provider=place.provider))
    placed = order(place, place.manager, provider=place.provider)
    with django_assert_max_num_queries(20):  # no query per client
        make(placed)
    assert AccessLogEntry.objects.filter(action=AccessAction.EXPORT).count() == 30


def test_no_national_id_reaches_the_application_log(
    place: Place, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    safety(place, place.client)
    placed = order(place, place.manager, provider=place.provider)
    with caplog.at_level(logging.DEBUG):
        extracts.make_due_log_extracts()
        assert OrderResult.objects.filter(order=placed).count() == 1
        # A failure is logged by the order number, not by what it was working on.
        second = order(place, place.manager, provider=place.provider)

        def broken(extract: Any) -> bytes:
            raise ValueError(f"cannot write {place.client.national_id}")

        monkeypatch.setattr(extracts, "render_xlsx", broken)
        assert extracts.make_due_log_extracts() == 0
    assert second.number in caplog.text
    nid = place.client.national_id
    for form in (nid, place.client.display_national_id, nid[2:]):
        assert form not in caplog.text.replace(f"cannot write {nid}", "")


# The worker -------------------------------------------------------------------------------------


def test_the_worker_makes_each_extract_once_however_often_it_runs(place: Place) -> None:
    safety(place, place.client)
    first = order(place, place.manager, provider=place.provider)
    second = order(place, place.alarm_operator)
    assert first.result_due_at is not None
    assert extracts.make_due_log_extracts() == 2
    assert extracts.make_due_log_extracts() == 0
    assert OrderResult.objects.filter(order=first).count() == 1
    assert OrderResult.objects.filter(order=second).count() == 1
    assert OrderAttachment.objects.count() == 4
    first.refresh_from_db()
    assert first.result_due_at is None


def test_two_workers_cannot_claim_the_same_order(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    claimed = services.claim_due_result("log_extract")
    assert claimed is not None
    assert claimed[0] == placed
    assert services.claim_due_result("log_extract") is None  # held by the first


def test_a_worker_whose_claim_was_taken_over_keeps_nothing(place: Place, tmp_path: Path) -> None:
    safety(place, place.client)
    placed = order(place, place.manager, provider=place.provider)
    claimed = services.claim_due_result("log_extract")
    assert claimed is not None
    # Meanwhile someone makes it by hand: the worker's claim is gone.
    make(placed, by=place.tech)
    files_before = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    with pytest.raises(ResultClaimLost):
        extracts.make_log_extract(claimed[0], ResultRequest(claim=claimed[1]))
    assert OrderResult.objects.filter(order=placed).count() == 1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == files_before


def test_a_claim_left_by_a_dead_worker_runs_out(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    assert services.claim_due_result("log_extract") is not None  # and then it died
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    claimed = services.claim_due_result("log_extract", now=later)
    assert claimed is not None
    assert claimed[0] == placed


def test_a_failed_extract_is_tried_again_later(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = order(place, place.manager, provider=place.provider)

    def broken(extract: Any) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(extracts, "render_csv", broken)
    assert extracts.make_due_log_extracts() == 0
    placed.refresh_from_db()
    assert placed.result_due_at is not None
    assert placed.result_due_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=9)
    assert not OrderResult.objects.exists()
    monkeypatch.undo()
    assert extracts.make_due_log_extracts() == 0  # not yet
    later = placed.result_due_at + dt.timedelta(seconds=1)
    claimed = services.claim_due_result("log_extract", now=later)
    assert claimed is not None


def test_a_cancelled_order_gets_no_extract(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    services.change_status(place.manager, placed, OrderStatus.CANCELLED)
    assert extracts.make_due_log_extracts() == 0
    assert not OrderResult.objects.exists()


def test_other_order_types_are_not_queued(place: Place) -> None:
    order_type = OrderType.objects.get(municipality=place.municipality, code="nfc_tags")
    placed = services.place_order(
        place.manager,
        order_type,
        {"client": place.client.pk, "count": 2},
        provider=place.provider,
        clients=servicedesk_access.order_clients(place.manager, place.municipality.pk),
        now=WEDNESDAY,
    )
    assert placed.result_due_at is None


# Making it again, and the page ------------------------------------------------------------------


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    return http


def test_making_it_again_keeps_the_earlier_files(place: Place) -> None:
    safety(place, place.client)
    placed = order(place, place.manager, provider=place.provider)
    extracts.make_due_log_extracts()
    safety(place, place.neighbour)  # a placement registered late
    response = login(place.tech).post(f"/orders/{placed.pk}/result/")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{placed.pk}/#result"
    names = sorted(
        OrderAttachment.objects.filter(order=placed).values_list("original_name", flat=True)
    )
    stem = f"loggutdrag-2026-03-10-{placed.number}"
    assert names == [f"{stem}-2.csv", f"{stem}-2.xlsx", f"{stem}.csv", f"{stem}.xlsx"]
    newest, oldest = OrderResult.objects.filter(order=placed)
    assert (oldest.made_by, newest.made_by) == (None, place.tech)
    assert (oldest.summary["totals"]["safety"], newest.summary["totals"]["safety"]) == (1, 2)
    assert OrderComment.objects.filter(order=placed).count() == 2


def test_only_the_welfare_technology_team_makes_it_again(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    assert login(place.manager).post(f"/orders/{placed.pk}/result/").status_code == 403
    assert login(place.care_worker).post(f"/orders/{placed.pk}/result/").status_code == 404
    assert not OrderResult.objects.exists()
    assert login(place.admin).post(f"/orders/{placed.pk}/result/").status_code == 302
    assert OrderResult.objects.count() == 1


def test_a_closed_order_is_not_made_again(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    make(placed)
    services.change_status(
        place.tech, placed, OrderStatus.DONE, reason="Beställaren hämtade filen själv"
    )
    response = login(place.tech).post(f"/orders/{placed.pk}/result/", follow=True)
    assert "Beställningen är stängd" in response.content.decode()  # pages are Swedish
    assert OrderResult.objects.count() == 1


def test_the_order_page_shows_the_counts_and_the_files(place: Place) -> None:
    safety(place, place.client)
    emergency(place, place.provider)
    placed = order(place, place.manager, provider=place.provider)
    page = login(place.manager).get(f"/orders/{placed.pk}/").content.decode()
    assert "Trygg gör utdraget" in page  # Swedish, the default
    extracts.make_due_log_extracts()
    page = login(place.manager).get(f"/orders/{placed.pk}/").content.decode()
    assert "Aktiva larmkunder <strong>2026-03-10</strong>." in page
    assert "Hemtjänsten Norr" in page
    assert f"loggutdrag-2026-03-10-{placed.number}.xlsx" in page
    assert "Gör utdraget igen" not in page  # the orderer does not make it
    # Counts only: no client's name or national id (the staff's random names may share a
    # surname with the client, so the whole name is what must not be there).
    assert place.client.full_name not in page
    assert place.client.national_id not in page
    tech_page = login(place.tech).get(f"/orders/{placed.pk}/").content.decode()
    assert "Gör utdraget igen" in tech_page


def test_downloading_an_extract_is_an_export_of_each_client(place: Place) -> None:
    safety(place, place.client)
    safety(place, place.neighbour)
    placed = order(place, place.manager, provider=place.provider)
    result = make(placed)
    before = AccessLogEntry.objects.count()
    http = login(place.manager)
    attachment = result.files.get(original_name__endswith=".csv")
    response = http.get(f"/orders/{placed.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")
    rows = AccessLogEntry.objects.order_by("-id")[: AccessLogEntry.objects.count() - before]
    assert {(r.user_id, r.client_id, r.action) for r in rows} == {
        (place.manager.pk, place.client.pk, AccessAction.EXPORT),
        (place.manager.pk, place.neighbour.pk, AccessAction.EXPORT),
    }


def test_another_providers_staff_cannot_see_the_extract(place: Place) -> None:
    other_leader = make_staff(Role.TEAM_LEADER, provider=place.other_provider)
    placed = order(place, place.manager, provider=place.provider)
    result = make(placed)
    http = login(other_leader)
    assert http.get(f"/orders/{placed.pk}/").status_code == 404
    attachment = result.files.first()
    assert attachment is not None
    assert http.get(f"/orders/{placed.pk}/attachments/{attachment.pk}/").status_code == 404


def test_the_order_page_reads_the_same_however_many_extracts(
    place: Place, django_assert_num_queries: Any
) -> None:
    safety(place, place.client)
    placed = order(place, place.manager, provider=place.provider)
    make(placed)
    http = login(place.tech)
    http.get(f"/orders/{placed.pk}/")  # the session and the caches warm
    with CaptureQueriesContext(connection) as once:
        http.get(f"/orders/{placed.pk}/")
    make(placed, by=place.tech)
    make(placed, by=place.tech)
    with django_assert_num_queries(len(once.captured_queries)):
        response = http.get(f"/orders/{placed.pk}/")
    assert response.content.decode().count("loggutdrag-2026-03-10-") >= 6


def test_the_worker_ticks_the_steps_trygg_carried_out(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    extracts.make_due_log_extracts()
    steps = {s.title: s for s in placed.steps.all()}
    for title in extracts.STEPS_DONE_BY_TRYGG:
        assert steps[title].done_at is not None
        assert steps[title].done_by is None  # Trygg, no person
    assert steps["Meddela beställaren"].done_at is None
    page = login(place.tech).get(f"/orders/{placed.pk}/").content.decode()
    done_at = steps["Bifoga fil"].done_at
    assert done_at is not None
    with translation.override("sv"):
        assert f"Trygg · {moment_text(timezone.localtime(done_at))}" in page


def test_a_person_making_it_again_ticks_only_what_is_unticked(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    first = placed.steps.get(title="Ta ut loggutdrag")
    services.complete_step(place.tech, first)
    make(placed, by=place.admin)
    first.refresh_from_db()
    assert first.done_by == place.tech  # ticked by hand first: kept
    assert placed.steps.get(title="Bifoga fil").done_by == place.admin


def test_the_order_page_updates_itself_when_the_extract_is_attached(place: Place) -> None:
    placed = order(place, place.manager, provider=place.provider)
    http = login(place.manager)
    waiting_url = f"/orders/{placed.pk}/result/waiting/"
    page = http.get(f"/orders/{placed.pk}/").content.decode()
    assert f'hx-get="{waiting_url}"' in page
    assert 'hx-trigger="every 4s"' in page
    assert "ladda om sidan om en minut" not in page
    assert http.get(waiting_url).status_code == 204  # still waiting: nothing changes
    extracts.make_due_log_extracts()
    answer = http.get(waiting_url)
    assert answer.status_code == 200
    assert answer["HX-Refresh"] == "true"  # the page reloads with the files and steps
    page = http.get(f"/orders/{placed.pk}/").content.decode()
    assert waiting_url not in page  # attached: nothing asks any more
    assert f"loggutdrag-2026-03-10-{placed.number}.csv" in page
    # Only those who may see the order may ask.
    assert login(place.care_worker).get(waiting_url).status_code == 404
