"""The training's operations: record a provider's start, plan sessions, book people, record
attendance, web courses and support users. Each checks everything first and owns its
transaction, so a refused change writes nothing; providers are told of bookings inside it.

Refusals raise `TrainingError` with a message for the person (and the form field it belongs
to), in the active language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.models import Municipality, Provider, RoleAssignment, User
from trygg.lib.bounds import check_date

from . import notices
from .constants import MAX_REPEATS, MAX_SEATS, TEACHER_LED_ROLES, SessionKind, TrainedSystem
from .models import Booking, StartPlan, SupportUser, TrainingSession, WebCourseCompletion
from .notices import Change

# Links are shown to people as links: only web addresses, never javascript: or the like.
_LINK = URLValidator(schemes=["https", "http"])


class TrainingError(Exception):
    """A change refused, with the reason; `field` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def works_for(person: User, provider: Provider) -> bool:
    return (
        person.is_active and RoleAssignment.objects.filter(user=person, provider=provider).exists()
    )


def _check_dates(**days: dt.date) -> None:
    for name, day in days.items():
        try:
            check_date(day)
        except ValueError as exc:
            raise TrainingError(str(exc), name) from exc


def _name(person: User) -> str:
    return person.get_full_name() or person.username


def not_staff_message(provider: Provider) -> str:
    return _("Choose someone who works for %(provider)s.") % {"provider": provider.name}


def _require_staff(person: User, provider: Provider) -> None:
    """Refuse a person of another provider: said the same way as a person who does not
    exist, so the refusal tells nothing about whom another provider employs."""
    if not works_for(person, provider):
        raise TrainingError(not_staff_message(provider), "person")


# A provider's start -------------------------------------------------------------------


def set_start_plan(
    provider: Provider,
    *,
    approved_on: dt.date,
    starts_on: dt.date,
    note: str = "",
    by: User,
) -> StartPlan:
    """Record (or change) when the provider was approved and its agreed start; its managers
    are told when a date is new or changed."""
    _check_dates(approved_on=approved_on, starts_on=starts_on)
    if starts_on < approved_on:
        raise TrainingError(
            _("The start of operations cannot be before the approval (%(approved)s).")
            % {"approved": approved_on.isoformat()},
            "starts_on",
        )
    with transaction.atomic():
        plan = StartPlan.objects.select_for_update().filter(provider=provider).first()
        previous = None if plan is None else (plan.approved_on, plan.starts_on)
        if plan is None:
            plan = StartPlan(provider=provider)
        plan.approved_on = approved_on
        plan.starts_on = starts_on
        plan.note = note[:500]
        plan.recorded_by = by
        plan.save()
        if previous != (approved_on, starts_on):
            notices.tell_start_plan(plan, previous)
    return plan


# Sessions -------------------------------------------------------------------------------


def _check_session(
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    link: str,
    systems: Sequence[str],
    agenda: str,
    seats: int,
) -> None:
    if not title.strip():
        raise TrainingError(_("Give the session a title."), "title")
    _check_dates(starts_at=starts_at.date(), ends_at=ends_at.date())
    if ends_at <= starts_at:
        raise TrainingError(_("The session must end after it starts."), "ends_at")
    if ends_at - starts_at > dt.timedelta(hours=12):
        raise TrainingError(_("A session lasts at most 12 hours; plan a second one."), "ends_at")
    if not place.strip() and not link.strip():
        raise TrainingError(_("Give a place or a link to the session."), "place")
    if link.strip():
        try:
            _LINK(link.strip())
        except ValidationError as exc:
            raise TrainingError(
                _("Give the link as a web address starting with https://."), "link"
            ) from exc
    if not systems:
        raise TrainingError(_("Choose the IT systems the session covers."), "systems")
    unknown = [code for code in systems if code not in TrainedSystem.values]
    if unknown:
        raise TrainingError(
            _("Unknown IT system: %(codes)s.") % {"codes": ", ".join(unknown)}, "systems"
        )
    if not agenda.strip():
        raise TrainingError(_("Write the agenda: it is sent with every booking."), "agenda")
    if not 1 <= seats <= MAX_SEATS:
        raise TrainingError(_("Seats must be between 1 and %(max)d.") % {"max": MAX_SEATS}, "seats")


def _ordered_systems(systems: Sequence[str]) -> str:
    return ",".join(code for code in TrainedSystem.values if code in set(systems))


def schedule_sessions(
    municipality: Municipality,
    *,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    link: str = "",
    systems: Sequence[str],
    agenda: str,
    seats: int,
    by: User,
    repeat_weeks: int = 0,
    occurrences: int = 1,
    now: dt.datetime | None = None,
) -> list[TrainingSession]:
    """Plan a session, or a fixed schedule of them: `occurrences` sessions `repeat_weeks`
    apart, each at the same time of day by the municipality's clock (summer time or not)."""
    now = now or timezone.now()
    if kind not in SessionKind.values:
        raise TrainingError(_("Unknown kind of session."), "kind")
    _check_session(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        link=link,
        systems=systems,
        agenda=agenda,
        seats=seats,
    )
    if starts_at <= now:
        raise TrainingError(_("A session cannot be planned in the past."), "starts_at")
    if not 1 <= occurrences <= MAX_REPEATS:
        raise TrainingError(
            _("Plan between 1 and %(max)d sessions at a time.") % {"max": MAX_REPEATS},
            "occurrences",
        )
    if occurrences > 1 and not 1 <= repeat_weeks <= 12:
        raise TrainingError(
            _("Say how many weeks apart the sessions are (1 to 12)."), "repeat_weeks"
        )
    zone = municipality.zone
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    rows = []
    for n in range(occurrences):
        shift = dt.timedelta(weeks=repeat_weeks * n)
        start = dt.datetime.combine(local_start.date() + shift, local_start.time(), tzinfo=zone)
        end = dt.datetime.combine(local_end.date() + shift, local_end.time(), tzinfo=zone)
        _check_dates(starts_at=start.date())
        rows.append(
            TrainingSession(
                municipality=municipality,
                kind=kind,
                title=title.strip()[:200],
                starts_at=start,
                ends_at=end,
                place=place.strip()[:200],
                link=link.strip()[:500],
                systems=_ordered_systems(systems),
                agenda=agenda.strip(),
                seats=seats,
                created_by=by,
            )
        )
    with transaction.atomic():
        for row in rows:
            row.save()
    return rows


def _locked_session(session: TrainingSession) -> TrainingSession:
    return (
        TrainingSession.objects.select_for_update()
        .select_related("municipality")
        .get(pk=session.pk)
    )


def _check_open(session: TrainingSession, now: dt.datetime) -> None:
    if session.cancelled_at is not None:
        raise TrainingError(_("The session is cancelled."))
    if session.has_started(now):
        raise TrainingError(_("The session has already taken place."))


def change_session(
    session: TrainingSession,
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    link: str,
    systems: Sequence[str],
    agenda: str,
    seats: int,
    by: User,
    now: dt.datetime | None = None,
) -> TrainingSession:
    """Change a session not yet held; everyone booked on it, and their providers' managers,
    are told when its time, place, systems or agenda change."""
    now = now or timezone.now()
    _check_session(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        link=link,
        systems=systems,
        agenda=agenda,
        seats=seats,
    )
    if starts_at <= now:
        raise TrainingError(_("A session cannot be moved into the past."), "starts_at")
    with transaction.atomic():
        locked = _locked_session(session)
        _check_open(locked, now)
        booked = list(
            Booking.objects.active()
            .filter(session=locked)
            .select_related("person", "provider", "session__municipality")
        )
        if seats < len(booked):
            raise TrainingError(
                _("%(count)d people are booked: keep at least that many seats.")
                % {"count": len(booked)},
                "seats",
            )
        before = (
            locked.starts_at,
            locked.ends_at,
            locked.place,
            locked.link,
            locked.systems,
            locked.agenda,
        )
        locked.title = title.strip()[:200]
        locked.starts_at = starts_at
        locked.ends_at = ends_at
        locked.place = place.strip()[:200]
        locked.link = link.strip()[:500]
        locked.systems = _ordered_systems(systems)
        locked.agenda = agenda.strip()
        locked.seats = seats
        locked.save(
            update_fields=[
                "title",
                "starts_at",
                "ends_at",
                "place",
                "link",
                "systems",
                "agenda",
                "seats",
            ]
        )
        after = (
            locked.starts_at,
            locked.ends_at,
            locked.place,
            locked.link,
            locked.systems,
            locked.agenda,
        )
        if before != after:
            for booking in booked:
                booking.session = locked
                notices.tell_booking(Change.SESSION_CHANGED, booking)
    return locked


def cancel_session(
    session: TrainingSession, by: User, now: dt.datetime | None = None
) -> list[Booking]:
    """Cancel a session not yet held; each booking on it is told it needs a new one."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_session(session)
        _check_open(locked, now)
        booked = list(
            Booking.objects.active()
            .filter(session=locked)
            .select_related("person", "provider", "session__municipality")
        )
        locked.cancelled_at = now
        locked.save(update_fields=["cancelled_at"])
        for booking in booked:
            booking.session = locked
            notices.tell_booking(Change.SESSION_CANCELLED, booking)
    return booked


# Bookings ------------------------------------------------------------------------------


def _check_bookable(
    session: TrainingSession,
    provider: Provider,
    person: User,
    now: dt.datetime,
    moving: Booking | None = None,
) -> None:
    """Everything a booking must satisfy; `session` is locked by the caller."""
    if session.municipality_id != provider.municipality_id:
        raise TrainingError(_("The session is another municipality's."), "session")
    if session.cancelled_at is not None:
        raise TrainingError(_("The session is cancelled."), "session")
    if session.has_started(now):
        raise TrainingError(_("The session has already taken place."), "session")
    _require_staff(person, provider)
    others = Booking.objects.active().filter(person=person)
    if moving is not None:
        others = others.exclude(pk=moving.pk)
    if others.filter(session=session).exists():
        raise TrainingError(
            _("%(person)s is already booked on this session.") % {"person": _name(person)},
            "person",
        )
    clash = (
        others.filter(
            session__starts_at__lt=session.ends_at, session__ends_at__gt=session.starts_at
        )
        .select_related("session")
        .first()
    )
    if clash is not None:
        raise TrainingError(
            _("%(person)s is already booked on %(title)s at that time.")
            % {"person": _name(person), "title": clash.session.title},
            "person",
        )
    taken = Booking.objects.active().filter(session=session).count()
    if taken >= session.seats:
        raise TrainingError(
            _("The session is full (%(seats)d seats).") % {"seats": session.seats}, "session"
        )


def book(
    session: TrainingSession,
    provider: Provider,
    person: User,
    by: User,
    now: dt.datetime | None = None,
) -> Booking:
    """Book one of a provider's people on a session; the provider's managers and the person
    are told, with the session's agenda."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_session(session)
        _check_bookable(locked, provider, person, now)
        booking = Booking.objects.create(
            session=locked, provider=provider, person=person, booked_by=by, booked_at=now
        )
        notices.tell_booking(Change.BOOKED, booking)
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update()
        .select_related("session__municipality", "provider__municipality", "person")
        .get(pk=booking.pk)
    )


def _check_changeable(booking: Booking, now: dt.datetime) -> None:
    if booking.cancelled_at is not None:
        raise TrainingError(_("The booking is already cancelled."))
    if booking.session.cancelled_at is not None:
        raise TrainingError(_("The session is cancelled."))
    if booking.attended is not None:
        raise TrainingError(_("Attendance is recorded: the booking can no longer change."))
    if booking.session.has_started(now):
        raise TrainingError(_("The session has already taken place."))


def move_booking(
    booking: Booking, to: TrainingSession, by: User, now: dt.datetime | None = None
) -> Booking:
    """Move a booking to another session; the provider and the person are told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_booking(booking)
        _check_changeable(locked, now)
        if to.pk == locked.session_id:
            raise TrainingError(_("The booking is already on that session."), "session")
        target = _locked_session(to)
        _check_bookable(target, locked.provider, locked.person, now, moving=locked)
        locked.session = target
        locked.booked_by = by
        locked.booked_at = now
        locked.save(update_fields=["session", "booked_by", "booked_at"])
        notices.tell_booking(Change.MOVED, locked)
    return locked


def cancel_booking(booking: Booking, by: User, now: dt.datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_booking(booking)
        _check_changeable(locked, now)
        locked.cancelled_at = now
        locked.cancelled_by = by
        locked.save(update_fields=["cancelled_at", "cancelled_by"])
        notices.tell_booking(Change.CANCELLED, locked)
    return locked


def record_attendance(
    booking: Booking, attended: bool, by: User, now: dt.datetime | None = None
) -> Booking:
    """Record whether the person attended (or correct it), once the session has begun."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.cancelled_at is not None:
            raise TrainingError(_("The booking is cancelled."))
        if locked.session.cancelled_at is not None:
            raise TrainingError(_("The session is cancelled."))
        if not locked.session.has_started(now):
            raise TrainingError(
                _("Attendance can be recorded once the session has started (%(when)s).")
                % {"when": notices.format_when(locked.session)}
            )
        locked.attended = attended
        locked.attendance_recorded_by = by
        locked.attendance_recorded_at = now
        locked.save(update_fields=["attended", "attendance_recorded_by", "attendance_recorded_at"])
    return locked


# Web course and support users -----------------------------------------------------------


def record_web_course(
    provider: Provider,
    person: User,
    completed_on: dt.date,
    by: User,
    today: dt.date | None = None,
) -> WebCourseCompletion:
    """Record (or correct) the day a person completed the web course."""
    municipality = provider.municipality
    today = today or municipality.today()
    _check_dates(completed_on=completed_on)
    if completed_on > today:
        raise TrainingError(_("The web course cannot be completed in the future."), "completed_on")
    _require_staff(person, provider)
    with transaction.atomic():
        completion, _created = WebCourseCompletion.objects.update_or_create(
            municipality=municipality,
            person=person,
            defaults={
                "completed_on": completed_on,
                "recorded_by": by,
                "recorded_at": timezone.now(),
            },
        )
    return completion


def withdraw_web_course(provider: Provider, person: User) -> bool:
    """Take back a completion recorded by mistake; True when there was one."""
    _require_staff(person, provider)
    deleted, _rows = WebCourseCompletion.objects.filter(
        municipality_id=provider.municipality_id, person=person
    ).delete()
    return bool(deleted)


def name_support_user(provider: Provider, person: User, by: User) -> SupportUser:
    _require_staff(person, provider)
    roles = set(
        RoleAssignment.objects.filter(user=person, provider=provider).values_list("role", flat=True)
    )
    if roles & TEACHER_LED_ROLES:
        raise TrainingError(
            _("%(person)s already takes the teacher-led training as a manager or work leader.")
            % {"person": _name(person)},
            "person",
        )
    with transaction.atomic():
        support, created = SupportUser.objects.get_or_create(
            provider=provider, person=person, defaults={"named_by": by}
        )
    if not created:
        raise TrainingError(
            _("%(person)s is already a support user.") % {"person": _name(person)}, "person"
        )
    return support


def remove_support_user(provider: Provider, person: User) -> bool:
    deleted, _rows = SupportUser.objects.filter(provider=provider, person=person).delete()
    return bool(deleted)
