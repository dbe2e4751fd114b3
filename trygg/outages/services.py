"""Planning, announcing, changing, cancelling and completing outages (driftstopp).

Each operation owns its transaction. Notices are written as rows (in-app notifications and
the OutageNotice log) in the same transaction as the change; e-mails leave after commit
through `trygg.notifications.services.notify`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from trygg.core.constants import ProviderKind
from trygg.core.languages import language_of
from trygg.core.models import Municipality, Provider, RoleAssignment, User
from trygg.core.moments import moment_text
from trygg.lib import workdays
from trygg.notifications.services import notify

from .access import MANAGER_MUNICIPAL_ROLES, MANAGER_PROVIDER_ROLES
from .constants import (
    DASH,
    DEFAULT_NOTICE_DAYS,
    MAX_NOTICE_DAYS,
    PRIVATE_PROVIDER_PREFIX,
    STATUS_SOON_DAYS,
    Audience,
    Channel,
    NoticeKind,
    OutageKind,
    OutageStatus,
    RuleAudience,
    System,
    SystemState,
)
from .models import MaintenanceWindow, NoticeRule, Outage, OutageNotice

# How far ahead to look for a maintenance-window slot before giving up.
_SLOT_SEARCH_DAYS = 366
# Rule names, stored in Outage.overridden_rules and returned by the API.
RULE_WINDOW = "window"
RULE_NOTICE = {RuleAudience.USERS: "notice_users", RuleAudience.MANAGERS: "notice_managers"}


class OutageError(ValueError):
    """The request cannot be carried out as asked: bad times, or the wrong state."""


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the earliest start that would satisfy it when there is one."""

    rule: str
    message: str
    earliest: dt.datetime | None = None


class OutageRefused(OutageError):
    """Planned outside the rules and no reason to override them was given."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__(" ".join(v.message for v in self.violations))


# Rules ------------------------------------------------------------------------------


def notice_days(municipality: Municipality) -> dict[str, int]:
    """Minimum notice per rule audience: the municipality's own rules over the defaults."""
    days = dict(DEFAULT_NOTICE_DAYS)
    for audience, min_days in NoticeRule.objects.filter(municipality=municipality).values_list(
        "audience", "min_days"
    ):
        days[audience] = min_days
    return days


def windows_for(municipality: Municipality, system: str) -> list[MaintenanceWindow]:
    windows = list(MaintenanceWindow.objects.filter(municipality=municipality, system=system))
    for window in windows:
        window.municipality = municipality  # spares a query per window for its time zone
    return windows


def _local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz)


def format_local(moment: dt.datetime, tz: ZoneInfo) -> str:
    """A moment as the municipality's clock shows it, weekday first, as people say it:
    "tis 8 apr 09:00" (the year too when it is not this year's)."""
    return moment_text(_local(moment, tz), weekday=True)


def format_span(starts_at: dt.datetime, ends_at: dt.datetime, tz: ZoneInfo) -> str:
    start, end = _local(starts_at, tz), _local(ends_at, tz)
    if start.date() == end.date():
        return f"{format_local(starts_at, tz)}{DASH}{end:%H:%M}"
    return f"{format_local(starts_at, tz)} {DASH} {format_local(ends_at, tz)}"


def _ceil_to_quarter(moment: dt.datetime) -> dt.datetime:
    """Round up to the next quarter hour: nobody plans an outage at 09:07:13."""
    minutes = math.ceil((moment.minute * 60 + moment.second + moment.microsecond / 1e6) / 900)
    return moment.replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=15 * minutes)


def working_days(municipality: Municipality) -> Callable[[dt.date], bool]:
    """The municipality's working-day calendar as a test of one day (closed days read once)."""
    closed = municipality.closed_days()
    return lambda day: workdays.is_working_day(day, municipality.country, closed)


def non_working_day_name(municipality: Municipality, day: dt.date) -> str:
    """What makes `day` a non-working day, in the interface language: "julafton"."""
    language = workdays.holiday_language(translation.get_language())
    name = workdays.holiday_name(day, municipality.country, language)
    if name:
        return name.lower() if language == "sv" or language == "no" else name
    if day.weekday() >= 5:
        return _("a weekend")
    return _("a day the municipality keeps closed")


def next_window_slot(
    windows: Sequence[MaintenanceWindow],
    tz: ZoneInfo,
    duration: dt.timedelta,
    not_before: dt.datetime,
    is_working_day: Callable[[dt.date], bool] | None = None,
) -> dt.datetime | None:
    """The earliest start, at or after `not_before`, of an outage this long that fits
    wholly inside one of the windows on a working day (when `is_working_day` is given:
    windows follow the working-day calendar, so Christmas Eve on a Thursday has none);
    None when none fits within a year."""
    start_local = _ceil_to_quarter(_local(not_before, tz))
    best: dt.datetime | None = None
    for offset in range(_SLOT_SEARCH_DAYS):
        day = start_local.date() + dt.timedelta(days=offset)
        if is_working_day is not None and not is_working_day(day):
            continue
        for window in windows:
            if day.isoweekday() not in window.weekday_set:
                continue
            # Wall-clock time on that day: 09:00 stays 09:00 across summer time.
            candidate = dt.datetime.combine(day, window.start_time, tzinfo=tz)
            if offset == 0 and candidate < start_local:
                candidate = start_local
            end_local = _local(candidate + duration, tz)
            if window.contains(_local(candidate, tz), end_local) and (
                best is None or candidate < best
            ):
                best = candidate
        if best is not None:
            return best.astimezone(dt.UTC)
    return None


def check_rules(
    municipality: Municipality,
    system: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
) -> list[Violation]:
    """Every rule a planned outage at these times breaks, announced at `now`: managers'
    notice first, then users', then the maintenance window."""
    tz = municipality.zone
    days = notice_days(municipality)
    violations: list[Violation] = []
    labels = {
        RuleAudience.MANAGERS: _("Managers"),
        RuleAudience.USERS: _("Users"),
    }
    windows = windows_for(municipality, system)
    is_working_day = working_days(municipality)
    # The one start every suggestion names: after every notice, inside a window, on a
    # working day. Suggesting the end of the notice alone ("Mon 01:29") helps nobody.
    not_before = max([now + dt.timedelta(days=d) for d in days.values()] + [now])
    slot = (
        next_window_slot(windows, tz, ends_at - starts_at, not_before, is_working_day)
        if windows
        else _ceil_to_quarter(_local(not_before, tz)).astimezone(dt.UTC)
    )
    for audience in (RuleAudience.MANAGERS, RuleAudience.USERS):
        if starts_at < now + dt.timedelta(days=days[audience]):
            message = _("%(audience)s must be told at least %(days)d days ahead.") % {
                "audience": labels[audience],
                "days": days[audience],
            }
            if slot is not None:
                message += " " + _earliest_text(slot, tz)
            violations.append(Violation(RULE_NOTICE[audience], message, slot))
    system_label = System(system).label
    start_local, end_local = _local(starts_at, tz), _local(ends_at, tz)
    in_window = any(w.contains(start_local, end_local) for w in windows)
    if not windows:
        violations.append(
            Violation(
                RULE_WINDOW,
                _("%(system)s has no maintenance window: planned outages need one.")
                % {"system": system_label},
            )
        )
    elif in_window and not is_working_day(start_local.date()):
        message = _(
            "%(day)s is not a working day (%(why)s): the maintenance windows of %(system)s "
            "follow the working-day calendar."
        ) % {
            "day": formats.date_format(start_local, "l j F Y"),
            "why": non_working_day_name(municipality, start_local.date()),
            "system": system_label,
        }
        if slot is not None:
            message += " " + _earliest_text(slot, tz)
        violations.append(Violation(RULE_WINDOW, message, slot))
    elif not in_window:
        described = "; ".join(f"{w.weekday_names()} {w.time_range()}" for w in windows)
        if slot is None:
            message = _(
                "The outage is outside the maintenance window of %(system)s (%(windows)s) "
                "and longer than any of them."
            ) % {"system": system_label, "windows": described}
        else:
            message = _(
                "The outage is outside the maintenance window of %(system)s (%(windows)s): "
                "the earliest slot that meets every rule starts %(earliest)s."
            ) % {"system": system_label, "windows": described, "earliest": format_local(slot, tz)}
        violations.append(Violation(RULE_WINDOW, message, slot))
    return violations


def _earliest_text(slot: dt.datetime, tz: ZoneInfo) -> str:
    return _("The earliest start that meets every rule is %(earliest)s.") % {
        "earliest": format_local(slot, tz)
    }


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise OutageError("Outage times must be aware datetimes.")
    if ends_at <= starts_at:
        raise OutageError(_("The outage must end after it starts."))


def _accept_override(
    violations: Sequence[Violation], reason: str, covered: Iterable[str] = ()
) -> tuple[str, set[str]]:
    """The rules a reason must set aside, or OutageRefused when it is missing."""
    broken = {v.rule for v in violations} - set(covered)
    if broken and not reason.strip():
        raise OutageRefused([v for v in violations if v.rule in broken])
    return reason.strip(), broken


# Audiences --------------------------------------------------------------------------


@dataclass
class AudienceGroup:
    """The people one notice goes to."""

    key: str
    users: list[User] = field(default_factory=list)
    provider: Provider | None = None

    @property
    def rule(self) -> RuleAudience:
        return RuleAudience.USERS if self.key == Audience.ALL_USERS else RuleAudience.MANAGERS


def audience_groups(municipality: Municipality) -> list[AudienceGroup]:
    """Who is told, managers first: the municipal side's managers, then each private
    provider's managers and team leaders (their own channel), then every other user.

    Each person is in the first group they qualify for, so nobody gets the same e-mail
    twice. A private provider with nobody to tell still gets a group: its empty row in
    the log is the warning that nobody there was told.
    """
    assignments = (
        RoleAssignment.objects.filter(municipality=municipality, user__is_active=True)
        .filter(Q(provider__isnull=True) | Q(provider__is_active=True))
        .select_related("user", "provider")
        .order_by("user__last_name", "user__first_name", "user_id")
    )
    managers: dict[int, User] = {}
    private: dict[int, dict[int, User]] = {}
    everyone: dict[int, User] = {}
    for assignment in assignments:
        user = assignment.user
        everyone[user.pk] = user
        provider = assignment.provider
        if provider is None:
            if assignment.role in MANAGER_MUNICIPAL_ROLES:
                managers[user.pk] = user
        elif assignment.role in MANAGER_PROVIDER_ROLES:
            if provider.kind == ProviderKind.PRIVATE:
                private.setdefault(provider.pk, {})[user.pk] = user
            else:
                managers[user.pk] = user
    groups = [AudienceGroup(Audience.MANAGERS, list(managers.values()))]
    told = set(managers)
    private_providers = Provider.objects.filter(
        municipality=municipality, kind=ProviderKind.PRIVATE, is_active=True
    ).order_by("name", "pk")
    for provider in private_providers:
        people = [u for pk, u in private.get(provider.pk, {}).items() if pk not in told]
        told.update(u.pk for u in people)
        groups.append(AudienceGroup(f"{PRIVATE_PROVIDER_PREFIX}{provider.pk}", people, provider))
    groups.append(
        AudienceGroup(Audience.ALL_USERS, [u for u in everyone.values() if u.pk not in told])
    )
    return groups


# Messages ---------------------------------------------------------------------------


def status_url(municipality: Municipality) -> str:
    return f"{reverse('outages:status')}?municipality={municipality.code}"


def _compose(outage: Outage, kind: str) -> tuple[str, str]:
    """Subject and body in the active language."""
    tz = outage.municipality.zone
    values = {
        "system": System(outage.system).label,
        "when": format_span(outage.starts_at, outage.ends_at, tz),
        "title": outage.title,
    }
    if kind == NoticeKind.CANCELLATION:
        subject = _("Cancelled: outage of %(system)s %(when)s") % values
        lead = _("The outage of %(system)s planned for %(when)s is cancelled.") % values
    elif kind == NoticeKind.CHANGE:
        subject = _("New time: outage of %(system)s %(when)s") % values
        lead = _("The outage of %(system)s has a new time: %(when)s.") % values
    elif outage.kind == OutageKind.UNPLANNED:
        subject = _("Outage now: %(system)s") % values
        lead = _("%(system)s is not working as it should. Expected back: %(end)s.") % {
            **values,
            "end": format_local(outage.ends_at, tz),
        }
    else:
        subject = _("Planned outage: %(system)s %(when)s") % values
        lead = _("%(system)s will be unavailable %(when)s.") % values
    zone = _("All times are %(clock)s.") % {"clock": outage.municipality.clock_name}
    parts = [lead, outage.title, outage.description.strip(), zone]
    return subject, "\n\n".join(p for p in parts if p)


def _email(outage: Outage, users: Sequence[User], kind: str) -> int:
    """In-app notifications with e-mail copies, each in the person's language; returns
    how many e-mails were queued."""
    by_language: dict[str, list[User]] = {}
    for user in users:
        by_language.setdefault(language_of(user, outage.municipality), []).append(user)
    queued = 0
    for language, people in sorted(by_language.items()):
        with translation.override(language):
            subject, body = _compose(outage, kind)
        rows = notify(
            people,
            subject,
            body,
            url=status_url(outage.municipality),
            topic=f"outages.outage:{outage.pk}",
        )
        queued += sum(1 for row in rows if row.email_wanted)
    return queued


def _send_notices(
    outage: Outage,
    kind: str,
    channels: Sequence[str],
    by: User | None,
    now: dt.datetime,
) -> list[OutageNotice]:
    """Tell every audience not yet told about this sequence of the outage; log each."""
    already = set(
        OutageNotice.objects.filter(outage=outage, sequence=outage.sequence).values_list(
            "audience", "channel"
        )
    )
    rows: list[OutageNotice] = []
    for group in audience_groups(outage.municipality):
        for channel in channels:
            if (group.key, channel) in already:
                continue
            if channel == Channel.EMAIL:
                count = _email(outage, group.users, kind)
            else:
                count = len(group.users)
            rows.append(
                OutageNotice(
                    outage=outage,
                    audience=group.key,
                    provider=group.provider,
                    channel=channel,
                    kind=kind,
                    sequence=outage.sequence,
                    sent_at=now,
                    recipients=count,
                    sent_by=by,
                )
            )
    return OutageNotice.objects.bulk_create(rows)


def _locked(outage: Outage) -> Outage:
    return Outage.objects.select_for_update().select_related("municipality").get(pk=outage.pk)


# Operations -------------------------------------------------------------------------


def plan_outage(
    *,
    municipality: Municipality,
    system: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: User | None,
    kind: str = OutageKind.PLANNED,
    description: str = "",
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> Outage:
    """Record an outage. A planned one must fit a maintenance window of its system and
    leave each audience its notice; when it does not, `override_reason` sets the rules
    aside and is kept with the outage, else OutageRefused lists every broken rule.

    A planned outage is a draft until announced. An unplanned one skips the rules and is
    announced at once.
    """
    now = now or timezone.now()
    _check_times(starts_at, ends_at)
    if system not in System.values:
        raise OutageError(_("Unknown system."))
    violations = []
    if kind == OutageKind.PLANNED:
        violations = check_rules(municipality, system, starts_at, ends_at, now)
    reason, broken = _accept_override(violations, override_reason)
    with transaction.atomic():
        outage = Outage.objects.create(
            municipality=municipality,
            system=system,
            kind=kind,
            title=title.strip(),
            description=description.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=by,
            override_reason=reason if broken else "",
            overridden_rules=",".join(sorted(broken)),
        )
        if kind == OutageKind.UNPLANNED:
            announce_outage(outage, by, now=now)
            outage.refresh_from_db()
    return outage


def announce_outage(
    outage: Outage, by: User | None, *, now: dt.datetime | None = None, override_reason: str = ""
) -> list[OutageNotice]:
    """Tell every audience by e-mail (managers first) and publish the banner; log each.

    Idempotent: a second call sends only what is missing for the outage's current
    sequence, which is nothing unless its time changed or an audience was added (a new
    private provider) since. A draft is checked against the rules again, as of now: a
    draft planned in good time can still be announced too late.
    """
    now = now or timezone.now()
    with transaction.atomic():
        outage = _locked(outage)
        if not outage.is_open:
            raise OutageError(_("A completed or cancelled outage cannot be announced."))
        if outage.status == OutageStatus.DRAFT:
            if outage.kind == OutageKind.PLANNED:
                violations = check_rules(
                    outage.municipality, outage.system, outage.starts_at, outage.ends_at, now
                )
                covered = [r for r in outage.overridden_rules.split(",") if r]
                reason, broken = _accept_override(violations, override_reason, covered)
                if broken:
                    outage.override_reason = "\n".join(
                        r for r in (outage.override_reason, reason) if r
                    )
                    outage.overridden_rules = ",".join(sorted(broken | set(covered)))
            started = outage.kind == OutageKind.UNPLANNED and outage.starts_at <= now
            outage.status = OutageStatus.IN_PROGRESS if started else OutageStatus.ANNOUNCED
            outage.announced_at = now
            outage.save(
                update_fields=[
                    "status",
                    "announced_at",
                    "override_reason",
                    "overridden_rules",
                    "updated_at",
                ]
            )
        kind = NoticeKind.ANNOUNCEMENT if outage.sequence == 0 else NoticeKind.CHANGE
        return _send_notices(outage, kind, (Channel.EMAIL, Channel.BANNER), by, now)


def reschedule_outage(
    outage: Outage,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: User | None,
    now: dt.datetime | None = None,
    override_reason: str = "",
) -> Outage:
    """Move an outage, under the same rules as planning it. An announced outage gets a new
    sequence and every audience a change notice."""
    now = now or timezone.now()
    _check_times(starts_at, ends_at)
    with transaction.atomic():
        outage = _locked(outage)
        if not outage.is_open:
            raise OutageError(_("A completed or cancelled outage cannot be changed."))
        if (starts_at, ends_at) == (outage.starts_at, outage.ends_at):
            return outage
        if outage.kind == OutageKind.PLANNED:
            violations = check_rules(outage.municipality, outage.system, starts_at, ends_at, now)
            reason, broken = _accept_override(violations, override_reason)
            # The new time is judged afresh: an override of the old time does not carry over.
            outage.override_reason = reason if broken else ""
            outage.overridden_rules = ",".join(sorted(broken))
        outage.starts_at, outage.ends_at = starts_at, ends_at
        announced = outage.status != OutageStatus.DRAFT
        if announced:
            outage.sequence += 1
        outage.save(
            update_fields=[
                "starts_at",
                "ends_at",
                "override_reason",
                "overridden_rules",
                "sequence",
                "updated_at",
            ]
        )
        if announced:
            _send_notices(outage, NoticeKind.CHANGE, (Channel.EMAIL, Channel.BANNER), by, now)
    return outage


def cancel_outage(outage: Outage, by: User | None, *, now: dt.datetime | None = None) -> Outage:
    """Call an outage off; everyone told of it is told it is cancelled (the banner goes)."""
    now = now or timezone.now()
    with transaction.atomic():
        outage = _locked(outage)
        if not outage.is_open:
            raise OutageError(_("The outage is already completed or cancelled."))
        announced = outage.status != OutageStatus.DRAFT
        outage.status = OutageStatus.CANCELLED
        outage.cancelled_at = now
        if announced:
            outage.sequence += 1
        outage.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
        if announced:
            _send_notices(outage, NoticeKind.CANCELLATION, (Channel.EMAIL,), by, now)
    return outage


def complete_outage(outage: Outage, by: User | None, *, now: dt.datetime | None = None) -> Outage:
    """Mark the outage over. Ended early, or an unplanned one whenever it ends, its end
    becomes now, so the status page and calendar show what really happened."""
    now = now or timezone.now()
    with transaction.atomic():
        outage = _locked(outage)
        if outage.status not in (OutageStatus.ANNOUNCED, OutageStatus.IN_PROGRESS):
            raise OutageError(_("Only an announced outage can be completed."))
        if now <= outage.starts_at:
            raise OutageError(_("The outage has not started yet: cancel it instead."))
        unplanned = outage.kind == OutageKind.UNPLANNED
        if unplanned or outage.status == OutageStatus.IN_PROGRESS or now < outage.ends_at:
            outage.ends_at = now
        outage.status = OutageStatus.COMPLETED
        outage.completed_at = now
        outage.save(update_fields=["status", "completed_at", "ends_at", "updated_at"])
    return outage


# Reading ----------------------------------------------------------------------------


def current_q(now: dt.datetime) -> Q:
    return Q(status=OutageStatus.IN_PROGRESS) | Q(
        status=OutageStatus.ANNOUNCED, starts_at__lte=now, ends_at__gt=now
    )


def upcoming_q(now: dt.datetime) -> Q:
    return Q(status=OutageStatus.ANNOUNCED, starts_at__gt=now)


def public_outages(municipalities: Iterable[int], now: dt.datetime) -> QuerySet[Outage]:
    """Announced outages happening now or still to come: what the status page shows."""
    return (
        Outage.objects.filter(municipality_id__in=list(municipalities))
        .filter(current_q(now) | upcoming_q(now))
        .select_related("municipality")
        .order_by("starts_at", "pk")
    )


def feed_outages(
    municipalities: Iterable[int], now: dt.datetime, history_days: int = 30
) -> QuerySet[Outage]:
    """What the calendar feed lists: every announced outage, also cancelled and completed
    ones of the last month, so subscribed calendars learn of the change."""
    return (
        Outage.objects.filter(
            municipality_id__in=list(municipalities),
            announced_at__isnull=False,
            ends_at__gte=now - dt.timedelta(days=history_days),
        )
        .select_related("municipality")
        .order_by("starts_at", "pk")
    )


@dataclass
class SystemStatus:
    system: System
    state: SystemState
    current: list[Outage] = field(default_factory=list)
    upcoming: list[Outage] = field(default_factory=list)


@dataclass
class MunicipalityStatus:
    municipality: Municipality
    systems: list[SystemStatus]
    current: list[Outage]
    upcoming: list[Outage]


def status_board(
    municipalities: Sequence[Municipality], now: dt.datetime
) -> list[MunicipalityStatus]:
    """Per municipality and system: red when down now, amber when an outage starts within
    a week, green otherwise. One query for all the outages."""
    outages = list(public_outages([m.pk for m in municipalities], now))
    soon = now + dt.timedelta(days=STATUS_SOON_DAYS)
    board = []
    for municipality in municipalities:
        mine = [o for o in outages if o.municipality_id == municipality.pk]
        current = [o for o in mine if o.is_current(now)]
        upcoming = [o for o in mine if not o.is_current(now)]
        systems = []
        for system in System:
            down = [o for o in current if o.system == system]
            coming = [o for o in upcoming if o.system == system]
            if down:
                state = SystemState.DOWN
            elif any(o.starts_at <= soon for o in coming):
                state = SystemState.PLANNED
            else:
                state = SystemState.OK
            systems.append(SystemStatus(system, state, down, coming))
        board.append(MunicipalityStatus(municipality, systems, current, upcoming))
    return board


def banner_outages(
    municipality_ids: Iterable[int],
    manager_in: Iterable[int],
    now: dt.datetime,
) -> list[Outage]:
    """Announced outages a person should see a banner for: happening now, or starting
    within their audience's notice horizon (managers' rule for municipalities where they
    are a manager, users' elsewhere). One query, two when there is something to show."""
    ids = list(municipality_ids)
    if not ids:
        return []
    horizon = now + dt.timedelta(days=MAX_NOTICE_DAYS)
    candidates = list(
        Outage.objects.filter(municipality_id__in=ids)
        .filter(current_q(now) | (upcoming_q(now) & Q(starts_at__lte=horizon)))
        .select_related("municipality")
        .order_by("starts_at", "pk")
    )
    if not candidates:
        return []
    rules: dict[tuple[int, str], int] = {
        (m, a): d
        for m, a, d in NoticeRule.objects.filter(
            municipality_id__in={o.municipality_id for o in candidates}
        ).values_list("municipality_id", "audience", "min_days")
    }
    managed = set(manager_in)
    shown = []
    for outage in candidates:
        managing = outage.municipality_id in managed
        audience = RuleAudience.MANAGERS if managing else RuleAudience.USERS
        days = rules.get((outage.municipality_id, audience), DEFAULT_NOTICE_DAYS[audience])
        if outage.is_current(now) or outage.starts_at <= now + dt.timedelta(days=days):
            shown.append(outage)
    return shown
