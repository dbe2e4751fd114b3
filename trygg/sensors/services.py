"""What infrared camera sensors report, and the rules that make alarms of it.

`record_sensor_events` stores a camera's batch. Each event is decided on its own, and
the answer says which were stored, which were repeats and which were refused and why; the
batch is one transaction, so an event is stored with its alarm or not at all, and a
refused one leaves the others as they are. The camera keeps what was refused only if it
can correct it (its clock): a refused event is not asked for again.

- Once per event id: the camera's own id for an event, the same when it sends it again, is
  stored once (unique per camera); a repeat, in an earlier request or the same one, is
  answered as a duplicate.
- Out of order: a camera that was offline sends its buffer late; each event is placed by
  when it happened, not when it arrived. One with a time ahead of the server's clock (by
  more than `CLOCK_AHEAD`) is refused: its order cannot be trusted.
- Held by a client: an event counts for the client the camera was placed with on the
  day it happened (the municipality's day, as alarms are placed). A camera taken down, or
  not yet placed, has nobody to report on: its events are refused.
- Alarms: the client's rules say which kinds raise an alarm in which hours and at which
  priority; the rest are recorded only. An alarm goes through `alarms.raising` in this
  transaction, to the team on duty like a safety alarm. An event that arrives more than
  `RAISE_WITHIN` after it happened is recorded, not raised, and says so.
- Heard from: any request the camera makes moves its supervision deadline and restores a
  lost connection (`alarms.ingest.unit_heard_from`), as a heartbeat does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.alarms.ingest import unit_heard_from
from trygg.alarms.models import AlarmKind, AlarmPriority
from trygg.alarms.raising import Raise, raise_alarms
from trygg.core.constants import Technology
from trygg.core.models import Client, Consent, User
from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind

from . import access
from .constants import CLOCK_AHEAD, RAISE_WITHIN, TECHNICAL_KINDS, Outcome, alarm_code
from .models import SensorEvent, SensorRule


@dataclass(frozen=True)
class ReportedEvent:
    """One event as the camera sent it."""

    event_id: str
    kind: str
    at: dt.datetime
    minutes: int | None = None
    room: str = ""


@dataclass(frozen=True)
class Result:
    """What became of one event: stored (with the alarm it raised, if any), a duplicate of
    one stored before, or refused, with why in a sentence."""

    event_id: str
    outcome: Outcome
    detail: str = ""
    alarm_id: int | None = None


def is_sensor(unit: AlarmUnit) -> bool:
    return unit.kind == AlarmUnitKind.INFRARED_CAMERA


def matching_rule(rules: Sequence[SensorRule], kind: str, clock: dt.time) -> SensorRule | None:
    """The rule that raises an alarm for `kind` at this local time, the most urgent when
    several apply; None: the event is recorded only."""
    applying = [rule for rule in rules if rule.kind == kind and rule.covers(clock)]
    return min(applying, key=lambda rule: (rule.priority, rule.pk or 0), default=None)


def record_sensor_events(
    unit: AlarmUnit, events: Sequence[ReportedEvent], *, now: dt.datetime | None = None
) -> list[Result]:
    """Store a camera's events, each once; one result per event, in the order sent."""
    now = now or timezone.now()
    results: list[Result | None] = [None] * len(events)
    with transaction.atomic():
        # One request per camera at a time: two copies of a batch sent at once (a retry
        # over a slow network) cannot both find an event new.
        camera = (
            AlarmUnit.objects.select_for_update(of=("self",))
            .select_related("municipality")
            .get(pk=unit.pk)
        )
        municipality = camera.municipality
        known = set(
            SensorEvent.objects.filter(
                unit=camera, event_id__in=sorted({e.event_id for e in events})
            ).values_list("event_id", flat=True)
        )
        placements = list(
            AlarmPlacement.objects.filter(unit=camera, client__isnull=False).select_related(
                "client"
            )
        )
        rules: dict[int, list[SensorRule]] = {}
        for stored in SensorRule.objects.filter(client__in=[p.client_id for p in placements]):
            rules.setdefault(stored.client_id, []).append(stored)

        new: list[tuple[int, SensorEvent, SensorRule | None]] = []
        # By when each happened: stored, and raised, in the order of the night.
        for position in sorted(range(len(events)), key=lambda i: (events[i].at, i)):
            event = events[position]
            if event.event_id in known:
                results[position] = Result(event.event_id, Outcome.DUPLICATE)
                continue
            refusal = _refusal(event, now)
            day = municipality.local_date(event.at)
            placement = next((p for p in placements if p.is_active_on(day)), None)
            if not refusal and placement is None:
                refusal = _(
                    "the camera was not placed with any client on %(day)s: nothing is "
                    "recorded for a camera taken down or not yet installed."
                ) % {"day": day.isoformat()}
            if refusal:
                results[position] = Result(event.event_id, Outcome.REFUSED, refusal)
                continue
            assert placement is not None
            assert placement.client is not None
            known.add(event.event_id)
            clock = municipality.localtime(event.at).time()
            rule = matching_rule(rules.get(placement.client.pk, []), event.kind, clock)
            note = ""
            if rule is not None and now - event.at > RAISE_WITHIN:
                rule, note = None, _("Arrived too late to raise an alarm.")
            row = SensorEvent(
                unit=camera,
                event_id=event.event_id,
                kind=event.kind,
                at=event.at,
                received_at=now,
                minutes=event.minutes,
                room=event.room,
                placement=placement,
                client=placement.client,
                note=note,
            )
            new.append((position, row, rule))

        raising = [(row, found) for _pos, row, found in new if found is not None]
        alarms = raise_alarms(
            [
                Raise(
                    camera,
                    AlarmKind.TECHNICAL if row.kind in TECHNICAL_KINDS else AlarmKind.ALARM,
                    alarm_code(row.kind),
                    text=f"{row.minutes} min" if row.minutes is not None else "",
                    zone=row.room[:32],
                    at=row.at,
                    priority=found.priority,
                )
                for row, found in raising
            ],
            now,
        )
        for (row, _found), alarm in zip(raising, alarms, strict=True):
            row.alarm_id = alarm.pk
        SensorEvent.objects.bulk_create([row for _pos, row, _found in new])
        for entry in new:
            results[entry[0]] = Result(
                entry[1].event_id, Outcome.STORED, alarm_id=entry[1].alarm_id
            )
        unit_heard_from(camera, now)
    return [result for result in results if result is not None]


def _refusal(event: ReportedEvent, now: dt.datetime) -> str:
    if event.at > now + CLOCK_AHEAD:
        return _(
            "the time is ahead of the server's clock by more than %(minutes)d minutes; "
            "set the camera's clock."
        ) % {"minutes": CLOCK_AHEAD.seconds // 60}
    return ""


def heartbeat(unit: AlarmUnit, *, now: dt.datetime | None = None) -> bool:
    """The camera is alive: its supervision deadline moves on, as an alarm unit's does."""
    return unit_heard_from(unit, now or timezone.now())


# What the pages show -----------------------------------------------------------------------


def cameras_now(
    clients: Iterable[Client] | QuerySet[Client], today: dt.date
) -> list[AlarmPlacement]:
    """The infrared cameras placed now with these clients."""
    return list(
        AlarmPlacement.objects.active_on(today)
        .filter(client__in=clients, unit__kind=AlarmUnitKind.INFRARED_CAMERA)
        .select_related("unit", "client")
        .order_by("client__last_name", "client__first_name", "unit__serial_number")
    )


def consent_in_force(client: Client, today: dt.date) -> Consent | None:
    """The consent to sensor supervision the client's cameras rest on: the latest given
    and not withdrawn."""
    return (
        Consent.objects.filter(client=client, technology=Technology.SENSOR_SUPERVISION)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today))
        .order_by("-given_on", "-pk")
        .first()
    )


# Rules -------------------------------------------------------------------------------------


class RuleError(ValueError):
    """A rule that cannot be saved as asked; the message says why."""


def save_rule(
    actor: User,
    client: Client,
    *,
    kind: str,
    starts: dt.time,
    ends: dt.time,
    priority: int = AlarmPriority.NORMAL,
    note: str = "",
    rule: SensorRule | None = None,
) -> SensorRule:
    """Add a rule for the client, or change `rule`. Two rules for one kind may not share an
    hour: which priority applied would be a guess."""
    if not access.can_set_rules(actor, client):
        raise PermissionError("You may not set this client's sensor rules.")
    if rule is not None and rule.client_id != client.pk:
        raise RuleError(_("The rule belongs to another client."))
    candidate = rule or SensorRule(client=client)
    candidate.kind, candidate.starts, candidate.ends = kind, starts, ends
    candidate.priority, candidate.note, candidate.changed_by = priority, note.strip(), actor
    with transaction.atomic():
        # Rules of one client are changed one at a time: two overlapping rules saved at once
        # cannot both pass the check.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        others = SensorRule.objects.filter(client=client, kind=kind)
        if rule is not None:
            others = others.exclude(pk=rule.pk)
        taken = candidate.minutes()
        for other in others:
            if other.minutes() & taken:
                raise RuleError(
                    _("There is already a rule for %(kind)s %(hours)s; change that one instead.")
                    % {"kind": other.get_kind_display().lower(), "hours": other.hours_label}
                )
        candidate.save()
    return candidate


def delete_rule(actor: User, rule: SensorRule) -> None:
    """Remove a rule: its events are recorded only from now on."""
    if not access.can_set_rules(actor, rule.client):
        raise PermissionError("You may not set this client's sensor rules.")
    SensorRule.objects.filter(pk=rule.pk).delete()
