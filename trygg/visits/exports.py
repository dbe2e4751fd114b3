"""The billing basis as files: CSV and XLSX, for the municipality's invoicing and the
provider's own checks.

The CSV is written for Swedish and Norwegian Excel, as the log extract's is
(`alarms/extracts.py` says why): `;` between fields, UTF-8 with a byte-order mark, CRLF,
dates as YYYY-MM-DD, national ids with their hyphen so Excel keeps them as text, and no
cell that Excel would run as a formula. The rows come first under one header row, for
import elsewhere; the totals and the visits per time band follow after an empty line.
The workbook has the same rows on one sheet (header in bold and frozen, a filter) and the
totals and bands on a second. National ids go into the files in full (invoices are matched
on them) and nowhere else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .billing import Basis
from .models import VisitPolicy

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)


def file_name(basis: Basis, extension: str) -> str:
    org = "".join(ch for ch in basis.provider.org_number if ch.isalnum()) or str(basis.provider.pk)
    return f"ersattningsunderlag-{org}-{basis.month:%Y-%m}.{extension}"


def _text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _headers() -> list[str]:
    return [
        _("Month"),
        _("Provider"),
        _("National id"),
        _("Client"),
        _("Service code"),
        pgettext("a granted service item", "Service"),
        _("Granted minutes"),
        _("Performed minutes"),
        _("Difference"),
        _("Payable minutes"),
    ]


def _rows(basis: Basis) -> list[list[Any]]:
    return [
        [
            basis.month.strftime("%Y-%m"),
            basis.provider.name,
            row.national_id,
            row.client_name,
            row.service_code,
            row.service_name,
            row.granted,
            row.performed,
            row.difference,
            row.payable,
        ]
        for row in basis.rows
    ]


def _facts(basis: Basis) -> list[list[Any]]:
    paid_by = (
        _("granted time")
        if basis.payment_basis == VisitPolicy.PaymentBasis.GRANTED
        else _("performed time")
    )
    return [
        [_("Provider"), basis.provider.name],
        [_("Month"), basis.month.strftime("%Y-%m")],
        [_("Payment follows"), paid_by],
        [_("Rounding of each visit (minutes)"), basis.rounding],
        [_("Granted minutes"), basis.granted],
        [_("Performed minutes"), basis.performed],
        [_("Difference"), basis.difference],
        [_("Payable minutes"), basis.payable],
        [_("Visits carried out"), basis.visits],
        [_("Client not at home"), basis.not_home],
        [_("Client declined the visit"), basis.declined],
    ]


def _bands(basis: Basis) -> list[list[Any]]:
    return [
        [_("Time band"), _("Visits"), _("Minutes")],
        *([figures.label, figures.visits, figures.minutes] for figures in basis.bands),
    ]


def _csv_cell(value: Any) -> str:
    if isinstance(value, int | dt.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    return _text(str(value))


def render_csv(basis: Basis) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers())
    for row in _rows(basis):
        writer.writerow([_csv_cell(value) for value in row])
    writer.writerow([])
    for row in _facts(basis):
        writer.writerow([_csv_cell(value) for value in row])
    writer.writerow([])
    for row in _bands(basis):
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _put(sheet: Worksheet, row: int, values: Sequence[Any], *, bold: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            # Assigned as text: openpyxl would store a string starting with = as a formula.
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
        else:
            cell.value = value
        if bold:
            cell.font = _BOLD


def _fit(sheet: Worksheet, rows: Sequence[Sequence[Any]]) -> None:
    widths: dict[int, int] = {}
    for row in rows:
        for column, value in enumerate(row, start=1):
            widths[column] = max(widths.get(column, 0), len(str(value)))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 50)


def render_xlsx(basis: Basis) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Billing basis")[:31]
    headers, rows = _headers(), _rows(basis)
    _put(sheet, 1, headers, bold=True)
    for index, row in enumerate(rows, start=2):
        _put(sheet, index, row)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    _fit(sheet, [headers, *rows])

    totals = workbook.create_sheet(_("Totals")[:31])
    facts, bands = _facts(basis), _bands(basis)
    for index, row in enumerate(facts, start=1):
        _put(totals, index, row)
        totals.cell(row=index, column=1).font = _BOLD
    start = len(facts) + 2
    for index, row in enumerate(bands):
        _put(totals, start + index, row, bold=index == 0)
    _fit(totals, [*facts, *bands])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
