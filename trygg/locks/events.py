"""Lock events as people read them: who may see which, each unlock tied to the visit (or
alarm) it belongs to, and the unlocks nobody can account for, flagged for review.

An unlock is accounted for when the holder registered a visit to a client behind the door,
or was answering an alarm of one, within `UNLOCK_CONTEXT_MARGIN` of it (a visit is
registered from arrival to departure; the door opens a little before the arrival scan, and
an alarm is answered from its raising until it is closed). An unlock without either is
flagged for review, but not until `UNLOCK_REVIEW_AFTER` has passed: the visit is sent when
the worker leaves and the phone has network. Both are worked out when the events are read,
so a visit registered late clears the flag by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.alarms.models import Alarm
from trygg.core import access as core_access
from trygg.core.models import Client, User
from trygg.devices.models import DoorLock
from trygg.visits import access as visit_access
from trygg.visits.models import Visit

from . import access
from .constants import LockEventKind
from .models import LockEvent
from .models_events import UnlockReview

UNLOCK_CONTEXT_MARGIN = dt.timedelta(minutes=30)
UNLOCK_REVIEW_AFTER = dt.timedelta(hours=2)


class ReviewError(ValueError):
    """A review that cannot be saved as asked; the message says why."""


def visible_events(user: User | AnonymousUser) -> QuerySet[LockEvent]:
    """The lock events this user may see: at the locks they see, those of the keys they
    see, and those that name no key of the lock (a battery warning, tampering, a token the
    lock could not read). A shared entrance shows a provider its own staff's events only."""
    locks = access.locks(user)
    keys = access.keys(user)
    return LockEvent.objects.filter(lock__in=locks.values("pk")).filter(
        Q(key__isnull=True) | Q(key__in=keys.values("pk"))
    )


def _behind_the_door() -> Q:
    """Visits and alarms of a client behind the outer query's event's door."""
    entrance = DoorLock.entrance_clients.through.objects.filter(
        doorlock_id=OuterRef(OuterRef("lock_id"))
    ).values("client_id")
    return Q(client_id=OuterRef("lock__client_id")) | Q(client_id__in=entrance)


def with_context(events: QuerySet[LockEvent]) -> QuerySet[LockEvent]:
    """Annotate each unlock with the visit (`visit_pk`) or alarm (`alarm_pk`) around it
    and whether it has been reviewed (`reviewed`)."""
    margin = UNLOCK_CONTEXT_MARGIN
    visits = (
        Visit.objects.current()
        .filter(_behind_the_door())
        .filter(Q(staff_id=OuterRef("holder_id")) | Q(partner_id=OuterRef("holder_id")))
        .filter(started_at__lte=OuterRef("at") + margin, ended_at__gte=OuterRef("at") - margin)
        .order_by("started_at", "pk")
        .values("pk")[:1]
    )
    alarms = (
        Alarm.objects.filter(_behind_the_door())
        .filter(assigned_to_id=OuterRef("holder_id"), created_at__lte=OuterRef("at") + margin)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=OuterRef("at") - margin))
        .order_by("-created_at", "pk")
        .values("pk")[:1]
    )
    return events.annotate(
        visit_pk=Subquery(visits),
        alarm_pk=Subquery(alarms),
        reviewed=Exists(UnlockReview.objects.filter(event_id=OuterRef("pk"))),
    )


def flagged(events: QuerySet[LockEvent], now: dt.datetime | None = None) -> QuerySet[LockEvent]:
    """Of `with_context(...)` events, the unlocks flagged for review and not yet reviewed."""
    now = now or timezone.now()
    # Q objects: the annotations are not fields the type checker knows.
    return events.filter(
        Q(visit_pk__isnull=True),
        Q(alarm_pk__isnull=True),
        Q(reviewed=False),
        kind=LockEventKind.UNLOCKED,
        at__lte=now - UNLOCK_REVIEW_AFTER,
    )


@dataclass
class EventRow:
    event: LockEvent
    visit: Visit | None  # the visit around an unlock, when the viewer may open it
    visit_hidden: bool  # there is one, but the viewer may not open it (another team's)
    alarm: Alarm | None
    state: str  # "visit", "alarm", "flagged", "waiting", "reviewed" or "" (not an unlock)
    review: UnlockReview | None
    can_review: bool = False
    door_clients: list[Client] = field(default_factory=list)  # those the viewer may see


def rows(user: User, events: Iterable[LockEvent], now: dt.datetime | None = None) -> list[EventRow]:
    """Events annotated by `with_context`, ready for a page."""
    now = now or timezone.now()
    events = list(events)
    visit_ids = {e.visit_pk for e in events if getattr(e, "visit_pk", None)}  # type: ignore[attr-defined]
    alarm_ids = {e.alarm_pk for e in events if getattr(e, "alarm_pk", None)}  # type: ignore[attr-defined]
    visits = {
        v.pk: v
        for v in visit_access.visits(user)
        .filter(pk__in=visit_ids)
        .select_related("client", "staff")
    }
    alarms = {a.pk: a for a in Alarm.objects.filter(pk__in=alarm_ids)}
    reviews = {
        r.event_id: r
        for r in UnlockReview.objects.filter(
            event_id__in=[e.pk for e in events if getattr(e, "reviewed", False)]
        ).select_related("reviewed_by")
    }
    key_ids = {e.key_id for e in events if e.key_id is not None}
    revocable = set(
        access.keys(user, to_revoke=True).filter(pk__in=key_ids).values_list("pk", flat=True)
    )
    managed = core_access.scope_for(user).municipalities_with(access.LOCK_MANAGER_ROLES)
    behind = clients_by_lock({e.lock for e in events}, user)
    result = []
    for event in events:
        visit_pk = getattr(event, "visit_pk", None)
        alarm_pk = getattr(event, "alarm_pk", None)
        state = ""
        if event.kind == LockEventKind.UNLOCKED:
            if visit_pk:
                state = "visit"
            elif alarm_pk:
                state = "alarm"
            elif event.pk in reviews:
                state = "reviewed"
            elif event.at > now - UNLOCK_REVIEW_AFTER:
                state = "waiting"
            else:
                state = "flagged"
        result.append(
            EventRow(
                event=event,
                visit=visits.get(visit_pk) if visit_pk else None,
                visit_hidden=bool(visit_pk) and visit_pk not in visits,
                alarm=alarms.get(alarm_pk) if alarm_pk else None,
                state=state,
                review=reviews.get(event.pk),
                can_review=state == "flagged"
                and (
                    event.key_id in revocable
                    if event.key_id is not None
                    else event.lock.municipality_id in managed
                ),
                door_clients=behind.get(event.lock_id, []),
            )
        )
    return result


def clients_by_lock(locks: Iterable[DoorLock], user: User) -> dict[int, list[Client]]:
    """The clients behind each of these doors that the user may see, by lock."""
    lock_list = list(locks)
    pairs = {(lock.pk, lock.client_id) for lock in lock_list if lock.client_id}
    pairs |= set(
        DoorLock.entrance_clients.through.objects.filter(
            doorlock_id__in=[lock.pk for lock in lock_list]
        ).values_list("doorlock_id", "client_id")
    )
    visible = {
        c.pk: c
        for c in core_access.clients(user)
        .filter(pk__in={client_id for _lock, client_id in pairs})
        .order_by("last_name", "first_name")
    }
    found: dict[int, list[Client]] = {}
    for lock_pk, client_id in sorted(pairs):
        if client_id in visible:
            found.setdefault(lock_pk, []).append(visible[client_id])
    return found


def clients_of(locks: Iterable[DoorLock], user: User) -> list[Client]:
    """The clients behind these doors that the user may see: for the access log."""
    found = {c.pk: c for clients in clients_by_lock(locks, user).values() for c in clients}
    return list(found.values())


def can_review(user: User | AnonymousUser, event: LockEvent) -> bool:
    """Those who may revoke the key may say what an unlock under it was."""
    if event.key_id is None:
        return access.can_manage_locks(user, event.lock.municipality_id)
    return access.keys(user, to_revoke=True).filter(pk=event.key_id).exists()


def review(
    actor: User, event: LockEvent, note: str, *, now: dt.datetime | None = None
) -> UnlockReview:
    """Say what a flagged unlock was ("visit not registered: the phone was flat")."""
    if not can_review(actor, event):
        raise PermissionError("You may not review this unlock.")
    if event.kind != LockEventKind.UNLOCKED:
        raise ReviewError(_("Only an unlock is reviewed."))
    note = note.strip()
    if not note:
        raise ReviewError(_("Say what the unlock was."))
    if len(note) > 500:
        raise ReviewError(_("The note can be at most 500 characters."))
    with transaction.atomic():
        if UnlockReview.objects.filter(event=event).exists():
            raise ReviewError(_("The unlock has already been reviewed."))
        return UnlockReview.objects.create(
            event=event, reviewed_by=actor, reviewed_at=now or timezone.now(), note=note
        )
