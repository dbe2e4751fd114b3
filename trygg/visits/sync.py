"""Taking a batch of registrations from a phone: each item checked on its own and answered
accepted, duplicate or refused with a reason, the accepted ones written together.

Idempotent: a visit is known by the id the phone made for it, so a batch sent again (the
phone never heard the answer) stores nothing twice, and two copies of a batch arriving at
once are settled by the database's unique index. Everything a batch needs (its clients,
their granted services, tags, locks, the staff's other visits) is read in a few queries
whatever its size, and the accepted visits, their tasks and review flags are written in a
few statements (`lib.bulkinsert`): a phone that was offline for a whole shift, or a
provider's system sending a month, syncs in one request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from trygg.alarms.models import Alarm
from trygg.core.models import Client, GrantedService, RoleAssignment, ServiceType
from trygg.devices.models import NfcTag
from trygg.lib import tagcodes
from trygg.lib.bulkinsert import insert_rows

from .models import (
    PROVEN,
    FlagKind,
    Outcome,
    Presence,
    Visit,
    VisitFlag,
    VisitPolicy,
    VisitTask,
)
from .services import (
    FUTURE_TOLERANCE,
    LONGEST_VISIT,
    Calendar,
    Locks,
    Registrar,
    performed_minutes,
    share_minutes,
)
from .wire import MAX_ITEMS, SyncItem, explain

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REFUSED = "refused"
# SQLite allows 999 parameters in a statement; lookups by id go in chunks below that.
_CHUNK = 500


class BatchError(ValueError):
    """The batch as a whole cannot be read (not its items): answered 400."""


@dataclass
class ItemResult:
    index: int
    id: str | None
    status: str
    visit_id: int | None = None
    code: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)


@dataclass
class SyncResult:
    received_at: dt.datetime
    clock_offset: int
    clock_flagged: bool
    items: list[ItemResult]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


class _Refusal(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def sync(
    registrar: Registrar,
    sent_at: dt.datetime,
    items: Sequence[Any],
    *,
    received_at: dt.datetime | None = None,
) -> SyncResult:
    """Check and store a batch of registrations; one answer per item, in order."""
    if len(items) > MAX_ITEMS:
        raise BatchError(
            _("Send at most %(count)s registrations at a time.") % {"count": f"{MAX_ITEMS:,}"}
        )
    received_at = received_at or timezone.now()
    try:
        return _sync(registrar, sent_at, items, received_at)
    except IntegrityError:
        # The same registrations arrived at the same moment by another request (a phone
        # retrying over a slow network) and won the insert: this pass finds them stored.
        return _sync(registrar, sent_at, items, received_at)


def _sync(
    registrar: Registrar, sent_at: dt.datetime, raw_items: Sequence[Any], received_at: dt.datetime
) -> SyncResult:
    policy = VisitPolicy.for_municipality(registrar.municipality.pk)
    offset = round((received_at - sent_at).total_seconds())
    clock_flagged = abs(offset) > policy.clock_skew_limit
    results: list[ItemResult] = []
    parsed: list[tuple[ItemResult, SyncItem]] = []
    seen: set[uuid.UUID] = set()
    for index, raw in enumerate(raw_items):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        result = ItemResult(index=index, id=str(raw_id) if raw_id is not None else None, status="")
        results.append(result)
        if not isinstance(raw, dict):
            _refuse(result, "invalid", _("Each registration is an object."))
            continue
        try:
            item = SyncItem.model_validate(raw)
        except ValidationError as exc:
            _refuse(result, "invalid", explain(exc))
            continue
        result.id = str(item.id)
        if item.id in seen:
            result.status = DUPLICATE
            result.reason = _("The same registration appears twice in the batch.")
            continue
        seen.add(item.id)
        parsed.append((result, item))

    context = _Context.load(registrar, [item for _result, item in parsed])
    with transaction.atomic():
        accepted: list[tuple[ItemResult, Visit, list[VisitTask], list[str]]] = []
        for result, item in parsed:
            stored = context.stored.get(item.id)
            if stored is not None:
                staff_id, visit_id = stored
                if staff_id in registrar.staff_ids:
                    result.status = DUPLICATE
                    result.visit_id = visit_id
                    result.reason = _("Already stored.")
                else:
                    _refuse(result, "id_taken", _("Another registration already has this id."))
                continue
            try:
                visit, tasks, flags = context.build(item, offset, clock_flagged, received_at)
            except _Refusal as refusal:
                _refuse(result, refusal.code, refusal.reason)
                continue
            accepted.append((result, visit, tasks, flags))

        context.flag_overlaps([(visit, flags) for _r, visit, _t, flags in accepted])
        visits = [visit for _r, visit, _t, _f in accepted]
        insert_rows(visits)
        all_tasks: list[VisitTask] = []
        all_flags: list[VisitFlag] = []
        for result, visit, tasks, flags in accepted:
            for task in tasks:
                task.visit_id = visit.pk
            all_tasks.extend(tasks)
            all_flags.extend(
                VisitFlag(
                    visit_id=visit.pk,
                    kind=kind,
                    detail=context.details.get((id(visit), kind), ""),
                    raised_at=received_at,
                )
                for kind in flags
            )
            result.status = ACCEPTED
            result.visit_id = visit.pk
            result.flags = sorted(flags)
        insert_rows(all_tasks)
        insert_rows(all_flags)
    return SyncResult(received_at, offset, clock_flagged, results)


def _refuse(result: ItemResult, code: str, reason: str) -> None:
    result.status = REFUSED
    result.code = code
    result.reason = reason


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _Grant:
    pk: int
    provider_id: int
    code: str
    valid_from: dt.date
    valid_to: dt.date | None


class _Context:
    """What checking a batch needs, read once."""

    def __init__(self, registrar: Registrar, policy: VisitPolicy) -> None:
        self.registrar = registrar
        self.policy = policy
        self.municipality = registrar.municipality
        self.calendar = Calendar(registrar.municipality)
        self.locks = Locks(registrar.provider_ids)
        self.stored: dict[uuid.UUID, tuple[int, int]] = {}
        self.clients: dict[int, Client] = {}
        self.grants: dict[int, list[_Grant]] = defaultdict(list)
        self.service_types: dict[str, int] = {}
        self.tags: dict[str, NfcTag] = {}
        self.alarms: dict[int, int | None] = {}
        self.staff_teams: dict[tuple[int, int], int | None] = {}
        self.busy: dict[int, list[tuple[dt.datetime, dt.datetime, int, int | None]]] = defaultdict(
            list
        )
        self.details: dict[tuple[int, str], str] = {}

    @classmethod
    def load(cls, registrar: Registrar, items: list[SyncItem]) -> _Context:
        context = cls(registrar, VisitPolicy.for_municipality(registrar.municipality.pk))
        if not items:
            return context
        for ids in _chunks(item.id for item in items):
            for visit_uuid, staff_id, pk in Visit.objects.filter(uuid__in=ids).values_list(
                "uuid", "staff_id", "pk"
            ):
                context.stored[visit_uuid] = (staff_id, pk)
        client_ids = {item.client_id for item in items}
        for ids in _chunks(client_ids):
            for client in Client.objects.filter(pk__in=ids, municipality=registrar.municipality):
                context.clients[client.pk] = client
            for grant in GrantedService.objects.filter(
                client_id__in=ids, provider_id__in=registrar.provider_ids
            ).values_list(
                "pk", "client_id", "provider_id", "service_type__code", "valid_from", "valid_to"
            ):
                pk, client_id, provider_id, code, valid_from, valid_to = grant
                context.grants[client_id].append(
                    _Grant(pk, provider_id, code, valid_from, valid_to)
                )
        context.service_types = dict(
            ServiceType.objects.filter(municipality=registrar.municipality).values_list(
                "code", "pk"
            )
        )
        codes: set[str] = set()
        for item in items:
            for scan in (item.arrival, item.departure):
                if scan is not None and scan.by in PROVEN and scan.tag:
                    with contextlib.suppress(tagcodes.InvalidTagCode):
                        codes.add(tagcodes.parse(scan.tag))
        for chunk in _chunks(codes):
            for tag in NfcTag.objects.filter(municipality=registrar.municipality, code__in=chunk):
                context.tags[tag.code] = tag
        alarm_ids = {item.alarm_id for item in items if item.alarm_id}
        for chunk in _chunks(alarm_ids):
            context.alarms.update(
                Alarm.objects.filter(pk__in=chunk, municipality=registrar.municipality).values_list(
                    "pk", "client_id"
                )
            )
        for user_id, provider_id, team_id in RoleAssignment.objects.filter(
            provider_id__in=registrar.provider_ids
        ).values_list("user_id", "provider_id", "teams"):
            key = (user_id, provider_id)
            if context.staff_teams.get(key) is None:
                context.staff_teams[key] = team_id
        starts = [item.arrival.at for item in items]
        ends = [item.departure.at if item.departure else item.arrival.at for item in items]
        staff = {item.staff_id for item in items} | set(
            [registrar.user.pk] if registrar.user else []
        )
        staff.discard(None)
        if starts:
            for chunk in _chunks(staff):
                for staff_id, start, end, visit_pk, client_id in (
                    Visit.objects.current()
                    .filter(
                        staff_id__in=chunk,
                        started_at__lt=max(ends),
                        ended_at__gt=min(starts),
                    )
                    .values_list("staff_id", "started_at", "ended_at", "pk", "client_id")
                ):
                    context.busy[staff_id].append((start, end, client_id, visit_pk))
        return context

    # One item -----------------------------------------------------------------------

    def build(
        self, item: SyncItem, offset: int, clock_flagged: bool, received_at: dt.datetime
    ) -> tuple[Visit, list[VisitTask], list[str]]:
        flags: list[str] = []
        staff_id = self._staff(item)
        client = self.clients.get(item.client_id)
        started_at = item.arrival.at.astimezone(dt.UTC)
        departure = item.departure
        ended_at = departure.at.astimezone(dt.UTC) if departure else started_at
        day, band = self.calendar.place(started_at)
        provider_id = self._provider(client, day)
        if client is None or provider_id is None:
            raise _Refusal("not_your_client", _("The client is not among your provider's clients."))
        if ended_at < started_at:
            raise _Refusal("ends_before_start", _("The departure is before the arrival."))
        if ended_at - started_at > LONGEST_VISIT:
            raise _Refusal(
                "too_long",
                _("A visit of more than 16 hours is not possible: check the times."),
            )
        if started_at > received_at + FUTURE_TOLERANCE and not clock_flagged:
            raise _Refusal("in_future", _("The visit starts in the future: check the time."))
        if item.outcome == Outcome.PERFORMED and departure is None:
            raise _Refusal(
                "no_departure", _("A visit that was carried out needs a departure time.")
            )
        if self.locks.is_locked(provider_id, day):
            raise _Refusal(
                "locked",
                _("%(day)s is locked for changes; ask your manager.")
                % {"day": day.strftime("%Y-%m-%d")},
            )
        tag = self._tag(item, client, day, flags)
        if item.arrival.by == Presence.NONE and item.no_tag_reason is None:
            raise _Refusal("no_tag_reason", _("Give a reason for registering without the tag."))
        tasks = self._tasks(item, client.pk, provider_id, day, flags)
        partner_id = item.partner_id
        if partner_id is not None and (
            partner_id == staff_id or (partner_id, provider_id) not in self.staff_teams
        ):
            raise _Refusal(
                "unknown_partner", _("The second staff member does not work for your provider.")
            )
        if item.alarm_id is not None and self.alarms.get(item.alarm_id, -1) != client.pk:
            raise _Refusal("unknown_alarm", _("The alarm is not one of this client's alarms."))

        minutes = performed_minutes(started_at, ended_at)
        policy = self.policy
        if item.outcome == Outcome.PERFORMED:
            if minutes < policy.short_visit_minutes:
                flags.append(FlagKind.SHORT)
            if minutes > policy.long_visit_minutes:
                flags.append(FlagKind.LONG)
        if received_at - ended_at > dt.timedelta(hours=policy.late_sync_hours):
            flags.append(FlagKind.LATE_SYNC)
        if clock_flagged:
            flags.append(FlagKind.CLOCK)
        team_id = (
            client.team_id
            if client.provider_id == provider_id
            else self.staff_teams.get((staff_id, provider_id))
        )
        visit = Visit(
            uuid=item.id,
            municipality_id=self.municipality.pk,
            provider_id=provider_id,
            team_id=team_id,
            client_id=client.pk,
            staff_id=staff_id,
            partner_id=partner_id,
            started_at=started_at,
            ended_at=ended_at,
            minutes=minutes,
            local_date=day,
            band=band,
            outcome=item.outcome,
            arrival=item.arrival.by,
            departure=departure.by if departure else item.arrival.by,
            tag=tag,
            no_tag_reason=item.no_tag_reason or "",
            alarm_id=item.alarm_id,
            note=item.note.strip(),
            phone_clock_offset=offset,
            synced_at=received_at,
        )
        shares = share_minutes(minutes if item.outcome == Outcome.PERFORMED else 0, len(tasks))
        for task, share in zip(tasks, shares, strict=True):
            task.minutes = share
        if FlagKind.NO_TAG in flags:
            self.details[(id(visit), FlagKind.NO_TAG)] = visit.get_no_tag_reason_display() or _(
                "Left without scanning out."
            )
        return visit, tasks, flags

    def _staff(self, item: SyncItem) -> int:
        registrar = self.registrar
        if registrar.user is not None:
            if item.staff_id not in (None, registrar.user.pk):
                raise _Refusal("wrong_staff", _("You register your own visits only."))
            return registrar.user.pk
        if item.staff_id is None:
            raise _Refusal("no_staff", _("Name the staff member who made the visit."))
        if item.staff_id not in registrar.staff_ids:
            raise _Refusal("unknown_staff", _("The staff member does not work for this provider."))
        return item.staff_id

    def _provider(self, client: Client | None, day: dt.date) -> int | None:
        """The provider of the registrar's that serves `client` on `day`: the client's own
        provider, or one with a granted service for them that day."""
        if client is None:
            return None
        providers = self.registrar.provider_ids
        if client.provider_id in providers and (client.end_date is None or client.end_date >= day):
            return client.provider_id
        for grant in self.grants.get(client.pk, ()):
            if grant.valid_from <= day and (grant.valid_to is None or grant.valid_to >= day):
                return grant.provider_id
        return None

    def _tag(self, item: SyncItem, client: Client, day: dt.date, flags: list[str]) -> NfcTag | None:
        found: NfcTag | None = None
        for scan in (item.arrival, item.departure):
            if scan is None or scan.by == Presence.NONE:
                continue
            try:
                code = tagcodes.parse(scan.tag)
            except tagcodes.InvalidTagCode as exc:
                raise _Refusal(
                    "unknown_tag", _("The tag code could not be read: scan or type it again.")
                ) from exc
            tag = self.tags.get(code)
            if tag is None:
                raise _Refusal(
                    "unknown_tag",
                    _(
                        "Tag %(code)s is not registered in Trygg; register without the tag "
                        "and report the tag to your team leader."
                    )
                    % {"code": code},
                )
            if tag.client_id != client.pk:
                raise _Refusal(
                    "tag_elsewhere", _("Tag %(code)s is at another client's door.") % {"code": code}
                )
            if not tag.is_in_place_on(day) and FlagKind.NO_TAG not in flags:
                flags.append(FlagKind.NO_TAG)
            found = found or tag
        if item.outcome == Outcome.PERFORMED and (
            item.arrival.by == Presence.NONE
            or (item.departure is not None and item.departure.by == Presence.NONE)
        ):
            if FlagKind.NO_TAG not in flags:
                flags.append(FlagKind.NO_TAG)
        elif item.arrival.by == Presence.NONE and FlagKind.NO_TAG not in flags:
            flags.append(FlagKind.NO_TAG)
        return found

    def _tasks(
        self, item: SyncItem, client_id: int, provider_id: int, day: dt.date, flags: list[str]
    ) -> list[VisitTask]:
        if item.outcome != Outcome.PERFORMED:
            return []
        codes = list(dict.fromkeys(code.strip() for code in item.tasks if code.strip()))
        if not codes:
            raise _Refusal("no_tasks", _("Tick at least one task you performed."))
        tasks: list[VisitTask] = []
        grants = self.grants.get(client_id, ())
        for code in codes:
            service_type_id = self.service_types.get(code)
            if service_type_id is None:
                raise _Refusal(
                    "unknown_task", _("Trygg does not know the task %(code)s.") % {"code": code}
                )
            grant = next(
                (
                    g
                    for g in grants
                    if g.code == code
                    and g.provider_id == provider_id
                    and g.valid_from <= day
                    and (g.valid_to is None or g.valid_to >= day)
                ),
                None,
            )
            if grant is None and FlagKind.NO_GRANT not in flags:
                flags.append(FlagKind.NO_GRANT)
            tasks.append(
                VisitTask(
                    service_type_id=service_type_id,
                    granted_service_id=grant.pk if grant else None,
                    minutes=0,
                )
            )
        return tasks

    # The batch as a whole -----------------------------------------------------------

    def flag_overlaps(self, accepted: list[tuple[Visit, list[str]]]) -> None:
        """Flag a visit that overlaps another by the same person, stored or in this batch,
        at another client (two visits to one client at once is a double registration the
        same check finds)."""
        by_staff: dict[int, list[tuple[dt.datetime, dt.datetime, Visit | None]]] = defaultdict(list)
        for staff_id, rows in self.busy.items():
            by_staff[staff_id].extend((start, end, None) for start, end, _c, _p in rows)
        for visit, _flags in accepted:
            if visit.outcome == Outcome.PERFORMED:
                by_staff[visit.staff_id].append((visit.started_at, visit.ended_at, visit))
        flagged: set[int] = set()
        for intervals in by_staff.values():
            intervals.sort(key=lambda row: (row[0], row[1]))
            latest_end: dt.datetime | None = None
            latest: Visit | None = None
            for start, end, this in intervals:
                if latest_end is not None and start < latest_end:
                    if this is not None:
                        flagged.add(id(this))
                    if latest is not None:
                        flagged.add(id(latest))
                if latest_end is None or end > latest_end:
                    latest_end, latest = end, this
        for visit, flags in accepted:
            if id(visit) in flagged and FlagKind.OVERLAP not in flags:
                flags.append(FlagKind.OVERLAP)
