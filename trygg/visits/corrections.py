"""Correcting a registered visit afterwards (rättelse), and clearing what review found.

A correction never overwrites silently: each one is a `VisitCorrection` row with the visit
as it was and as it became, who changed it, when and why (a reason code), so the first
row's `before` is the registration as the phone sent it. What the visit's figures follow
from is worked out again as the sync works it out: its minutes, the tasks' shares of them
and their granted services, its date and time band by the municipality's clock. So are
the review flags a correction can settle: a very short or long visit, a task without a
granted service, an overlap with the same person's other visits (theirs too). A flag whose
cause is gone is cleared, naming the correction; one it cannot settle (no tag scan, a late
sync, a wrong phone clock) stays for the team leader, who clears it with a note.

A struck-out registration (registered twice, or by mistake) is kept with `struck` set: it
no longer counts anywhere, and its flags no longer wait for review. It can be restored.

Nothing changes on a day on or before the provider's lock date (unless a municipal
administrator has opened the period again), and a correction to an approved visit takes
its approval away: the team leader approves the period again (the approval page shows it
needs renewal).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core.access import clients as visible_clients
from trygg.core.languages import language_of
from trygg.core.models import Client, GrantedService, ServiceType, User
from trygg.notifications.services import notify

from . import access
from .models import (
    CorrectionReason,
    FlagKind,
    Outcome,
    Visit,
    VisitCorrection,
    VisitFlag,
    VisitPolicy,
    VisitTask,
)
from .services import (
    FUTURE_TOLERANCE,
    LONGEST_VISIT,
    Calendar,
    Locks,
    performed_minutes,
    share_minutes,
)

# The flags a correction can settle, because it changes what they are worked out from.
SETTLED_BY_CORRECTION = frozenset({FlagKind.SHORT, FlagKind.LONG, FlagKind.NO_GRANT})
# What a correction compares to see whether anything changed.
_COMPARED = ("client_id", "started_at", "ended_at", "outcome", "tasks", "struck")


class CorrectionRefused(Exception):
    """Why a correction or a flag's clearing was not made, in words for the person."""


@dataclass(frozen=True)
class Change:
    """What a visit should be: the person's corrected times, outcome, tasks and client."""

    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: str
    tasks: tuple[str, ...]
    client_id: int


def snapshot(visit: Visit, task_codes: Iterable[str]) -> dict[str, Any]:
    """A visit's corrected fields as JSON, for a correction's `before` and `after`."""
    return {
        "client_id": visit.client_id,
        "started_at": visit.started_at.astimezone(dt.UTC).isoformat(),
        "ended_at": visit.ended_at.astimezone(dt.UTC).isoformat(),
        "minutes": visit.minutes,
        "outcome": visit.outcome,
        "tasks": sorted(task_codes),
        "struck": visit.struck,
        "local_date": visit.local_date.isoformat(),
        "band": visit.band,
        "approval_id": visit.approval_id,
    }


def locked_message(day: dt.date, through: dt.date | None) -> str:
    return _(
        "%(day)s is locked: the provider's lock date is %(through)s. Nothing on or before "
        "it changes unless a municipal administrator opens the period again."
    ) % {"day": day.isoformat(), "through": through.isoformat() if through else ""}


# Corrections -------------------------------------------------------------------------


def correct_visit(
    actor: User,
    visit: Visit,
    change: Change,
    reason: str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> Visit:
    """Change a visit's times, outcome, tasks or client; recorded with the reason."""

    def apply(current: Visit, calendar: Calendar, locks: Locks) -> list[tuple[int, str]]:
        _check_times(change.started_at, change.ended_at, now or timezone.now())
        client = _client_for(actor, current, change.client_id)
        day, band = calendar.place(change.started_at)
        if locks.is_locked(current.provider_id, day):
            raise CorrectionRefused(
                locked_message(day, locks.locked_through.get(current.provider_id))
            )
        codes = _task_codes(current, change)
        current.client_id = client.pk
        if client.provider_id == current.provider_id:
            current.team_id = client.team_id
        current.started_at = change.started_at.astimezone(dt.UTC)
        current.ended_at = change.ended_at.astimezone(dt.UTC)
        current.minutes = performed_minutes(current.started_at, current.ended_at)
        current.local_date, current.band = day, band
        current.outcome = change.outcome
        return _service_types(current, codes)

    return _correct(actor, visit, reason, note, apply, now=now)


def strike_visit(
    actor: User, visit: Visit, reason: str, note: str = "", *, now: dt.datetime | None = None
) -> Visit:
    """Strike out a registration made twice or by mistake; it is kept for audit."""

    def apply(current: Visit, calendar: Calendar, locks: Locks) -> None:
        if current.struck:
            raise CorrectionRefused(_("The registration is already struck out."))
        current.struck = True

    return _correct(actor, visit, reason, note, apply, now=now)


def restore_visit(
    actor: User, visit: Visit, reason: str, note: str = "", *, now: dt.datetime | None = None
) -> Visit:
    """Count a struck-out registration again."""

    def apply(current: Visit, calendar: Calendar, locks: Locks) -> None:
        if not current.struck:
            raise CorrectionRefused(_("The registration is not struck out."))
        current.struck = False

    return _correct(actor, visit, reason, note, apply, now=now)


def _correct(
    actor: User,
    visit: Visit,
    reason: str,
    note: str,
    apply: Any,
    *,
    now: dt.datetime | None,
) -> Visit:
    now = now or timezone.now()
    note = note.strip()
    if reason not in CorrectionReason.values:
        raise CorrectionRefused(_("Choose the reason for the correction."))
    if reason == CorrectionReason.OTHER and not note:
        raise CorrectionRefused(_("Describe the reason in the note."))
    with transaction.atomic():
        # The row is held until commit: two people correcting one visit at once take turns,
        # and the second sees (and records as its `before`) what the first made of it.
        current = (
            Visit.objects.select_for_update()
            .select_related("municipality", "client", "staff")
            .get(pk=visit.pk)
        )
        if not access.can_correct(actor, current):
            raise CorrectionRefused(_("You may not correct this visit."))
        calendar = Calendar(current.municipality)
        locks = Locks([current.provider_id])
        if locks.is_locked(current.provider_id, current.local_date):
            raise CorrectionRefused(
                locked_message(current.local_date, locks.locked_through.get(current.provider_id))
            )
        old_codes = list(
            VisitTask.objects.filter(visit=current).values_list("service_type__code", flat=True)
        )
        before = snapshot(current, old_codes)
        old_window = (current.started_at, current.ended_at)
        new_tasks: list[tuple[int, str]] | None = apply(current, calendar, locks)
        codes = [code for _pk, code in new_tasks] if new_tasks is not None else old_codes
        after = snapshot(current, codes)
        if all(before[key] == after[key] for key in _COMPARED):
            raise CorrectionRefused(_("Nothing was changed."))
        had_approval = current.approval_id is not None
        current.corrected = True
        current.approval = None
        after["approval_id"] = None
        current.save(
            update_fields=[
                "client",
                "team",
                "started_at",
                "ended_at",
                "minutes",
                "local_date",
                "band",
                "outcome",
                "struck",
                "corrected",
                "approval",
            ]
        )
        if new_tasks is not None or before["minutes"] != after["minutes"]:
            _write_tasks(current, new_tasks)
        correction = VisitCorrection.objects.create(
            visit=current,
            at=now,
            by=actor,
            reason=reason,
            note=note[:300],
            before=before,
            after=after,
        )
        settled = _("Settled by a correction: %(reason)s") % {
            "reason": CorrectionReason(reason).label
        }
        review_flags(current, actor=actor, now=now, note=settled)
        review_overlaps(
            current.staff_id,
            [old_window, (current.started_at, current.ended_at)],
            actor=actor,
            now=now,
            note=settled,
        )
        if actor.pk != current.staff_id:
            _tell_staff(current, actor, correction, had_approval)
    return current


def _check_times(started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime) -> None:
    if ended_at < started_at:
        raise CorrectionRefused(_("The departure is before the arrival."))
    if ended_at - started_at > LONGEST_VISIT:
        raise CorrectionRefused(
            _("A visit of more than 16 hours is not possible: check the times.")
        )
    if started_at > now + FUTURE_TOLERANCE:
        raise CorrectionRefused(_("The visit cannot start in the future."))


def _client_for(actor: User, visit: Visit, client_id: int) -> Client:
    """The client the visit is corrected to: one of the visit's provider's clients whom the
    person may see (a provider's staff see their provider's clients only)."""
    if client_id == visit.client_id:
        return visit.client
    client = (
        visible_clients(actor)
        .filter(pk=client_id, municipality_id=visit.municipality_id, provider_id=visit.provider_id)
        .first()
    )
    if client is None:
        raise CorrectionRefused(_("The client is not among the provider's clients."))
    return client


def _task_codes(visit: Visit, change: Change) -> list[str]:
    if change.outcome not in Outcome.values:
        raise CorrectionRefused(_("Choose what came of the visit."))
    if change.outcome != Outcome.PERFORMED:
        return []
    codes = list(dict.fromkeys(code.strip() for code in change.tasks if code.strip()))
    if not codes:
        raise CorrectionRefused(_("Tick at least one task that was performed."))
    return codes


def _service_types(visit: Visit, codes: Sequence[str]) -> list[tuple[int, str]]:
    known = dict(
        ServiceType.objects.filter(
            municipality_id=visit.municipality_id, code__in=codes
        ).values_list("code", "pk")
    )
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise CorrectionRefused(_("Trygg does not know the task %(code)s.") % {"code": unknown[0]})
    return [(known[code], code) for code in codes]


def _write_tasks(visit: Visit, tasks: list[tuple[int, str]] | None) -> None:
    """The visit's tasks again: the chosen ones (or the same ones, when only the time
    changed), each with its share of the minutes and the granted service covering it."""
    if tasks is None:
        tasks = list(
            VisitTask.objects.filter(visit=visit)
            .order_by("pk")
            .values_list("service_type_id", "service_type__code")
        )
    VisitTask.objects.filter(visit=visit).delete()
    if visit.outcome != Outcome.PERFORMED or not tasks:
        return
    grants: dict[int, int] = {}
    for pk, service_type_id in (
        GrantedService.objects.filter(
            client_id=visit.client_id,
            provider_id=visit.provider_id,
            service_type_id__in=[type_id for type_id, _code in tasks],
            valid_from__lte=visit.local_date,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=visit.local_date))
        .order_by("valid_from", "pk")
        .values_list("pk", "service_type_id")
    ):
        grants.setdefault(service_type_id, pk)
    shares = share_minutes(visit.minutes, len(tasks))
    VisitTask.objects.bulk_create(
        VisitTask(
            visit=visit,
            service_type_id=type_id,
            granted_service_id=grants.get(type_id),
            minutes=share,
        )
        for (type_id, _code), share in zip(tasks, shares, strict=True)
    )


# Review flags ------------------------------------------------------------------------


def _settle(
    visit_id: int,
    wanted: set[str],
    considered: Iterable[str],
    existing: dict[str, VisitFlag],
    *,
    actor: User,
    now: dt.datetime,
    note: str,
) -> None:
    """Raise the considered flags that now apply and are not there; clear those open that
    no longer apply. A flag someone cleared stays cleared: they judged it already."""
    for kind in considered:
        flag = existing.get(kind)
        if kind in wanted and flag is None:
            VisitFlag.objects.create(visit_id=visit_id, kind=kind, raised_at=now)
        elif kind not in wanted and flag is not None and flag.cleared_at is None:
            VisitFlag.objects.filter(pk=flag.pk, cleared_at__isnull=True).update(
                cleared_at=now, cleared_by=actor, clear_note=note[:300]
            )


def review_flags(visit: Visit, *, actor: User, now: dt.datetime, note: str) -> None:
    """Work out again the flags a correction can settle, for one visit."""
    if visit.struck:
        return  # A struck-out registration's flags no longer wait for anyone.
    policy = VisitPolicy.for_municipality(visit.municipality_id)
    wanted: set[str] = set()
    if visit.outcome == Outcome.PERFORMED:
        if visit.minutes < policy.short_visit_minutes:
            wanted.add(FlagKind.SHORT)
        if visit.minutes > policy.long_visit_minutes:
            wanted.add(FlagKind.LONG)
        if VisitTask.objects.filter(visit=visit, granted_service__isnull=True).exists():
            wanted.add(FlagKind.NO_GRANT)
    existing = {flag.kind: flag for flag in VisitFlag.objects.filter(visit=visit)}
    _settle(visit.pk, wanted, SETTLED_BY_CORRECTION, existing, actor=actor, now=now, note=note)


def review_overlaps(
    staff_id: int,
    windows: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    actor: User,
    now: dt.datetime,
    note: str,
) -> None:
    """Work out again which of a person's visits around `windows` overlap one another:
    moving one visit can start or end an overlap with others, whose flags follow."""
    first = min(start for start, _end in windows)
    last = max(end for _start, end in windows)
    nearby = list(
        Visit.objects.current()
        .filter(
            staff_id=staff_id,
            outcome=Outcome.PERFORMED,
            started_at__lt=last + LONGEST_VISIT,
            ended_at__gt=first - LONGEST_VISIT,
        )
        .values_list("pk", "started_at", "ended_at")
    )
    overlapping: set[int] = set()
    ordered = sorted(nearby, key=lambda row: (row[1], row[2]))
    latest_end: dt.datetime | None = None
    latest_pk: int | None = None
    for pk, start, end in ordered:
        if latest_end is not None and start < latest_end:
            overlapping.add(pk)
            if latest_pk is not None:
                overlapping.add(latest_pk)
        if latest_end is None or end > latest_end:
            latest_end, latest_pk = end, pk
    touched = [
        pk
        for pk, start, end in nearby
        if any(start < w_end and end > w_start for w_start, w_end in windows) or pk in overlapping
    ]
    existing: dict[int, dict[str, VisitFlag]] = defaultdict(dict)
    for flag in VisitFlag.objects.filter(visit_id__in=touched, kind=FlagKind.OVERLAP):
        existing[flag.visit_id][flag.kind] = flag
    for pk in touched:
        wanted: set[str] = {FlagKind.OVERLAP} if pk in overlapping else set()
        _settle(pk, wanted, [FlagKind.OVERLAP], existing[pk], actor=actor, now=now, note=note)


def clear_flags(
    actor: User, flags: Sequence[VisitFlag], note: str, *, now: dt.datetime | None = None
) -> int:
    """A team leader's judgement that what the flags point at is in order, with a note.
    Refused as a whole when any of them is not the person's to clear or is locked."""
    note = note.strip()
    if not note:
        raise CorrectionRefused(_("Write why it is in order."))
    if not flags:
        raise CorrectionRefused(_("Choose the flags to clear."))
    now = now or timezone.now()
    visits = {
        visit.pk: visit for visit in Visit.objects.filter(pk__in={flag.visit_id for flag in flags})
    }
    locks = Locks({visit.provider_id for visit in visits.values()})
    for flag in flags:
        visit = visits[flag.visit_id]
        if not access.can_clear_flags(actor, visit):
            raise CorrectionRefused(
                _(
                    "You may not clear flags on this visit (your own visits are cleared by "
                    "your team leader or manager)."
                )
            )
        if locks.is_locked(visit.provider_id, visit.local_date):
            raise CorrectionRefused(
                locked_message(visit.local_date, locks.locked_through.get(visit.provider_id))
            )
    with transaction.atomic():
        # Conditional: a flag cleared by someone else a moment ago keeps their note.
        return VisitFlag.objects.filter(
            pk__in=[flag.pk for flag in flags], cleared_at__isnull=True
        ).update(cleared_at=now, cleared_by=actor, clear_note=note[:300])


# Telling the staff member ------------------------------------------------------------


def _tell_staff(visit: Visit, actor: User, correction: VisitCorrection, had_approval: bool) -> None:
    """Someone else corrected a person's registration: they hear of it (in the app only;
    the message names no client, as an e-mail copy could travel further)."""
    staff = visit.staff
    local = visit.municipality.localtime(visit.started_at)
    with override(language_of(staff, visit.municipality)):
        subject = _("Your visit on %(day)s at %(time)s was corrected") % {
            "day": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
        }
        body = _("%(who)s corrected it: %(reason)s.") % {
            "who": actor.get_full_name() or actor.username,
            "reason": CorrectionReason(correction.reason).label,
        }
        if had_approval:
            body += " " + _("The period is to be approved again.")
    notify(
        [staff],
        subject,
        body,
        url=reverse("visits:visit", args=[visit.pk]),
        topic=f"visits.correction:{correction.pk}",
        email=False,
    )


# Reading the history -----------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    field: str
    before: str
    after: str


def differences(
    correction: VisitCorrection,
    *,
    zone: Any,
    clients: dict[int, str],
    task_names: dict[str, str],
) -> list[Difference]:
    """What one correction changed, as lines for a person to read."""
    before, after = correction.before, correction.after

    def moment(value: str) -> str:
        return dt.datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def outcome(value: str) -> str:
        return str(Outcome(value).label) if value in Outcome.values else value

    def tasks(values: list[str]) -> str:
        return ", ".join(task_names.get(code, code) for code in values) or "—"

    def yes_no(value: bool) -> str:
        return _("yes") if value else _("no")

    shown: list[tuple[str, str, Any]] = [
        ("client_id", _("Client"), lambda pk: clients.get(pk, "—")),
        ("started_at", _("Arrived"), moment),
        ("ended_at", _("Left"), moment),
        ("minutes", _("Minutes"), str),
        ("outcome", _("Outcome"), outcome),
        ("tasks", _("Tasks"), tasks),
        ("struck", _("Struck out"), yes_no),
    ]
    result = []
    for key, label, show in shown:
        if before.get(key) != after.get(key):
            result.append(Difference(label, show(before.get(key)), show(after.get(key))))
    return result
