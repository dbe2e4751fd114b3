"""Look-ins done and missed per night and team, for the page and its CSV and XLSX files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .constants import LookInStatus, Outcome
from .models import LookIn

MAX_NIGHTS = 92


@dataclass(frozen=True)
class ReportRow:
    night: dt.date
    team: str
    planned: int
    done: int
    seen_fine: int
    not_seen: int
    needs_visit: int
    camera_fault: int
    physical: int
    missed: int
    paused: int

    @property
    def share_done(self) -> str:
        counted = self.done + self.missed
        return f"{round(100 * self.done / counted)} %" if counted else "-"


def report(lookins: QuerySet[LookIn], first: dt.date, last: dt.date) -> list[ReportRow]:
    """One row per night and team, newest night first; retries count as look-ins."""
    rows = (
        lookins.filter(night__gte=first, night__lte=last)
        .values("night", "team__name")
        .annotate(
            planned=Count("pk", filter=Q(retry_of__isnull=True)),
            done=Count("pk", filter=Q(status=LookInStatus.DONE)),
            seen_fine=Count("pk", filter=Q(outcome=Outcome.SEEN_FINE)),
            not_seen=Count("pk", filter=Q(outcome=Outcome.NOT_SEEN)),
            needs_visit=Count("pk", filter=Q(outcome=Outcome.NEEDS_VISIT)),
            camera_fault=Count("pk", filter=Q(outcome=Outcome.CAMERA_FAULT)),
            physical=Count("pk", filter=Q(status=LookInStatus.DONE, physical=True)),
            missed=Count("pk", filter=Q(status=LookInStatus.MISSED)),
            paused=Count("pk", filter=Q(status=LookInStatus.PAUSED)),
        )
        .order_by("-night", "team__name")
    )
    return [
        ReportRow(
            night=r["night"],
            team=r["team__name"] or "-",
            planned=r["planned"],
            done=r["done"],
            seen_fine=r["seen_fine"],
            not_seen=r["not_seen"],
            needs_visit=r["needs_visit"],
            camera_fault=r["camera_fault"],
            physical=r["physical"],
            missed=r["missed"],
            paused=r["paused"],
        )
        for r in rows
    ]


def headers() -> list[str]:
    return [
        _("Night"),
        _("Team"),
        _("Planned"),
        _("Done"),
        _("Seen and fine"),
        _("Not seen"),
        _("Needs a visit"),
        _("Camera fault"),
        _("Physical visits"),
        _("Missed"),
        _("Paused"),
    ]


def _cells(row: ReportRow) -> list[object]:
    return [
        row.night,
        row.team,
        row.planned,
        row.done,
        row.seen_fine,
        row.not_seen,
        row.needs_visit,
        row.camera_fault,
        row.physical,
        row.missed,
        row.paused,
    ]


def as_csv(rows: list[ReportRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers())
    for row in rows:
        cells = _cells(row)
        cells[0] = row.night.isoformat()
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so Excel reads the å, ä and ö


def as_xlsx(rows: list[ReportRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Look-ins")[:31]
    sheet.append(headers())
    for row in rows:
        sheet.append(_cells(row))
    for cell in sheet["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 20
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
