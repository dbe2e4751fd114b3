"""Training over the JSON API, for people with a session: providers' readiness for their
start, sessions, bookings, attendance, web courses. The same rules as the pages: one
service per change, `access` for who sees what, a refused change answered 400 with the
reason and nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from trygg.core.apiauth import session_auth
from trygg.core.apierrors import errors
from trygg.core.models import Municipality, Provider, User
from trygg.core.web import request_user
from trygg.lib.bounds import BoundedDate, BoundedDateTime, BoundedInt

from . import access, services
from .constants import MAX_REPEATS, MAX_SEATS, SessionKind, TrainedSystem
from .models import Booking, TrainingSession
from .readiness import PersonTraining, ProviderTraining, provider_training, staff_of

router = Router(tags=["training"], auth=session_auth)


class TrainingError(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class ReasonOut(Schema):
    code: str = Field(
        description="deadline_passed, no_teacher_led, not_booked, absent, "
        "booked_after_deadline, booked_not_completed, web_course_missing or completed_late"
    )
    message: str


class BookingOut(Schema):
    id: int
    session_id: int
    provider_id: int
    person_id: int
    person: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    link: str
    systems: list[str]
    agenda: str
    booked_at: dt.datetime
    booked_by: str | None
    attended: bool | None = Field(description="None until attendance is recorded")
    attendance_recorded_at: dt.datetime | None
    attendance_recorded_by: str | None


class TrainingPersonOut(Schema):
    id: int
    name: str
    roles: list[str]
    support_user: bool
    need: str = Field(description="teacher_led or web_course")
    state: str = Field(description="done, booked, not_booked, absent or not_done")
    completed_on: dt.date | None
    booking_id: int | None


class ProviderTrainingOut(Schema):
    provider_id: int
    provider: str
    approved_on: dt.date | None
    starts_on: dt.date | None
    deadline: dt.date | None = Field(description="The start minus 7 days")
    status: str | None = Field(description="ready, at_risk or late; None without a start date")
    margin_days: int | None = Field(
        description="Days from the training's completion (or the last booked session) to "
        "the start; at least 7 keeps the margin"
    )
    days_to_deadline: int | None
    completed_on: dt.date | None
    reasons: list[ReasonOut]
    teacher_led_done: int
    teacher_led_total: int
    web_course_done: int
    web_course_total: int


class ProviderDetailOut(ProviderTrainingOut):
    people: list[TrainingPersonOut]
    bookings: list[BookingOut]


class StartPlanIn(Schema):
    approved_on: BoundedDate
    starts_on: BoundedDate
    note: str = Field("", max_length=500)


class SessionIn(Schema):
    municipality_id: BoundedInt | None = Field(
        None, description="Needed only by someone who plans for several municipalities."
    )
    kind: SessionKind = SessionKind.STARTUP
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: BoundedDateTime = Field(
        ..., description="With an offset; without one, the municipality's local time."
    )
    ends_at: BoundedDateTime
    place: str = Field("", max_length=200)
    link: str = Field("", max_length=500)
    systems: list[TrainedSystem] = Field(..., description="At least one")
    agenda: str = Field(..., min_length=1, max_length=4000)
    seats: int = Field(..., ge=1, le=MAX_SEATS)
    repeat_weeks: int = Field(0, ge=0, le=12, description="Weeks between repeated sessions")
    occurrences: int = Field(1, ge=1, le=MAX_REPEATS)


class SessionChangeIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: BoundedDateTime
    ends_at: BoundedDateTime
    place: str = Field("", max_length=200)
    link: str = Field("", max_length=500)
    systems: list[TrainedSystem] = Field(..., description="At least one")
    agenda: str = Field(..., min_length=1, max_length=4000)
    seats: int = Field(..., ge=1, le=MAX_SEATS)


class SessionOut(Schema):
    id: int
    municipality: str = Field(description="Municipality code")
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    link: str
    systems: list[str]
    agenda: str
    seats: int
    booked: int
    cancelled_at: dt.datetime | None


class SessionDetailOut(SessionOut):
    bookings: list[BookingOut] = Field(description="The bookings the caller may see")


class SessionFilter(Schema):
    past: bool = Field(False, description="Sessions already begun, newest first")
    limit: int = Field(100, ge=1, le=500)
    offset: BoundedInt = 0


class SessionPage(Schema):
    count: int
    items: list[SessionOut]


class BookIn(Schema):
    provider_id: BoundedInt
    person_id: BoundedInt


class MoveIn(Schema):
    session_id: BoundedInt


class AttendanceIn(Schema):
    attended: bool


class WebCourseIn(Schema):
    completed_on: BoundedDate


class WebCourseOut(Schema):
    person_id: int
    completed_on: dt.date | None


class OwnTrainingOut(Schema):
    provider_id: int
    provider: str
    starts_on: dt.date | None
    training: TrainingPersonOut
    booking: BookingOut | None


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def _booking(booking: Booking) -> dict[str, Any]:
    session = booking.session
    return {
        "id": booking.pk,
        "session_id": session.pk,
        "provider_id": booking.provider_id,
        "person_id": booking.person_id,
        "person": _name(booking.person),
        "title": session.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place,
        "link": session.link,
        "systems": session.system_list,
        "agenda": session.agenda,
        "booked_at": booking.booked_at,
        "booked_by": _name(booking.booked_by),
        "attended": booking.attended,
        "attendance_recorded_at": booking.attendance_recorded_at,
        "attendance_recorded_by": _name(booking.attendance_recorded_by),
    }


def _person(entry: PersonTraining) -> dict[str, Any]:
    return {
        "id": entry.person.pk,
        "name": _name(entry.person),
        "roles": entry.roles,
        "support_user": entry.support_user,
        "need": entry.need,
        "state": entry.state,
        "completed_on": entry.completed_on,
        "booking_id": entry.booking.pk if entry.booking else None,
    }


def _training(row: ProviderTraining) -> dict[str, Any]:
    return {
        "provider_id": row.provider.pk,
        "provider": row.provider.name,
        "approved_on": row.plan.approved_on if row.plan else None,
        "starts_on": row.plan.starts_on if row.plan else None,
        "deadline": row.deadline,
        "status": row.status,
        "margin_days": row.margin_days,
        "days_to_deadline": row.days_to_deadline,
        "completed_on": row.completed_on,
        "reasons": [{"code": r.code, "message": r.message} for r in row.reasons],
        "teacher_led_done": row.teacher_led_done,
        "teacher_led_total": len(row.teacher_led),
        "web_course_done": row.web_course_done_count,
        "web_course_total": len(row.web_course),
    }


def _refused(exc: services.TrainingError) -> Status[dict[str, Any]]:
    errors = {exc.field: [exc.message]} if exc.field else {}
    return Status(400, {"detail": exc.message, "errors": errors})


def _session(session: TrainingSession, booked: int | None = None) -> dict[str, Any]:
    if booked is None:
        booked = Booking.objects.active().filter(session=session).count()
    return {
        "id": session.pk,
        "municipality": session.municipality.code,
        "kind": session.kind,
        "title": session.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place,
        "link": session.link,
        "systems": session.system_list,
        "agenda": session.agenda,
        "seats": session.seats,
        "booked": booked,
        "cancelled_at": session.cancelled_at,
    }


def _aware(moment: dt.datetime, municipality: Municipality) -> dt.datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=municipality.zone)


# Providers -----------------------------------------------------------------------------


@router.get(
    "/providers",
    response={200: list[ProviderTrainingOut], **errors(401, 403, 404, 422)},
    summary="Starting providers and their readiness (the caller's own provider for a manager)",
)
def list_providers(request: HttpRequest) -> list[dict[str, Any]]:
    providers = list(
        access.providers(request.user)
        .filter(training_start__isnull=False)
        .order_by("training_start__starts_on", "name")
    )
    return [_training(row) for row in provider_training(providers)]


def _provider_detail(provider: Provider) -> dict[str, Any]:
    row = provider_training([provider])[0]
    return {
        **_training(row),
        "people": [_person(p) for p in row.people],
        "bookings": [_booking(b) for b in row.bookings],
    }


@router.get(
    "/providers/{provider_id}",
    response={200: ProviderDetailOut, 404: TrainingError, **errors(401, 403, 404, 422)},
    summary="A provider's start, people, bookings and web courses",
)
def get_provider(request: HttpRequest, provider_id: BoundedInt) -> dict[str, Any]:
    return _provider_detail(access.get_provider(request.user, provider_id))


@router.put(
    "/providers/{provider_id}/start",
    response={
        200: ProviderDetailOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Record the provider's approval and agreed start of operations",
)
def put_start(
    request: HttpRequest, provider_id: BoundedInt, payload: StartPlanIn
) -> Status[dict[str, Any]]:
    provider = access.get_provider(request.user, provider_id)
    if not access.can_plan(request.user, provider):
        raise PermissionError("Only the municipality's service desk records start dates.")
    try:
        services.set_start_plan(
            provider,
            approved_on=payload.approved_on,
            starts_on=payload.starts_on,
            note=payload.note,
            by=request_user(request),
        )
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, _provider_detail(provider))


def _staff_member(provider: Provider, staff_id: int) -> User | None:
    return staff_of(provider).filter(pk=staff_id).first()


@router.put(
    "/providers/{provider_id}/web-course/{staff_id}",
    response={
        200: WebCourseOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Record that a staff member completed the web course",
)
def put_web_course(
    request: HttpRequest, provider_id: BoundedInt, staff_id: BoundedInt, payload: WebCourseIn
) -> Status[dict[str, Any]]:
    user = request_user(request)
    provider, person = _web_course_target(user, provider_id, staff_id)
    try:
        completion = services.record_web_course(provider, person, payload.completed_on, user)
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, {"person_id": person.pk, "completed_on": completion.completed_on})


@router.delete(
    "/providers/{provider_id}/web-course/{staff_id}",
    response={
        200: WebCourseOut,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Take back a web course recorded by mistake",
)
def delete_web_course(
    request: HttpRequest, provider_id: BoundedInt, staff_id: BoundedInt
) -> Status[dict[str, Any]]:
    user = request_user(request)
    provider, person = _web_course_target(user, provider_id, staff_id)
    services.withdraw_web_course(provider, person)
    return Status(200, {"person_id": person.pk, "completed_on": None})


def _web_course_target(user: User, provider_id: int, staff_id: int) -> tuple[Provider, User]:
    """The provider and staff member, for their managers, trainers, or the person."""
    if staff_id == user.pk:
        own = access.own_providers(user).filter(pk=provider_id).first()
        if own is not None:
            return own, user
    provider = access.get_provider(user, provider_id)
    if not access.can_manage_staff_training(user, provider):
        raise PermissionError("Only the provider's managers and the municipality's service desk.")
    person = _staff_member(provider, staff_id)
    if person is None:
        raise Http404
    return provider, person


@router.get(
    "/me",
    response={200: list[OwnTrainingOut], **errors(401, 403, 404, 422)},
    summary="The caller's own training",
)
def my_training(request: HttpRequest) -> list[dict[str, Any]]:
    user = request_user(request)
    result = []
    for row in provider_training(list(access.own_providers(user).order_by("name"))):
        mine = next((p for p in row.people if p.person.pk == user.pk), None)
        if mine is None:
            continue
        result.append(
            {
                "provider_id": row.provider.pk,
                "provider": row.provider.name,
                "starts_on": row.plan.starts_on if row.plan else None,
                "training": _person(mine),
                "booking": _booking(mine.booking) if mine.booking else None,
            }
        )
    return result


# Sessions and bookings ----------------------------------------------------------------


@router.get(
    "/sessions",
    response={200: SessionPage, 403: TrainingError, **errors(401, 403, 404, 422)},
    summary="The training schedule",
)
def list_sessions(request: HttpRequest, filters: Query[SessionFilter]) -> dict[str, Any]:
    if not access.can_see_sessions(request.user):
        raise PermissionError("Only the service desk and providers' managers.")
    queryset = access.sessions(request.user).annotate(
        booked=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True))
    )
    now = timezone.now()
    if filters.past:
        queryset = queryset.filter(starts_at__lte=now).order_by("-starts_at", "-pk")
    else:
        queryset = queryset.filter(starts_at__gt=now).order_by("starts_at", "pk")
    items = queryset[filters.offset : filters.offset + filters.limit]
    return {"count": queryset.count(), "items": [_session(s, s.booked) for s in items]}


def _trainer_municipality(request: HttpRequest, requested: int | None) -> Municipality:
    ids = sorted(access.trainer_municipalities(request.user))
    if not ids:
        raise PermissionError("Only the municipality's service desk plans training.")
    if requested is None:
        if len(ids) != 1:
            raise PermissionError("Say which municipality: municipality_id.")
        return Municipality.objects.get(pk=ids[0])
    if requested not in ids:
        raise PermissionError("You do not plan training for that municipality.")
    return Municipality.objects.get(pk=requested)


@router.post(
    "/sessions",
    response={
        201: list[SessionOut],
        400: TrainingError,
        403: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Plan a session, or a fixed schedule of them",
)
def create_sessions(request: HttpRequest, payload: SessionIn) -> Status[Any]:
    municipality = _trainer_municipality(request, payload.municipality_id)
    try:
        made = services.schedule_sessions(
            municipality,
            kind=payload.kind,
            title=payload.title,
            starts_at=_aware(payload.starts_at, municipality),
            ends_at=_aware(payload.ends_at, municipality),
            place=payload.place,
            link=payload.link,
            systems=[str(s) for s in payload.systems],
            agenda=payload.agenda,
            seats=payload.seats,
            by=request_user(request),
            repeat_weeks=payload.repeat_weeks,
            occurrences=payload.occurrences,
        )
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(201, [_session(s, 0) for s in made])


def _session_detail(request: HttpRequest, session: TrainingSession) -> dict[str, Any]:
    bookings = (
        access.bookings(request.user)
        .active()
        .filter(session=session)
        .select_related("session__municipality", "person", "booked_by", "attendance_recorded_by")
        .order_by("provider_id", "person__last_name", "pk")
    )
    return {**_session(session), "bookings": [_booking(b) for b in bookings]}


@router.get(
    "/sessions/{session_id}",
    response={
        200: SessionDetailOut,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="A session and the bookings on it the caller may see",
)
def get_session(request: HttpRequest, session_id: BoundedInt) -> dict[str, Any]:
    if not access.can_see_sessions(request.user):
        raise PermissionError("Only the service desk and providers' managers.")
    return _session_detail(request, access.get_session(request.user, session_id))


def _trainer_session(request: HttpRequest, session_id: int) -> TrainingSession:
    session = access.get_session(request.user, session_id)
    if session.municipality_id not in access.trainer_municipalities(request.user):
        raise PermissionError("Only the municipality's service desk changes sessions.")
    return session


@router.put(
    "/sessions/{session_id}",
    response={
        200: SessionDetailOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Change a session not yet held (everyone booked is told)",
)
def change_session(
    request: HttpRequest, session_id: BoundedInt, payload: SessionChangeIn
) -> Status[dict[str, Any]]:
    session = _trainer_session(request, session_id)
    municipality = session.municipality
    try:
        changed = services.change_session(
            session,
            title=payload.title,
            starts_at=_aware(payload.starts_at, municipality),
            ends_at=_aware(payload.ends_at, municipality),
            place=payload.place,
            link=payload.link,
            systems=[str(s) for s in payload.systems],
            agenda=payload.agenda,
            seats=payload.seats,
            by=request_user(request),
        )
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, _session_detail(request, changed))


@router.post(
    "/sessions/{session_id}/cancel",
    response={
        200: SessionDetailOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Cancel a session not yet held (everyone booked is told)",
)
def cancel_session(request: HttpRequest, session_id: BoundedInt) -> Status[dict[str, Any]]:
    session = _trainer_session(request, session_id)
    try:
        services.cancel_session(session, request_user(request))
    except services.TrainingError as exc:
        return _refused(exc)
    session.refresh_from_db()
    return Status(200, _session_detail(request, session))


@router.post(
    "/sessions/{session_id}/bookings",
    response={
        201: BookingOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Book one of a provider's people on a session (the provider is told)",
)
def create_booking(
    request: HttpRequest, session_id: BoundedInt, payload: BookIn
) -> Status[dict[str, Any]]:
    session = _trainer_session(request, session_id)
    provider = access.providers(request.user).filter(pk=payload.provider_id).first()
    if provider is None or not access.can_plan(request.user, provider):
        message = "Unknown provider."
        return Status(400, {"detail": message, "errors": {"provider_id": [message]}})
    person = _staff_member(provider, payload.person_id)
    if person is None:
        message = services.not_staff_message(provider)
        return Status(400, {"detail": message, "errors": {"person_id": [message]}})
    try:
        booking = services.book(session, provider, person, request_user(request))
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(201, _booking(booking))


def _trainer_booking(request: HttpRequest, booking_id: int) -> Booking:
    booking = access.get_booking(request.user, booking_id)
    if booking.session.municipality_id not in access.trainer_municipalities(request.user):
        raise PermissionError("Only the municipality's service desk changes bookings.")
    return booking


def _reloaded(booking: Booking) -> dict[str, Any]:
    fresh = Booking.objects.select_related(
        "session__municipality", "person", "booked_by", "attendance_recorded_by"
    ).get(pk=booking.pk)
    return _booking(fresh)


@router.post(
    "/bookings/{booking_id}/move",
    response={
        200: BookingOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Move a booking to another session (the provider is told)",
)
def move_booking(
    request: HttpRequest, booking_id: BoundedInt, payload: MoveIn
) -> Status[dict[str, Any]]:
    booking = _trainer_booking(request, booking_id)
    target = (
        TrainingSession.objects.filter(
            pk=payload.session_id, municipality_id=booking.session.municipality_id
        )
        .select_related("municipality")
        .first()
    )
    if target is None:
        message = "Unknown session."
        return Status(400, {"detail": message, "errors": {"session_id": [message]}})
    try:
        services.move_booking(booking, target, request_user(request))
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, _reloaded(booking))


@router.delete(
    "/bookings/{booking_id}",
    response={
        200: BookingOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Cancel a booking (the provider is told)",
)
def delete_booking(request: HttpRequest, booking_id: BoundedInt) -> Status[dict[str, Any]]:
    booking = _trainer_booking(request, booking_id)
    try:
        services.cancel_booking(booking, request_user(request))
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, _reloaded(booking))


@router.put(
    "/bookings/{booking_id}/attendance",
    response={
        200: BookingOut,
        400: TrainingError,
        403: TrainingError,
        404: TrainingError,
        **errors(401, 403, 404, 422),
    },
    summary="Record whether the person attended, once the session has begun",
)
def put_attendance(
    request: HttpRequest, booking_id: BoundedInt, payload: AttendanceIn
) -> Status[dict[str, Any]]:
    booking = _trainer_booking(request, booking_id)
    try:
        services.record_attendance(booking, payload.attended, request_user(request))
    except services.TrainingError as exc:
        return _refused(exc)
    return Status(200, _reloaded(booking))
