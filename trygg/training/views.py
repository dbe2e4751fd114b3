"""The training pages: the municipality's overview of starting providers, a provider's
training, the session schedule, and each person's own training. Each view parses,
authorises (`access`), calls a service, renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.core.models import Municipality, Provider
from trygg.core.web import request_user

from . import access, services
from .constants import TEACHER_LED_ROLES, Readiness
from .forms import (
    AttendanceForm,
    BookingForm,
    MoveForm,
    NewSessionForm,
    OwnWebCourseForm,
    PersonForm,
    SessionForm,
    StartPlanForm,
    WebCourseForm,
)
from .models import Booking, StartPlan, SupportUser, TrainingSession
from .readiness import ProviderTraining, deadline_for, provider_training, staff_of

PAGE_SIZE = 50
# The overview's "starting" providers: those still to start, and those started this recently.
RECENT_START_DAYS = 30


def _form_error(form: Any, exc: services.TrainingError) -> None:
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, exc.message)


def bookable_sessions(
    provider: Provider, now: dt.datetime | None = None
) -> QuerySet[TrainingSession]:
    """Sessions a provider's people can be booked on: the municipality's, not yet begun,
    not cancelled, with how many are booked."""
    return (
        TrainingSession.objects.filter(
            municipality_id=provider.municipality_id,
            cancelled_at__isnull=True,
            starts_at__gt=now or timezone.now(),
        )
        .select_related("municipality")
        .annotate(
            booked=Count(
                "bookings",
                filter=Q(bookings__cancelled_at__isnull=True),
            )
        )
        .order_by("starts_at", "pk")
    )


# The overview -------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Trainers and managers of several providers get the overview; a provider's manager
    their provider; everyone else their own training."""
    user = request.user
    if access.is_trainer(user):
        return overview(request)
    managed = sorted(access.managed_provider_ids(user))
    if len(managed) == 1:
        return redirect("training:provider", managed[0])
    if managed:
        return overview(request)
    if access.own_providers(user).exists():
        return redirect("training:me")
    raise PermissionDenied


def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    show = request.GET.get("show", "starting")
    if show not in ("starting", "all"):
        show = "starting"
    with_plan = list(
        access.providers(user)
        .filter(training_start__isnull=False)
        .select_related("training_start")
        .order_by("training_start__starts_on", "name")
    )
    rows = provider_training(with_plan)
    if show == "starting":
        rows = [
            row
            for row in rows
            if row.plan is not None
            and (
                row.plan.starts_on >= row.today - dt.timedelta(days=RECENT_START_DAYS)
                or row.status != Readiness.READY
            )
        ]
    counts = {status: sum(1 for r in rows if r.status == status) for status in Readiness.values}
    is_trainer = access.is_trainer(user)
    without_plan = (
        access.providers(user)
        .filter(training_start__isnull=True, is_active=True)
        .order_by("-kind", "name")
        if is_trainer
        else Provider.objects.none()
    )
    upcoming = (
        access.sessions(user)
        .filter(cancelled_at__isnull=True, starts_at__gt=timezone.now())
        .annotate(booked=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True)))
        .order_by("starts_at", "pk")[:5]
    )
    return render(
        request,
        "training/overview.html",
        {
            "rows": rows,
            "show": show,
            "counts": counts,
            "is_trainer": is_trainer,
            "without_plan": without_plan,
            "upcoming": upcoming,
        },
    )


# A provider ---------------------------------------------------------------------------


def _provider_context(
    request: HttpRequest, provider: Provider, training: ProviderTraining | None = None, **extra: Any
) -> dict[str, Any]:
    user = request.user
    training = training or provider_training([provider])[0]
    can_plan = access.can_plan(user, provider)
    can_manage = access.can_manage_staff_training(user, provider)
    people = staff_of(provider)
    booked: dict[int, tuple[TrainingSession, list[Booking]]] = {}
    for booking in training.bookings:
        booked.setdefault(booking.session_id, (booking.session, []))[1].append(booking)
    context: dict[str, Any] = {
        "provider": provider,
        "training": training,
        "can_plan": can_plan,
        "can_manage": can_manage,
        "today": training.today,
        "booked_sessions": list(booked.values()),
        "support_users": [p for p in training.teacher_led if p.support_user],
        # The way back to the overview, for those who have one.
        "show_back": access.is_trainer(user) or len(access.managed_provider_ids(user)) > 1,
    }
    if can_plan:
        context["booking_form"] = BookingForm(people=people, sessions=bookable_sessions(provider))
    if can_manage:
        support_ids = SupportUser.objects.filter(provider=provider).values("person_id")
        context["support_form"] = PersonForm(
            people=people.exclude(pk__in=support_ids).exclude(
                role_assignments__provider=provider,
                role_assignments__role__in=sorted(TEACHER_LED_ROLES),
            )
        )
        context["web_course_form"] = WebCourseForm(
            people=people, initial={"completed_on": training.today}
        )
    context.update(extra)
    return context


def _provider_page(
    request: HttpRequest, provider: Provider, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "training/provider.html",
        _provider_context(request, provider, **extra),
        status=status,
    )


@login_required
@require_GET
def provider_detail(request: HttpRequest, provider_pk: int) -> HttpResponse:
    provider = access.get_provider(request.user, provider_pk)
    return _provider_page(request, provider)


@login_required
@require_http_methods(["GET", "POST"])
def start_plan(request: HttpRequest, provider_pk: int) -> HttpResponse:
    provider = access.get_provider(request.user, provider_pk)
    if not access.can_plan(request.user, provider):
        raise PermissionDenied
    plan = StartPlan.objects.filter(provider=provider).first()
    if request.method == "POST":
        form = StartPlanForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_start_plan(
                    provider,
                    approved_on=data["approved_on"],
                    starts_on=data["starts_on"],
                    note=data["note"],
                    by=request_user(request),
                )
            except services.TrainingError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The start of operations is saved."))
                return redirect("training:provider", provider.pk)
        status = 400
    else:
        initial = (
            {"approved_on": plan.approved_on, "starts_on": plan.starts_on, "note": plan.note}
            if plan
            else {}
        )
        form = StartPlanForm(initial=initial)
        status = 200
    return render(
        request,
        "training/start_plan.html",
        {"provider": provider, "form": form, "plan": plan},
        status=status,
    )


@login_required
@require_POST
def book(request: HttpRequest, provider_pk: int) -> HttpResponse:
    provider = access.get_provider(request.user, provider_pk)
    if not access.can_plan(request.user, provider):
        raise PermissionDenied
    form = BookingForm(
        request.POST, people=staff_of(provider), sessions=bookable_sessions(provider)
    )
    if form.is_valid():
        session = form.cleaned_data["session"]
        person = form.cleaned_data["person"]
        try:
            services.book(session, provider, person, request_user(request))
        except services.TrainingError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s is booked; the provider's managers are told.")
                % {"person": person.get_full_name() or person.username},
            )
            _warn_if_after_deadline(request, provider, session)
            return redirect("training:provider", provider.pk)
    return _provider_page(request, provider, status=400, booking_form=form)


def _warn_if_after_deadline(
    request: HttpRequest, provider: Provider, session: TrainingSession
) -> None:
    plan = StartPlan.objects.filter(provider=provider).first()
    if plan is None:
        return
    deadline = deadline_for(plan.starts_on)
    if session.local_date > deadline:
        messages.warning(
            request,
            _(
                "The session is after %(deadline)s: the training will not be completed one "
                "week before the start on %(start)s."
            )
            % {"deadline": deadline.isoformat(), "start": plan.starts_on.isoformat()},
        )


def _managed_provider(request: HttpRequest, provider_pk: int) -> Provider:
    provider = access.get_provider(request.user, provider_pk)
    if not access.can_manage_staff_training(request.user, provider):
        raise PermissionDenied
    return provider


@login_required
@require_POST
def web_course(request: HttpRequest, provider_pk: int) -> HttpResponse:
    """Record a web course done (or, with action=withdraw, take a mistaken one back)."""
    provider = _managed_provider(request, provider_pk)
    people = staff_of(provider)
    withdraw = request.POST.get("action") == "withdraw"
    form: WebCourseForm | PersonForm
    if withdraw:
        form = PersonForm(request.POST, people=people)
    else:
        form = WebCourseForm(request.POST, people=people)
    if form.is_valid():
        person = form.cleaned_data["person"]
        name = person.get_full_name() or person.username
        try:
            if withdraw:
                services.withdraw_web_course(provider, person)
                messages.success(
                    request, _("The web course of %(person)s is taken back.") % {"person": name}
                )
            else:
                services.record_web_course(
                    provider, person, form.cleaned_data["completed_on"], request_user(request)
                )
                messages.success(
                    request, _("%(person)s has completed the web course.") % {"person": name}
                )
        except services.TrainingError as exc:
            _form_error(form, exc)
        else:
            return redirect(f"{_provider_url(provider)}#web-course")
    if withdraw:
        messages.error(request, " ".join(str(e) for e in form.errors.values()))
        return redirect(f"{_provider_url(provider)}#web-course")
    return _provider_page(request, provider, status=400, web_course_form=form)


def _provider_url(provider: Provider) -> str:
    return reverse("training:provider", args=[provider.pk])


@login_required
@require_POST
def support_user(request: HttpRequest, provider_pk: int) -> HttpResponse:
    """Name a support user (or, with action=remove, stop naming them one)."""
    provider = _managed_provider(request, provider_pk)
    form = PersonForm(request.POST, people=staff_of(provider))
    if form.is_valid():
        person = form.cleaned_data["person"]
        name = person.get_full_name() or person.username
        try:
            if request.POST.get("action") == "remove":
                services.remove_support_user(provider, person)
                messages.success(
                    request, _("%(person)s is no longer a support user.") % {"person": name}
                )
            else:
                services.name_support_user(provider, person, request_user(request))
                messages.success(
                    request,
                    _("%(person)s is a support user and needs the teacher-led training.")
                    % {"person": name},
                )
        except services.TrainingError as exc:
            _form_error(form, exc)
        else:
            return redirect(f"{_provider_url(provider)}#support-users")
    return _provider_page(request, provider, status=400, support_form=form)


# Sessions -------------------------------------------------------------------------------


def _session_viewer(request: HttpRequest) -> None:
    if not access.can_see_sessions(request.user):
        raise PermissionDenied


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    _session_viewer(request)
    user = request.user
    past = request.GET.get("when") == "past"
    now = timezone.now()
    queryset = access.sessions(user).annotate(
        booked=Count("bookings", filter=Q(bookings__cancelled_at__isnull=True)),
        own=Count(
            "bookings",
            filter=Q(
                bookings__cancelled_at__isnull=True,
                bookings__provider_id__in=access.managed_provider_ids(user),
            ),
        ),
    )
    if past:
        queryset = queryset.filter(starts_at__lte=now).order_by("-starts_at", "-pk")
    else:
        queryset = queryset.filter(starts_at__gt=now).order_by("starts_at", "pk")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/sessions.html",
        {"page": page, "past": past, "is_trainer": access.is_trainer(user)},
    )


def _trainer_municipalities(request: HttpRequest) -> QuerySet[Municipality]:
    ids = access.trainer_municipalities(request.user)
    if not ids:
        raise PermissionDenied
    return Municipality.objects.filter(pk__in=ids).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    municipalities = _trainer_municipalities(request)
    if request.method == "POST":
        form = NewSessionForm(request.POST, municipalities=municipalities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.schedule_sessions(
                    data["municipality"],
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    place=data["place"],
                    link=data["link"],
                    systems=data["systems"],
                    agenda=data["agenda"],
                    seats=data["seats"],
                    by=request_user(request),
                    repeat_weeks=data["repeat_weeks"],
                    occurrences=data["occurrences"],
                )
            except services.TrainingError as exc:
                _form_error(form, exc)
            else:
                if len(made) == 1:
                    messages.success(request, _("The session is planned."))
                    return redirect("training:session", made[0].pk)
                messages.success(
                    request, _("%(count)d sessions are planned.") % {"count": len(made)}
                )
                return redirect("training:sessions")
        status = 400
    else:
        form = NewSessionForm(municipalities=municipalities)
        status = 200
    return render(request, "training/session_form.html", {"form": form}, status=status)


def _session_context(
    request: HttpRequest, session: TrainingSession, **extra: Any
) -> dict[str, Any]:
    user = request.user
    is_trainer = session.municipality_id in access.trainer_municipalities(user)
    bookings = (
        access.bookings(user)
        .active()
        .filter(session=session)
        .select_related("person", "provider", "booked_by", "attendance_recorded_by")
        .order_by("provider__name", "person__last_name", "person__first_name", "pk")
    )
    now = timezone.now()
    context: dict[str, Any] = {
        "session": session,
        "bookings": bookings,
        "is_trainer": is_trainer,
        "started": session.has_started(now),
        "open": session.cancelled_at is None and not session.has_started(now),
        "booked_count": Booking.objects.active().filter(session=session).count(),
    }
    if is_trainer and context["open"]:
        context["form"] = SessionForm(
            initial=SessionForm.initial_from(session), municipality=session.municipality
        )
    context.update(extra)
    return context


@login_required
@require_GET
def session_detail(request: HttpRequest, session_pk: int) -> HttpResponse:
    _session_viewer(request)
    session = access.get_session(request.user, session_pk)
    return render(request, "training/session.html", _session_context(request, session))


def _trainer_session(request: HttpRequest, session_pk: int) -> TrainingSession:
    session = access.get_session(request.user, session_pk)
    if session.municipality_id not in access.trainer_municipalities(request.user):
        raise PermissionDenied
    return session


@login_required
@require_POST
def session_edit(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = _trainer_session(request, session_pk)
    form = SessionForm(request.POST, municipality=session.municipality)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_session(
                session,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                link=data["link"],
                systems=data["systems"],
                agenda=data["agenda"],
                seats=data["seats"],
                by=request_user(request),
            )
        except services.TrainingError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The session is saved; everyone booked is told."))
            return redirect("training:session", session.pk)
    return render(
        request,
        "training/session.html",
        _session_context(request, session, form=form, show_form=True),
        status=400,
    )


@login_required
@require_POST
def session_cancel(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = _trainer_session(request, session_pk)
    try:
        booked = services.cancel_session(session, request_user(request))
    except services.TrainingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The session is cancelled; %(count)d booked people and their managers are told.")
            % {"count": len(booked)},
        )
    return redirect("training:session", session.pk)


# Bookings -------------------------------------------------------------------------------


def _trainer_booking(request: HttpRequest, booking_pk: int) -> Booking:
    booking = access.get_booking(request.user, booking_pk)
    if booking.session.municipality_id not in access.trainer_municipalities(request.user):
        raise PermissionDenied
    return booking


def _back(request: HttpRequest, booking: Booking) -> HttpResponse:
    if request.POST.get("back") == "provider":
        return redirect("training:provider", booking.provider_id)
    return redirect("training:session", booking.session_id)


@login_required
@require_POST
def booking_cancel(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _trainer_booking(request, booking_pk)
    try:
        services.cancel_booking(booking, request_user(request))
    except services.TrainingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The booking is cancelled; the provider is told."))
    return _back(request, booking)


@login_required
@require_http_methods(["GET", "POST"])
def booking_move(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _trainer_booking(request, booking_pk)
    sessions = bookable_sessions(booking.provider).exclude(pk=booking.session_id)
    if request.method == "POST":
        form = MoveForm(request.POST, sessions=sessions)
        if form.is_valid():
            try:
                services.move_booking(booking, form.cleaned_data["session"], request_user(request))
            except services.TrainingError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The booking is moved; the provider is told."))
                _warn_if_after_deadline(request, booking.provider, form.cleaned_data["session"])
                return redirect("training:provider", booking.provider_id)
        status = 400
    else:
        form = MoveForm(sessions=sessions)
        status = 200
    return render(
        request, "training/booking_move.html", {"booking": booking, "form": form}, status=status
    )


@login_required
@require_POST
def booking_attendance(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _trainer_booking(request, booking_pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the person attended."))
        return _back(request, booking)
    try:
        services.record_attendance(booking, form.cleaned_data["attended"], request_user(request))
    except services.TrainingError as exc:
        messages.error(request, exc.message)
        return render(
            request,
            "training/session.html",
            _session_context(request, booking.session),
            status=400,
        )
    messages.success(request, _("Attendance is recorded."))
    return _back(request, booking)


# One's own training ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def me(request: HttpRequest) -> HttpResponse:
    """The person's own training at each provider they work for; they record their own web
    course here."""
    user = request_user(request)
    own = list(access.own_providers(user).order_by("name"))
    if not own:
        raise PermissionDenied
    status = 200
    errors: dict[int, str] = {}
    if request.method == "POST":
        provider = next((p for p in own if str(p.pk) == request.POST.get("provider")), None)
        form = OwnWebCourseForm(request.POST)
        if provider is None:
            status = 400
            messages.error(request, _("Choose one of your providers."))
        elif form.is_valid():
            try:
                services.record_web_course(provider, user, form.cleaned_data["completed_on"], user)
            except services.TrainingError as exc:
                errors[provider.pk] = exc.message
                status = 400
            else:
                messages.success(request, _("Your web course is recorded."))
                return redirect("training:me")
        else:
            errors[provider.pk] = " ".join(
                str(message) for messages_ in form.errors.values() for message in messages_
            )
            status = 400
    entries = []
    for training in provider_training(own):
        mine = next((p for p in training.people if p.person.pk == user.pk), None)
        if mine is not None:
            entries.append((training, mine, errors.get(training.provider.pk, "")))
    return render(request, "training/me.html", {"entries": entries}, status=status)
