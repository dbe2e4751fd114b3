"""The log extract (loggutdrag) of active alarm customers on a date, for billing.

A provider orders the extract of its own customers through the service desk, or the
municipality orders one of every provider's (order type `log_extract`). Trygg makes it by
itself soon after the order is placed (the worker job below), and the welfare-technology
team can make it again from the order's page; the earlier files stay on the order.

- The date must be a working day for the municipality (no weekend, public holiday, Swedish
  eve or day the municipality keeps closed) and not in the future; without one, the extract
  is of the order date. Checked when the order is placed (`check_log_extract_order`).
- Each provider's section lists every placement in force that day (name, national id in
  full: the file is for billing, address, unit serial number, alarm type, first day) and
  counts the customers with a safety alarm and the provider's own emergency alarms
  (akutlarm). Emergency alarms are on the extract but earn no payment: billable is the
  total less them.
- Delivered as CSV and XLSX attached to the order. Making it is an export of each client
  listed and access-logged so, as is every download of the files. National ids go into
  the files and nowhere else: not into the summary, comments or application logs.

CSV for Swedish and Norwegian Excel: `;` between fields, because both locales write the
decimal comma and Excel splits a double-clicked .csv on the locale's list separator, which is
then `;`; UTF-8 with a byte-order mark, without which Excel reads the file as Windows-1252
and garbles å, ä and ö (a `sep=;` line is not used: with it Excel ignores the mark); CRLF
line ends (RFC 4180); dates as YYYY-MM-DD, which Excel takes for dates in both locales;
national ids with their hyphen or space, so Excel keeps them as text instead of turning
them into numbers and dropping a Norwegian id's leading zero. The lines come first under
one header row, for import elsewhere; the counts per provider follow after an empty line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy, override, pgettext
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from trygg import worker
from trygg.core.languages import COUNTRY_LANGUAGE
from trygg.core.models import Client, Municipality, Provider, User
from trygg.devices.models import AlarmUnitKind
from trygg.devices.services import ActiveAlarmCustomer, active_alarm_customers
from trygg.lib import workdays
from trygg.servicedesk import hooks, services
from trygg.servicedesk.hooks import GeneratedFile, ResultRequest
from trygg.servicedesk.models import Order, OrderResult, OrderType
from trygg.servicedesk.services import ResultClaimLost

from .access import log_extract_providers

logger = logging.getLogger(__name__)

ORDER_TYPE_CODE = "log_extract"
DATE_FIELD = "extract_date"
FILE_PREFIX = "loggutdrag"
CSV_CONTENT_TYPE = "text/csv"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEPS_DONE_BY_TRYGG = ("Ta ut loggutdrag", "Kontrollera akutlarm", "Bifoga fil")
# Orders claimed per run of the job; the rest wait for the next run, seconds later.
BATCH = 20

# The holidays package names holidays in these of our languages, per country.
_HOLIDAY_LANGUAGES = {"SE": {"sv": "sv", "en": "en_US"}, "NO": {"nb": "no", "en": "en_US"}}
# A cell starting with one of these is a formula to Excel (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


# The extract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSection:
    """One provider's part of the extract: its lines and what they count to."""

    provider: Provider
    lines: tuple[ActiveAlarmCustomer, ...]

    @property
    def safety(self) -> int:
        """Customers with a safety alarm: a client with two units is one customer."""
        return len({line.client.pk for line in self.lines if line.client is not None})

    @property
    def emergency(self) -> int:
        """The provider's own emergency alarms (akutlarm): listed, not paid for."""
        return sum(1 for line in self.lines if line.is_emergency_alarm)

    @property
    def total(self) -> int:
        return self.safety + self.emergency

    @property
    def billable(self) -> int:
        return self.total - self.emergency

    def counts(self) -> dict[str, int]:
        return {
            "safety": self.safety,
            "emergency": self.emergency,
            "total": self.total,
            "billable": self.billable,
        }


@dataclass(frozen=True)
class LogExtract:
    """The active alarm customers of one or more providers on a date."""

    municipality: Municipality
    order_number: str
    day: dt.date
    date_given: bool  # False: no date was asked for, so it is the order date
    made_at: dt.datetime
    sections: tuple[ProviderSection, ...]

    def totals(self) -> dict[str, int]:
        keys = ("safety", "emergency", "total", "billable")
        return {key: sum(section.counts()[key] for section in self.sections) for key in keys}

    @property
    def clients(self) -> list[Client]:
        """Each client listed, once: whose personal data the files hold."""
        seen: dict[int, Client] = {}
        for section in self.sections:
            for line in section.lines:
                if line.client is not None:
                    seen.setdefault(line.client.pk, line.client)
        return list(seen.values())

    def summary(self) -> dict[str, Any]:
        """What the order's page shows: counts per provider, no personal data."""
        return {
            "date": self.day.isoformat(),
            "date_given": self.date_given,
            "providers": [
                {"id": s.provider.pk, "name": s.provider.name, **s.counts()} for s in self.sections
            ],
            "totals": self.totals(),
        }


def extract_date(order: Order) -> tuple[dt.date, bool]:
    """The day the order asks for, or the order date when it asks for none."""
    value = order.values.get(DATE_FIELD)
    if value:
        return dt.date.fromisoformat(value), True
    return order.municipality.local_date(order.placed_at), False


def build_extract(order: Order, now: dt.datetime | None = None) -> LogExtract:
    """The extract the order asks for: its provider's customers, or every provider's for
    an order placed by the municipality (`alarms.access.log_extract_providers`)."""
    day, given = extract_date(order)
    providers = list(log_extract_providers(order).order_by("name", "pk"))
    lines = active_alarm_customers(order.municipality, day, providers=providers)
    by_provider: dict[int, list[ActiveAlarmCustomer]] = {}
    for line in lines:
        by_provider.setdefault(line.provider.pk, []).append(line)
    sections = tuple(
        ProviderSection(provider, tuple(by_provider.get(provider.pk, ())))
        for provider in providers
        # A provider that has ended shows only while it still has customers; the one an
        # order was placed for always shows.
        if provider.is_active or provider.pk in by_provider or order.provider_id == provider.pk
    )
    return LogExtract(
        municipality=order.municipality,
        order_number=order.number,
        day=day,
        date_given=given,
        made_at=now or timezone.now(),
        sections=sections,
    )


# The files --------------------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Provider"),
        _("Name"),
        _("National id"),
        _("Street address"),
        _("Postal code"),
        _("City"),
        _("Unit serial number"),
        _("Alarm type"),
        _("Active from"),
    ]


def _count_headers() -> list[str]:
    return [_("Provider"), _("Safety alarms"), _("Emergency alarms"), _("Total"), _("Billable")]


def _line_values(line: ActiveAlarmCustomer) -> list[Any]:
    client = line.client
    kind = str(AlarmUnitKind(line.kind).label)
    if client is None:  # an emergency alarm: the provider holds it, no person is listed
        return [line.provider.name, "", "", "", "", "", line.unit_serial, kind, line.active_from]
    return [
        line.provider.name,
        f"{client.last_name}, {client.first_name}",
        client.display_national_id,
        client.street,
        client.postal_code,
        client.city,
        line.unit_serial,
        kind,
        line.active_from,
    ]


def _safe_text(value: str) -> str:
    """Text as a cell shows it, never run: no control characters, no formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return _safe_text(str(value))


def render_csv(extract: LogExtract) -> bytes:
    """The extract as CSV for Excel in Sweden and Norway (see the module's notes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers())
    for section in extract.sections:
        for line in section.lines:
            writer.writerow([_csv_value(v) for v in _line_values(line)])
    writer.writerow([])
    writer.writerow(_count_headers())
    for section in extract.sections:
        counts = section.counts()
        writer.writerow(
            [_safe_text(section.provider.name), *(counts[k] for k in _COUNT_KEYS)],
        )
    if len(extract.sections) > 1:
        totals = extract.totals()
        writer.writerow([_("All providers"), *(totals[k] for k in _COUNT_KEYS)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_COUNT_KEYS = ("safety", "emergency", "total", "billable")
_BOLD = Font(bold=True)
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet title Excel accepts: at most 31 characters, none of []:*?/\\, unique
    regardless of case."""
    base = _SHEET_TITLE_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", name)).strip(" '") or "-"
    title = base[:31]
    n = 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.casefold())
    return title


def _put(sheet: Worksheet, row: int, values: Sequence[Any], *, bold: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            # Assigned as text: openpyxl would store a string starting with = as a formula.
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
        else:
            cell.value = value
        if isinstance(value, dt.datetime):
            cell.number_format = _DATETIME_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = _DATE_FORMAT
        if bold:
            cell.font = _BOLD


def _fit_columns(sheet: Worksheet, widths: Mapping[int, int]) -> None:
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 50)


def _widths(rows: Sequence[Sequence[Any]]) -> dict[int, int]:
    widths: dict[int, int] = {}
    for row in rows:
        for column, value in enumerate(row, start=1):
            size = 10 if isinstance(value, dt.date) else len(str(value))
            widths[column] = max(widths.get(column, 0), size)
    return widths


def render_xlsx(extract: LogExtract) -> bytes:
    """The extract as an Excel workbook: a summary sheet with the counts per provider and a
    total, then one sheet per provider with its lines (header row in bold and frozen, a
    filter, real dates) and its counts under them."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    taken: set[str] = set()
    summary.title = _sheet_title(_("Summary"), taken)
    local_made = extract.municipality.localtime(extract.made_at)
    _put(summary, 1, [_("Log extract of active alarm customers")], bold=True)
    summary["A1"].font = Font(bold=True, size=14)
    facts = [
        (_("Date"), extract.day),
        (pgettext("a service-desk order", "Order"), extract.order_number),
        (_("Municipality"), extract.municipality.name),
        # Local time to the minute: Excel has no time zones.
        (_("Made"), local_made.replace(tzinfo=None, second=0, microsecond=0)),
    ]
    for offset, (label, value) in enumerate(facts, start=2):
        _put(summary, offset, [label, value])
        summary.cell(row=offset, column=1).font = _BOLD
        summary.cell(row=offset, column=2).alignment = Alignment(horizontal="left")
    header_row = len(facts) + 3
    _put(summary, header_row, _count_headers(), bold=True)
    count_rows: list[list[Any]] = []
    for section in extract.sections:
        counts = section.counts()
        count_rows.append([section.provider.name, *(counts[k] for k in _COUNT_KEYS)])
    for offset, values in enumerate(count_rows, start=header_row + 1):
        _put(summary, offset, values)
    totals = extract.totals()
    total_row = header_row + len(count_rows) + 1
    _put(summary, total_row, [_("All providers"), *(totals[k] for k in _COUNT_KEYS)], bold=True)
    summary.freeze_panes = summary.cell(row=header_row + 1, column=1)
    _fit_columns(summary, _widths([_count_headers(), *count_rows]))
    note_row = total_row + 2
    _put(
        summary,
        note_row,
        [_("Billable is the total less the emergency alarms, which earn no payment.")],
    )

    headers = _headers()
    for section in extract.sections:
        sheet = workbook.create_sheet(_sheet_title(section.provider.name, taken))
        _put(sheet, 1, headers, bold=True)
        rows = [_line_values(line) for line in section.lines]
        for offset, values in enumerate(rows, start=2):
            _put(sheet, offset, values)
        last = len(rows) + 1
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last, 2)}"
        counts = section.counts()
        labels = [_("Safety alarms"), _("Emergency alarms"), _("Total"), _("Billable")]
        for offset, (label, key) in enumerate(zip(labels, _COUNT_KEYS, strict=True)):
            row = last + 2 + offset
            _put(sheet, row, [label, counts[key]], bold=key in ("total", "billable"))
            sheet.cell(row=row, column=1).font = _BOLD
        _fit_columns(sheet, _widths([headers, *rows]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Making it for an order ---------------------------------------------------------------------


def _comment(extract: LogExtract, made_by: User | None) -> str:
    who = (made_by.get_full_name() or made_by.username) if made_by is not None else "Trygg"
    totals = extract.totals()
    text = _("Log extract for %(day)s made by %(who)s.") % {
        "day": extract.day.isoformat(),
        "who": who,
    }
    text += " " + (
        _(
            "Safety alarms: %(safety)s, emergency alarms: %(emergency)s, total: %(total)s, "
            "billable: %(billable)s."
        )
        % totals
    )
    if len(extract.sections) > 1:
        text += " " + _("%(count)s providers, each with its own counts in the files.") % {
            "count": len(extract.sections)
        }
    return text


def make_log_extract(order: Order, request: ResultRequest) -> OrderResult:
    """Make the order's extract, attach its CSV and XLSX files, write the comment and the
    access-log rows. The files and comment are in the municipality's language: they are
    the municipality's documents, whoever made them. Raises ResultClaimLost when made
    under a worker's claim that someone else has taken over meanwhile."""
    now = timezone.now()
    extract = build_extract(order, now)
    stem = services.result_file_stem(order, f"{FILE_PREFIX}-{extract.day.isoformat()}")
    with override(COUNTRY_LANGUAGE.get(order.municipality.country, "sv")):
        files = [
            GeneratedFile(f"{stem}.csv", render_csv(extract), CSV_CONTENT_TYPE),
            GeneratedFile(f"{stem}.xlsx", render_xlsx(extract), XLSX_CONTENT_TYPE),
        ]
        comment = _comment(extract, request.made_by)
    return services.record_result(
        order,
        request,
        summary=extract.summary(),
        files=files,
        clients=extract.clients,
        comment=comment,
        now=now,
    )


@worker.register("alarms.log_extracts", every=5)
def make_due_log_extracts() -> int:
    """Make the extracts of orders placed since the last run. Any number of workers may run
    this side by side: each order is claimed by one (`services.claim_due_result`). One that
    fails is tried again later; the others go on."""
    made = 0
    for _round in range(BATCH):
        claimed = services.claim_due_result(ORDER_TYPE_CODE)
        if claimed is None:
            break
        order, claim = claimed
        try:
            make_log_extract(order, ResultRequest(claim=claim))
        except ResultClaimLost:
            continue
        except Exception:
            # The order number only: what went wrong may quote the data, which is personal.
            logger.exception(
                "Log extract for order %s failed; it is tried again later", order.number
            )
            services.release_result_claim(order, claim)
        else:
            made += 1
    return made


# Checking the order -------------------------------------------------------------------------


def _long_date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _with_weekday(day: dt.date) -> str:
    return _("%(weekday)s, %(date)s") % {
        "weekday": formats.date_format(day, "l"),
        "date": _long_date(day),
    }


def _holiday(day: dt.date, country: str) -> str | None:
    language = _HOLIDAY_LANGUAGES.get(country, {}).get((get_language() or "sv")[:2])
    return workdays.holiday_name(day, country, language)


def _not_a_working_day(municipality: Municipality, day: dt.date) -> str:
    """Why `day` is no working day, in the words a person would use."""
    shown = _long_date(day)
    holiday = _holiday(day, municipality.country)
    if holiday:
        return _("%(day)s is %(holiday)s, not a working day.") % {"day": shown, "holiday": holiday}
    if day.weekday() >= 5:
        return _("%(day)s is a %(weekday)s, not a working day.") % {
            "day": shown,
            "weekday": formats.date_format(day, "l"),
        }
    reason = (
        municipality.extra_closed_days.filter(date=day).values_list("reason", flat=True).first()
    )
    if reason:
        return _("%(day)s is a day the municipality keeps closed (%(reason)s).") % {
            "day": shown,
            "reason": reason,
        }
    return _("%(day)s is a day the municipality keeps closed.") % {"day": shown}


def check_log_extract_order(
    order_type: OrderType, values: Mapping[str, Any], placed: dt.date
) -> dict[str, list[str]]:
    """A date asked for must be a working day for the municipality and not after the day
    the order is placed: who will have an alarm on a later day is not known yet."""
    day = values.get(DATE_FIELD)
    if not isinstance(day, dt.date):
        return {}
    municipality = order_type.municipality
    closed = set(municipality.closed_days())
    if day > placed:
        latest = (
            placed
            if workdays.is_working_day(placed, municipality.country, closed)
            else workdays.previous_working_day(placed, municipality.country, closed)
        )
        not_yet = _(
            "%(day)s has not come yet: an extract lists who had an alarm on a day that "
            "has begun. Choose %(latest)s or an earlier working day."
        ) % {"day": _long_date(day), "latest": _with_weekday(latest)}
        if workdays.is_working_day(day, municipality.country, closed):
            return {DATE_FIELD: [not_yet]}
        # Not a working day either: say so, or the orderer comes back that day and is
        # refused again. The working days around it can be ordered once they have begun.
        before, after = workdays.nearest_working_days(day, municipality.country, closed)
        nearest = _(
            "The nearest working days are %(before)s and %(after)s; order them once they "
            "have begun."
        ) % {"before": _with_weekday(before), "after": _with_weekday(after)}
        if before <= placed:
            nearest = _(
                "The nearest working days are %(before)s and %(after)s, the latter once it "
                "has begun."
            ) % {"before": _with_weekday(before), "after": _with_weekday(after)}
        why = _not_a_working_day(municipality, day)
        return {DATE_FIELD: [f"{why} {nearest} {not_yet}"]}
    if workdays.is_working_day(day, municipality.country, closed):
        return {}
    before, after = workdays.nearest_working_days(day, municipality.country, closed)
    why = _not_a_working_day(municipality, day)
    if after <= placed:
        choose = _("The nearest working days are %(before)s and %(after)s.") % {
            "before": _with_weekday(before),
            "after": _with_weekday(after),
        }
    else:
        choose = _("The nearest working day before it is %(before)s.") % {
            "before": _with_weekday(before)
        }
    return {DATE_FIELD: [f"{why} {choose}"]}


hooks.register(
    ORDER_TYPE_CODE,
    hooks.OrderTypeHooks(
        validate=check_log_extract_order,
        make_result=make_log_extract,
        make_label=gettext_lazy("Make the extract"),
        make_again_label=gettext_lazy("Make the extract again"),
        # The catalogue's steps Trygg carries out when it makes the extract: it takes the
        # extract, sets the emergency alarms apart from the billable count, attaches the files.
        steps_done=STEPS_DONE_BY_TRYGG,
        summary_template="servicedesk/partials/result_log_extract.html",
    ),
)
