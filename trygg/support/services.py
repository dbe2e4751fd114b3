"""Support routing and the service catalogue: reading the rules, recording call-outs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trygg.core.models import Municipality, User

from .constants import Caller, Currency, DayType, LineKind, Reason, System
from .models import CallOut, EscalationStep, OpeningRule, Service, SupportLine, split_codes
from .routing import Answer, Calendar, LineData, OpeningRuleData, StepData, who_to_call

# A call-out recorded this far in the future is a typing mistake, not a booking.
_FUTURE_TOLERANCE = dt.timedelta(days=1)
_MAX_COST = Decimal("10000000")
# The holidays package's names for Django's language codes.
DASH = "\u2013"  # an en dash, for spans of time and days
_HOLIDAY_LANGUAGES = {"sv": "sv", "nb": "no", "en": "en_US"}


def calendar_for(municipality: Municipality) -> Calendar:
    return Calendar(
        country=municipality.country,
        tz=municipality.zone,
        closed=municipality.closed_days(),
    )


def _rule_data(rule: OpeningRule) -> OpeningRuleData:
    return OpeningRuleData(
        start=rule.start,
        end=rule.end,
        weekdays=rule.weekday_set,
        day_type=rule.day_type,
        closed=rule.closed,
    )


def line_data(line: SupportLine) -> LineData:
    return LineData(
        id=line.pk,
        name=line.name,
        phone=line.phone,
        email=line.email,
        kind=line.kind,
        systems=frozenset(line.system_list),
        district_id=line.district_id,
        priority=line.priority,
        always_open=line.always_open,
        rules=tuple(_rule_data(r) for r in line.rules.all()),
        note=line.note,
        audience=line.audience,
        others_instead=line.others_instead,
        no_account_help=line.no_account_help,
    )


def active_lines(municipality: Municipality) -> QuerySet[SupportLine]:
    return (
        SupportLine.objects.filter(municipality=municipality, is_active=True)
        .select_related("district")
        .prefetch_related(Prefetch("rules", queryset=OpeningRule.objects.order_by("start")))
        .order_by("priority", "name", "pk")
    )


def routing_data(municipality: Municipality) -> tuple[list[LineData], list[StepData]]:
    lines = [line_data(line) for line in active_lines(municipality)]
    steps = [
        StepData(
            order=s.order,
            system=s.system,
            kind=s.kind,
            text=s.text,
            line_id=s.line_id,
            applies=s.applies,
        )
        for s in EscalationStep.objects.filter(municipality=municipality).order_by("order")
    ]
    return lines, steps


def systems_with_support(lines: list[LineData]) -> list[str]:
    served = {system for line in lines for system in line.systems}
    return [system for system in System.values if system in served]


def answers(
    municipality: Municipality,
    at: dt.datetime,
    district_id: int | None,
    systems: list[str] | None = None,
    caller: str = Caller.MUNICIPAL,
) -> list[Answer]:
    """Who to call now about each system (those with any support line, or `systems`), for
    a caller on the municipality's side or a private provider's staff."""
    lines, steps = routing_data(municipality)
    calendar = calendar_for(municipality)
    chosen = systems if systems is not None else systems_with_support(lines)
    return [
        who_to_call(system, at, district_id, lines, calendar, steps, caller) for system in chosen
    ]


def _clock(moment: dt.datetime, now: dt.datetime) -> str:
    """ "16:00" today, "Mon 07:00" within the week, else the date too."""
    if moment.date() == now.date():
        return date_format(moment, "H:i")
    if (moment.date() - now.date()).days < 7:
        return date_format(moment, "D H:i")
    return date_format(moment, "j M H:i")


def describe(answer: Answer) -> str:
    """Why the answer is this line, in a sentence for the card."""
    now = answer.at
    until = _clock(answer.open_until, now) if answer.open_until else None
    back = _clock(answer.next_opening, now) if answer.next_opening else None
    holiday = answer.holiday or _("a holiday")
    match answer.reason:
        case Reason.OPEN | Reason.OPEN_SHORT_DAY if until is None:
            return _("Support is open around the clock.")
        case Reason.OPEN:
            return _("Support is open until %(time)s.") % {"time": until}
        case Reason.OPEN_SHORT_DAY:
            return _("Support is open until %(time)s: short day before %(holiday)s.") % {
                "time": until,
                "holiday": holiday,
            }
        case Reason.LUNCH:
            text = _("Support is closed for lunch.")
        case Reason.CLOSED_EARLY:
            text = _("Support closed early: the day before %(holiday)s.") % {"holiday": holiday}
        case Reason.HOLIDAY:
            text = _("Support is closed: %(holiday)s.") % {"holiday": holiday}
        case Reason.WEEKEND:
            text = _("Support is closed at weekends.")
        case Reason.NO_SUPPORT:
            text = _("There is no support line with opening hours for this system.")
        case Reason.NOT_FOR_CALLER:
            return _("This support is for the municipality's own staff only.")
        case _unknown:
            text = _("Support is closed out of hours.")
    if back:
        text += " " + _("Open again %(time)s.") % {"time": back}
    return text


def not_for_caller_texts(answer: Answer) -> list[str]:
    """Each line the caller may not use, and where to turn instead."""
    texts = []
    for line in answer.not_for_caller:
        text = _("%(line)s is for the municipality's own staff only.") % {"line": line.name}
        if line.others_instead:
            text += " " + line.others_instead
        texts.append(text)
    return texts


def describe_accounts(answer: Answer) -> str | None:
    """What to do about a locked account or a password when a named line will not."""
    help_ = answer.accounts
    if help_ is None:
        return None
    text = _("%(line)s does not unlock accounts or change passwords.") % {
        "line": help_.refused_by.name
    }
    if help_.desk is None:
        return text + " " + _("Contact the service desk when it opens on a working day.")
    desk = {"desk": help_.desk.name, "phone": help_.desk.phone}
    if help_.opens is None:
        return text + " " + _("Call %(desk)s, %(phone)s, open now.") % desk
    when = _clock(help_.opens, answer.at)
    return (
        text + " " + _("Call %(desk)s, %(phone)s, when it opens %(time)s.") % {**desk, "time": when}
    )


def localised_holiday_answer(answer: Answer, municipality: Municipality) -> Answer:
    """The answer with the holiday's name in the current interface language."""
    if answer.holiday is None:
        return answer
    day = answer.at.date()
    if answer.day_type == DayType.BEFORE_HOLIDAY:
        day += dt.timedelta(days=1)
    language = _HOLIDAY_LANGUAGES.get((get_language() or "sv")[:2])
    name = calendar_for(municipality).holiday_name(day, language) or answer.holiday
    return replace(answer, holiday=name)


@dataclass(frozen=True)
class LineHours:
    """A line and its opening hours as text, for the catalogue."""

    line: SupportLine
    hours: list[str]


def hours_text(line: SupportLine) -> list[str]:
    """The opening rules as short lines of text: "Mon-Thu 07:00-16:00", "Closed 12:00-13:00"."""
    if line.always_open:
        if line.kind == LineKind.OUT_OF_HOURS:
            # Answered day and night, but offered only while the support line is closed:
            # "Around the clock" under an out-of-hours tag contradicts itself.
            return [_("Whenever the support line is closed")]
        return [_("Around the clock")]
    names = dict(_weekday_abbreviations())
    result = []
    for rule in sorted(line.rules.all(), key=_rule_order):
        end = "24:00" if rule.end == dt.time(0) else f"{rule.end:%H:%M}"
        span = f"{rule.start:%H:%M}{DASH}{end}"
        if rule.day_type == DayType.BEFORE_HOLIDAY:
            days = _("Day before a holiday")
        elif rule.day_type == DayType.HOLIDAY:
            days = _("Holidays")
        else:
            days = _weekday_span(sorted(rule.weekday_set), names)
        prefix = _("closed") if rule.closed else ""
        result.append(" ".join(part for part in (days, prefix, span) if part))
    if not any(r.day_type == DayType.HOLIDAY for r in line.rules.all()):
        result.append(_("Closed on holidays"))
    return result


_DAY_TYPE_ORDER = list(DayType.values)
_KIND_ORDER = list(LineKind.values)


def _rule_order(rule: OpeningRule) -> tuple[int, bool, int, dt.time]:
    first_day = min(rule.weekday_set, default=8)
    return (_DAY_TYPE_ORDER.index(rule.day_type), rule.closed, first_day, rule.start)


def _weekday_abbreviations() -> list[tuple[int, str]]:
    monday = dt.date(2024, 1, 1)
    return [(i + 1, date_format(monday + dt.timedelta(days=i), "D")) for i in range(7)]


def _weekday_span(days: list[int], names: dict[int, str]) -> str:
    if not days:
        return ""
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{names[days[0]]}{DASH}{names[days[-1]]}"
    return ", ".join(names[d] for d in days)


def catalogue(municipality: Municipality) -> list[tuple[Service, list[LineHours]]]:
    """The municipality's services, each with the lines that serve its system."""
    services = (
        Service.objects.filter(municipality=municipality)
        .select_related("owner", "manager", "operations_owner")
        .order_by("-is_active", "name")
    )
    lines = sorted(
        active_lines(municipality), key=lambda line: (_KIND_ORDER.index(line.kind), line.priority)
    )
    result = []
    for service in services:
        serving = [
            LineHours(line=line, hours=hours_text(line))
            for line in lines
            if service.system in split_codes(line.systems)
        ]
        result.append((service, serving))
    return result


# Call-outs ---------------------------------------------------------------------------


def parse_cost(value: object) -> Decimal:
    """A cost as a Decimal, accepting "10 000,50" as typed in Sweden and Norway."""
    if isinstance(value, Decimal):
        cost = value
    else:
        text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            cost = Decimal(text)
        except InvalidOperation as exc:
            raise ValidationError({"cost": _("Enter the cost as a number.")}) from exc
    if not cost.is_finite():
        raise ValidationError({"cost": _("Enter the cost as a number.")})
    return cost


@transaction.atomic
def record_call_out(
    recorded_by: User,
    service: Service,
    *,
    at: dt.datetime,
    vendor: str,
    reason: str,
    cost: Decimal,
    currency: str,
    ordered_by: User | None = None,
    approved_by: User | None = None,
    note: str = "",
) -> CallOut:
    """Record a vendor call-out and its cost. Raises ValidationError on bad input."""
    errors: dict[str, str] = {}
    if at.tzinfo is None:
        errors["at"] = _("Give the time with its time zone.")
    elif at > timezone.now() + _FUTURE_TOLERANCE:
        errors["at"] = _("A call-out is recorded after it happened; the time is in the future.")
    if cost < 0:
        errors["cost"] = _("The cost cannot be negative.")
    elif cost >= _MAX_COST:
        errors["cost"] = _("The cost is too large; check the amount.")
    elif cost.as_tuple().exponent < -2:  # type: ignore[operator]
        errors["cost"] = _("Give the cost in whole öre/øre at most (two decimals).")
    if currency not in Currency.values:
        errors["currency"] = _("The currency must be SEK or NOK.")
    if not vendor.strip():
        errors["vendor"] = _("Say which vendor came out.")
    if not reason.strip():
        errors["reason"] = _("Say why the vendor was called out.")
    if errors:
        raise ValidationError(errors)
    return CallOut.objects.create(
        service=service,
        at=at,
        vendor=vendor.strip(),
        reason=reason.strip(),
        cost=cost,
        currency=currency,
        ordered_by=ordered_by,
        approved_by=approved_by,
        note=note.strip(),
        recorded_by=recorded_by,
    )


def call_outs(municipality: Municipality) -> QuerySet[CallOut]:
    return (
        CallOut.objects.filter(service__municipality=municipality)
        .select_related("service", "ordered_by", "approved_by", "recorded_by")
        .order_by("-at", "-pk")
    )


def call_out_totals(queryset: QuerySet[CallOut]) -> dict[str, Decimal]:
    """The sum of costs per currency."""
    rows = queryset.order_by().values("currency").annotate(total=Sum("cost"))
    return {row["currency"]: row["total"] for row in rows.order_by("currency")}
