"""Taking a batch of registrations from a phone: each item checked on its own and answered
accepted, duplicate or refused with a reason, the accepted ones written together.

Idempotent: a visit is known by the id the phone made for it, so a batch sent again (the
phone never heard the answer) stores nothing twice, and two copies of a batch arriving at
once are settled by the database's unique index. Everything a batch needs (its clients,
their granted services, tags, locks, the staff's other visits) is read with one query per
kind whatever its size, and the accepted visits, their tasks and review flags are written
in a few statements (`lib.bulkinsert`): a phone that was offline for a whole shift, or a
provider's system sending a month, syncs in one request.

Fast because a batch of 10,000 is mostly Python (docs/benchmarks.md, "Visit sync"): the
batch is validated in one pydantic pass (item by item only when some are malformed, to
say which and why), each distinct tag code is parsed once, the rows are model instances
made without `Model.__init__` (`_row`), and the look-ups pass their ids as one array (or
one JSON list on SQLite) rather than thousands of query parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import TypeAdapter, ValidationError

from trygg.alarms.models import Alarm
from trygg.core.models import Client, GrantedService, RoleAssignment, ServiceType
from trygg.devices.models import NfcTag
from trygg.lib import gcpause, tagcodes
from trygg.lib.bulkinsert import insert_rows

from .models import (
    PROVEN,
    FlagKind,
    NoTagReason,
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

_ITEMS: TypeAdapter[list[SyncItem]] = TypeAdapter(list[SyncItem])
_PERFORMED = Outcome.PERFORMED.value
_NO_PRESENCE = Presence.NONE.value


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
    # The batch's objects all live until it is done: collector passes over them were
    # almost half the sync's CPU (lib/gcpause.py).
    with gcpause.paused():
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
    results, parsed = _validate(raw_items)
    context = _Context.load(registrar, policy, [item for _result, item in parsed])
    accepted: list[tuple[ItemResult, Visit, list[tuple[int, int | None, int]], list[str]]] = []
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

    stored_overlaps = context.flag_overlaps([(visit, flags) for _r, visit, _t, flags in accepted])
    with transaction.atomic():
        insert_rows([visit for _r, visit, _t, _f in accepted])
        all_tasks: list[VisitTask] = []
        all_flags: list[VisitFlag] = []
        details = context.details
        for result, visit, tasks, flags in accepted:
            visit_id = visit.pk
            for service_type_id, granted_service_id, minutes in tasks:
                all_tasks.append(
                    _row(
                        VisitTask,
                        visit_id=visit_id,
                        service_type_id=service_type_id,
                        granted_service_id=granted_service_id,
                        minutes=minutes,
                    )
                )
            for kind in flags:
                all_flags.append(
                    _row(
                        VisitFlag,
                        visit_id=visit_id,
                        kind=kind,
                        detail=details.get((id(visit), kind), ""),
                        raised_at=received_at,
                    )
                )
            result.status = ACCEPTED
            result.visit_id = visit_id
            result.flags = sorted(flags)
        all_flags.extend(context.stored_flags(stored_overlaps, received_at))
        insert_rows(all_tasks)
        insert_rows(all_flags)
    return SyncResult(received_at, offset, clock_flagged, results)


def _validate(raw_items: Sequence[Any]) -> tuple[list[ItemResult], list[tuple[ItemResult, Any]]]:
    """An answer for every item and the well-formed items, each id once. The batch is
    validated in one pass; only when some items are malformed are those validated again
    on their own, for the reason to give."""
    results: list[ItemResult] = []
    candidates: list[tuple[ItemResult, Any]] = []
    for index, raw in enumerate(raw_items):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        result = ItemResult(index=index, id=str(raw_id) if raw_id is not None else None, status="")
        results.append(result)
        if isinstance(raw, dict):
            candidates.append((result, raw))
        else:
            _refuse(result, "invalid", _("Each registration is an object."))
    try:
        valid = list(
            zip(candidates, _ITEMS.validate_python([raw for _r, raw in candidates]), strict=True)
        )
    except ValidationError as exc:
        malformed = {error["loc"][0] for error in exc.errors()}
        good = [pair for n, pair in enumerate(candidates) if n not in malformed]
        valid = list(zip(good, _ITEMS.validate_python([raw for _r, raw in good]), strict=True))
        for n in sorted(malformed):
            result, raw = candidates[int(n)]
            try:
                SyncItem.model_validate(raw)
            except ValidationError as error:
                _refuse(result, "invalid", explain(error))
    parsed: list[tuple[ItemResult, SyncItem]] = []
    seen: set[uuid.UUID] = set()
    for (result, _raw), item in valid:
        result.id = str(item.id)
        if item.id in seen:
            result.status = DUPLICATE
            result.reason = _("The same registration appears twice in the batch.")
            continue
        seen.add(item.id)
        parsed.append((result, item))
    return results, parsed


def _refuse(result: ItemResult, code: str, reason: str) -> None:
    result.status = REFUSED
    result.code = code
    result.reason = reason


M = TypeVar("M", bound=models.Model)
_TEMPLATES: dict[type[models.Model], dict[str, Any]] = {}


def _row(model: type[M], **values: Any) -> M:
    """An unsaved instance of `model` holding `values` (by attribute name, `client_id` not
    `client`) and every other field's default, made without `Model.__init__`: for 34,000
    rows a batch, `__init__` (its keyword path, signals, descriptors) was the largest cost
    of the sync. The instance is only written (`insert_rows`) and read back by attribute.
    Fields with a callable default (a fresh uuid, the current time) have none here and
    must be given."""
    template = _TEMPLATES.get(model)
    if template is None:
        template = {
            f.attname: f.get_default()
            for f in model._meta.concrete_fields
            if not (f.has_default() and callable(f.default))
        }
        _TEMPLATES[model] = template
    row = model.__new__(model)
    state = row.__dict__
    state.update(template)
    state.update(values)
    state["_state"] = ModelState()
    return row


def _among(values: Collection[Any], cast: str) -> RawSQL:
    """`values` as a subquery for `field__in=`: one parameter whatever their number (an
    array on PostgreSQL, a JSON list on SQLite) instead of one per value, which Django
    would build one by one and SQLite would take 999 at a time."""
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{cast}[])", [list(values)])  # noqa: S611 (a cast)
    if cast == "uuid":  # stored as 32 hex digits
        values = [value.hex for value in values]
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(values))])


@dataclass
class _Grant:
    pk: int
    provider_id: int
    code: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass
class _Tag:
    pk: int
    client_id: int | None
    placed_on: dt.date | None
    retired_on: dt.date | None


class _Context:
    """What checking a batch needs, read once."""

    def __init__(self, registrar: Registrar, policy: VisitPolicy) -> None:
        self.registrar = registrar
        self.policy = policy
        self.municipality = registrar.municipality
        self.calendar = Calendar(registrar.municipality)
        self.locks = Locks(registrar.provider_ids)
        self.stored: dict[uuid.UUID, tuple[int, int]] = {}
        self.clients: dict[int, tuple[int | None, int | None, dt.date | None]] = {}
        self.grants: dict[int, list[_Grant]] = defaultdict(list)
        self.grants_for_task: dict[tuple[int, int, str], list[_Grant]] = defaultdict(list)
        self.service_types: dict[str, int] = {}
        self.codes: dict[str, str | None] = {}  # as sent -> as printed (None: not a code)
        self.tags: dict[str, _Tag] = {}
        self.alarms: dict[int, int | None] = {}
        self.staff_teams: dict[tuple[int, int], int | None] = {}
        # A person's stored visits in the batch's time span: start, end, visit, its day.
        self.busy: dict[int, list[tuple[dt.datetime, dt.datetime, int, dt.date, int]]] = (
            defaultdict(list)
        )
        self.details: dict[tuple[int, str], str] = {}
        self.no_tag_details = {value: str(label) for value, label in NoTagReason.choices}

    @classmethod
    def load(cls, registrar: Registrar, policy: VisitPolicy, items: list[SyncItem]) -> _Context:
        context = cls(registrar, policy)
        if not items:
            return context
        municipality = registrar.municipality
        providers = list(registrar.provider_ids)
        context.stored = {
            visit_uuid: (staff_id, pk)
            for visit_uuid, staff_id, pk in Visit.objects.filter(
                uuid__in=_among({item.id for item in items}, "uuid")
            ).values_list("uuid", "staff_id", "pk")
        }
        # The rest is read for the items to store: a batch sent again reads nothing more.
        items = [item for item in items if item.id not in context.stored]
        if not items:
            return context
        client_ids = _among({item.client_id for item in items}, "bigint")
        context.clients = {
            pk: (provider_id, team_id, end_date)
            for pk, provider_id, team_id, end_date in Client.objects.filter(
                pk__in=client_ids, municipality=municipality
            ).values_list("pk", "provider_id", "team_id", "end_date")
        }
        for pk, client_id, provider_id, code, valid_from, valid_to in GrantedService.objects.filter(
            client_id__in=client_ids, provider_id__in=providers
        ).values_list(
            "pk", "client_id", "provider_id", "service_type__code", "valid_from", "valid_to"
        ):
            grant = _Grant(pk, provider_id, code, valid_from, valid_to)
            context.grants[client_id].append(grant)
            context.grants_for_task[(client_id, provider_id, code)].append(grant)
        context.service_types = dict(
            ServiceType.objects.filter(municipality=municipality).values_list("code", "pk")
        )
        codes = context.codes
        for item in items:
            for scan in (item.arrival, item.departure):
                if scan is not None and scan.by in PROVEN and scan.tag not in codes:
                    try:
                        codes[scan.tag] = tagcodes.parse(scan.tag)
                    except tagcodes.InvalidTagCode:
                        codes[scan.tag] = None
        printed = {code for code in codes.values() if code is not None}
        if printed:
            context.tags = {
                code: _Tag(pk, client_id, placed_on, retired_on)
                for pk, code, client_id, placed_on, retired_on in NfcTag.objects.filter(
                    municipality=municipality, code__in=_among(printed, "text")
                ).values_list("pk", "code", "client_id", "placed_on", "retired_on")
            }
        alarm_ids = {item.alarm_id for item in items if item.alarm_id}
        if alarm_ids:
            context.alarms = dict(
                Alarm.objects.filter(
                    pk__in=_among(alarm_ids, "bigint"), municipality=municipality
                ).values_list("pk", "client_id")
            )
        for user_id, provider_id, team_id in RoleAssignment.objects.filter(
            provider_id__in=providers
        ).values_list("user_id", "provider_id", "teams"):
            key = (user_id, provider_id)
            if context.staff_teams.get(key) is None:
                context.staff_teams[key] = team_id
        first = min(item.arrival.at for item in items)
        last = max(item.departure.at if item.departure else item.arrival.at for item in items)
        staff = {item.staff_id for item in items if item.staff_id is not None}
        if registrar.user is not None:
            staff.add(registrar.user.pk)
        for staff_id, start, end, visit_pk, day, provider_id in (
            Visit.objects.current()
            .filter(
                staff_id__in=_among(staff, "bigint"),
                # No visit is longer (sync and corrections refuse one): the lower bound
                # keeps the look-up to an index range, not each person's whole history.
                started_at__gt=first - LONGEST_VISIT,
                started_at__lt=last,
                ended_at__gt=first,
            )
            .values_list("staff_id", "started_at", "ended_at", "pk", "local_date", "provider_id")
        ):
            context.busy[staff_id].append((start, end, visit_pk, day, provider_id))
        return context

    # One item -----------------------------------------------------------------------

    def build(
        self, item: SyncItem, offset: int, clock_flagged: bool, received_at: dt.datetime
    ) -> tuple[Visit, list[tuple[int, int | None, int]], list[str]]:
        """The visit of a well-formed item, its tasks (service type, granted service,
        minutes) and flags; _Refusal if it cannot be stored."""
        flags: list[str] = []
        staff_id = self._staff(item)
        client_id = item.client_id
        client = self.clients.get(client_id)
        started_at = item.arrival.at.astimezone(dt.UTC)
        departure = item.departure
        ended_at = departure.at.astimezone(dt.UTC) if departure else started_at
        day, band = self.calendar.place(started_at)
        provider_id = self._provider(client_id, client, day)
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
        outcome = item.outcome.value
        performed = outcome == _PERFORMED
        if performed and departure is None:
            raise _Refusal(
                "no_departure", _("A visit that was carried out needs a departure time.")
            )
        if self.locks.is_locked(provider_id, day):
            raise _Refusal(
                "locked",
                _("%(day)s is locked for changes; ask your manager.")
                % {"day": day.strftime("%Y-%m-%d")},
            )
        tag_id = self._tag(item, client_id, day, flags)
        arrival = item.arrival.by.value
        if arrival == _NO_PRESENCE and item.no_tag_reason is None:
            raise _Refusal("no_tag_reason", _("Give a reason for registering without the tag."))
        tasks = self._tasks(item, client_id, provider_id, day, flags)
        partner_id = item.partner_id
        if partner_id is not None and (
            partner_id == staff_id or (partner_id, provider_id) not in self.staff_teams
        ):
            raise _Refusal(
                "unknown_partner", _("The second staff member does not work for your provider.")
            )
        if item.alarm_id is not None and self.alarms.get(item.alarm_id, -1) != client_id:
            raise _Refusal("unknown_alarm", _("The alarm is not one of this client's alarms."))

        minutes = performed_minutes(started_at, ended_at)
        policy = self.policy
        if performed:
            if minutes < policy.short_visit_minutes:
                flags.append(FlagKind.SHORT)
            if minutes > policy.long_visit_minutes:
                flags.append(FlagKind.LONG)
        if received_at - ended_at > dt.timedelta(hours=policy.late_sync_hours):
            flags.append(FlagKind.LATE_SYNC)
        if clock_flagged:
            flags.append(FlagKind.CLOCK)
        client_provider, client_team, _end = client
        team_id = (
            client_team
            if client_provider == provider_id
            else self.staff_teams.get((staff_id, provider_id))
        )
        no_tag_reason = item.no_tag_reason.value if item.no_tag_reason else ""
        visit = _row(
            Visit,
            uuid=item.id,
            municipality_id=self.municipality.pk,
            provider_id=provider_id,
            team_id=team_id,
            client_id=client_id,
            staff_id=staff_id,
            partner_id=partner_id,
            started_at=started_at,
            ended_at=ended_at,
            minutes=minutes,
            local_date=day,
            band=band,
            outcome=outcome,
            arrival=arrival,
            departure=departure.by.value if departure else arrival,
            tag_id=tag_id,
            no_tag_reason=no_tag_reason,
            alarm_id=item.alarm_id,
            note=item.note.strip(),
            phone_clock_offset=offset,
            synced_at=received_at,
        )
        shares = share_minutes(minutes if performed else 0, len(tasks)) if tasks else []
        if FlagKind.NO_TAG in flags:
            self.details[(id(visit), FlagKind.NO_TAG)] = self.no_tag_details.get(
                no_tag_reason
            ) or _("Left without scanning out.")
        return visit, [(*task, share) for task, share in zip(tasks, shares, strict=True)], flags

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

    def _provider(
        self,
        client_id: int,
        client: tuple[int | None, int | None, dt.date | None] | None,
        day: dt.date,
    ) -> int | None:
        """The provider of the registrar's that serves the client on `day`: the client's
        own provider, or one with a granted service for them that day."""
        if client is None:
            return None
        provider_id, _team_id, end_date = client
        if provider_id in self.registrar.provider_ids and (end_date is None or end_date >= day):
            return provider_id
        for grant in self.grants.get(client_id, ()):
            if grant.valid_from <= day and (grant.valid_to is None or grant.valid_to >= day):
                return grant.provider_id
        return None

    def _tag(self, item: SyncItem, client_id: int, day: dt.date, flags: list[str]) -> int | None:
        """The tag that proves presence (its id), refusing a code that is not a tag or a
        tag at another door; flags a visit without one."""
        found: int | None = None
        for scan in (item.arrival, item.departure):
            if scan is None or scan.by == Presence.NONE:
                continue
            code = self.codes.get(scan.tag)
            if code is None:
                raise _Refusal(
                    "unknown_tag", _("The tag code could not be read: scan or type it again.")
                )
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
            if tag.client_id != client_id:
                raise _Refusal(
                    "tag_elsewhere", _("Tag %(code)s is at another client's door.") % {"code": code}
                )
            # As NfcTag.is_in_place_on (the client matched above).
            in_place = (
                tag.placed_on is not None
                and tag.placed_on <= day
                and (tag.retired_on is None or tag.retired_on >= day)
            )
            if not in_place and FlagKind.NO_TAG not in flags:
                flags.append(FlagKind.NO_TAG)
            found = found or tag.pk
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
    ) -> list[tuple[int, int | None]]:
        """The tasks performed: each one's service type and the granted service that covers
        it on `day` (None, and the visit flagged, when none does)."""
        if item.outcome != Outcome.PERFORMED:
            return []
        codes = list(dict.fromkeys(code.strip() for code in item.tasks if code.strip()))
        if not codes:
            raise _Refusal("no_tasks", _("Tick at least one task you performed."))
        tasks: list[tuple[int, int | None]] = []
        grants = self.grants_for_task
        for code in codes:
            service_type_id = self.service_types.get(code)
            if service_type_id is None:
                raise _Refusal(
                    "unknown_task", _("Trygg does not know the task %(code)s.") % {"code": code}
                )
            granted: int | None = None
            for grant in grants.get((client_id, provider_id, code), ()):
                if grant.valid_from <= day and (grant.valid_to is None or grant.valid_to >= day):
                    granted = grant.pk
                    break
            if granted is None and FlagKind.NO_GRANT not in flags:
                flags.append(FlagKind.NO_GRANT)
            tasks.append((service_type_id, granted))
        return tasks

    # The batch as a whole -----------------------------------------------------------

    def flag_overlaps(self, accepted: list[tuple[Visit, list[str]]]) -> set[int]:
        """Flag a visit that overlaps another by the same person, stored or in this batch
        (two visits to one client at once is a double registration the same check finds).
        Returns the stored visits the batch's visits overlap, to be flagged too."""
        by_staff: dict[int, list[tuple[dt.datetime, dt.datetime, Visit | int]]] = defaultdict(list)
        for staff_id, rows in self.busy.items():
            by_staff[staff_id].extend((start, end, pk) for start, end, pk, _d, _p in rows)
        for visit, _flags in accepted:
            if visit.outcome == _PERFORMED:
                by_staff[visit.staff_id].append((visit.started_at, visit.ended_at, visit))
        flagged: set[int] = set()
        stored: set[int] = set()
        for intervals in by_staff.values():
            if len(intervals) < 2:
                continue
            intervals.sort(key=lambda row: (row[0], row[1]))
            latest_end: dt.datetime | None = None
            latest: Visit | int | None = None
            for start, end, this in intervals:
                if latest_end is not None and start < latest_end:
                    # Two stored visits overlapping each other were flagged when stored.
                    if isinstance(this, Visit):
                        flagged.add(id(this))
                        if isinstance(latest, Visit):
                            flagged.add(id(latest))
                        elif latest is not None:
                            stored.add(latest)
                    elif isinstance(latest, Visit):
                        flagged.add(id(latest))
                        stored.add(this)
                if latest_end is None or end > latest_end:
                    latest_end, latest = end, this
        for visit, flags in accepted:
            if id(visit) in flagged and FlagKind.OVERLAP not in flags:
                flags.append(FlagKind.OVERLAP)
        return stored

    def stored_flags(self, visit_ids: set[int], raised_at: dt.datetime) -> list[VisitFlag]:
        """Overlap flags for stored visits a new one overlaps, written with the batch: for
        those not flagged so already (a flag a team leader cleared stays cleared: the new
        visit carries its own flag), and not on a locked day (nothing changes there)."""
        if not visit_ids:
            return []
        days = {
            pk: (day, provider_id)
            for rows in self.busy.values()
            for _s, _e, pk, day, provider_id in rows
        }
        candidates = {pk for pk in visit_ids if not self.locks.is_locked(days[pk][1], days[pk][0])}
        if not candidates:
            return []
        already = set(
            VisitFlag.objects.filter(
                visit_id__in=_among(candidates, "bigint"), kind=FlagKind.OVERLAP
            ).values_list("visit_id", flat=True)
        )
        return [
            _row(VisitFlag, visit_id=pk, kind=FlagKind.OVERLAP, detail="", raised_at=raised_at)
            for pk in sorted(candidates - already)
        ]
