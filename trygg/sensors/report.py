"""The report of sensor alarms and response times per client and month: how many alarms
the infrared cameras raised, and how long they waited to be acknowledged and for someone
to be on site. For the follow-up of the service (the routine's service owners) and of
each client's rules: a client whose "left bed" wakes the night staff every night may need
the rule changed.

Months are the municipality's calendar months; times are medians and the longest, in
whole minutes, of the alarms that got there (an alarm never acknowledged counts in
"not acknowledged", not in the times). Built on `access.report_alarms`: a provider sees
its own clients only.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from trygg.alarms.models import AlarmPriority
from trygg.core.models import Client, Municipality, User

from . import access


@dataclass
class ReportRow:
    client: Client
    month: dt.date  # the first of the month
    alarms: int = 0
    high_priority: int = 0
    acknowledged: list[float] = field(default_factory=list)  # minutes
    on_site: list[float] = field(default_factory=list)

    @property
    def not_acknowledged(self) -> int:
        return self.alarms - len(self.acknowledged)

    @staticmethod
    def _median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    @property
    def acknowledge_median(self) -> float | None:
        return self._median(self.acknowledged)

    @property
    def acknowledge_longest(self) -> float | None:
        return round(max(self.acknowledged), 1) if self.acknowledged else None

    @property
    def on_site_median(self) -> float | None:
        return self._median(self.on_site)

    @property
    def on_site_longest(self) -> float | None:
        return round(max(self.on_site), 1) if self.on_site else None


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def report_rows(
    user: User, municipality: Municipality, first: dt.date, last: dt.date
) -> list[ReportRow]:
    """One row per client and month from the month of `first` to the month of `last`,
    for the clients the user may see; by month, then the client's name."""
    zone = municipality.zone
    since = dt.datetime.combine(month_start(first), dt.time(), zone)
    until = dt.datetime.combine(next_month(month_start(last)), dt.time(), zone)
    alarms = (
        access.report_alarms(user)
        .filter(municipality=municipality, created_at__gte=since, created_at__lt=until)
        .select_related("client")
        .only(
            "created_at",
            "acknowledged_at",
            "on_site_at",
            "priority",
            "client__first_name",
            "client__last_name",
            "client__municipality",
            "client__provider",
        )
    )
    rows: dict[tuple[dt.date, int], ReportRow] = {}
    for alarm in alarms:
        if alarm.client is None:
            continue
        month = month_start(municipality.local_date(alarm.created_at))
        row = rows.setdefault((month, alarm.client_id), ReportRow(alarm.client, month))  # type: ignore[arg-type]
        row.alarms += 1
        row.high_priority += alarm.priority == AlarmPriority.HIGH
        if alarm.acknowledged_at is not None:
            row.acknowledged.append((alarm.acknowledged_at - alarm.created_at).total_seconds() / 60)
        if alarm.on_site_at is not None:
            row.on_site.append((alarm.on_site_at - alarm.created_at).total_seconds() / 60)
    return sorted(
        rows.values(),
        key=lambda r: (r.month, r.client.last_name, r.client.first_name, r.client.pk),
    )


def headers() -> list[str]:
    return [
        _("Month"),
        _("Client"),
        _("Alarms"),
        _("High priority"),
        _("Not acknowledged"),
        _("To acknowledge, median (min)"),
        _("To acknowledge, longest (min)"),
        _("On site"),
        _("To on site, median (min)"),
        _("To on site, longest (min)"),
    ]


def _values(row: ReportRow) -> list[object]:
    return [
        f"{row.month:%Y-%m}",
        row.client.full_name,
        row.alarms,
        row.high_priority,
        row.not_acknowledged,
        row.acknowledge_median,
        row.acknowledge_longest,
        len(row.on_site),
        row.on_site_median,
        row.on_site_longest,
    ]


def _cell(value: object) -> object:
    if value is None:
        return ""
    # A name a spreadsheet would read as a formula is written as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def table(rows: Iterable[ReportRow]) -> list[list[object]]:
    """The report as lines of values, for CSV ("" for a time nobody reached)."""
    return [[_cell(v) for v in _values(row)] for row in rows]


def workbook(rows: Iterable[ReportRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Sensor alarms")[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) if isinstance(v, str) else v for v in _values(row)])
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", (10, 28, 8, 10, 12, 14, 14, 8, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
