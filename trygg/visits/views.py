"""The back office's pages for staff and team leaders: my visits (shifts), a visit with its
history, correcting it, the team's visits, the review of flags and approving a period.
Each view parses, authorises (`access`), calls a service, renders; every page showing
clients logs the read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trygg.core import clock
from trygg.core.access import clients as visible_clients
from trygg.core.constants import PROVIDER_ROLES, AccessAction
from trygg.core.models import Client, GrantedService, ServiceType, Team, User
from trygg.core.services import log_listed_once, log_request_access
from trygg.core.web import filter_status, render_page, request_user

from . import access, corrections, periods, review
from .billing import NOT_BY_VISITS
from .corrections import CorrectionRefused
from .forms import (
    ApprovalForm,
    ClearFlagsForm,
    CorrectionForm,
    FlagFilterForm,
    StrikeForm,
    VisitFilterForm,
    WeekForm,
)
from .models import Visit, VisitApproval, VisitFlag
from .services import Locks
from .tabs import office_tabs

PAGE_SIZE = 50
FLAGS_PAGE_SIZE = 100
LOGGED_VISITS = "visits-listed"


def _log_listed(request: HttpRequest, visits: list[Visit]) -> None:
    """Lists that reload often log each visit's client once per session."""
    log_listed_once(
        request,
        [(visit.pk, visit.client) for visit in visits],
        AccessAction.LIST,
        session_key=LOGGED_VISITS,
    )


def _mark(visits: list[Visit], user: User) -> None:
    """What each row offers: correcting (when allowed and not locked)."""
    locks = Locks({visit.provider_id for visit in visits})
    for visit in visits:
        visit.locked = locks.is_locked(visit.provider_id, visit.local_date)  # type: ignore[attr-defined]
        visit.correctable = not visit.locked and access.can_correct(user, visit)  # type: ignore[attr-defined]
        visit.open_flags = [f for f in visit.flags.all() if f.cleared_at is None]  # type: ignore[attr-defined]


# My visits ---------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.registers_visits(user):
        raise PermissionDenied
    form = WeekForm(request.GET or None)
    today = clock.today_for(user)
    day = today
    if form.is_valid() and form.cleaned_data["day"]:
        day = form.cleaned_data["day"]
    # Seven days ending on the chosen one (today by default): yesterday's shift is always in
    # view, whatever day of the week it is.
    first, last = day - dt.timedelta(days=6), day
    days = review.shifts(user, first, last) if form.is_valid() or not form.is_bound else []
    visits = [visit for each in days for visit in each.visits]
    _mark(visits, user)
    _log_listed(request, visits)
    context = {
        "form": form,
        "days": days,
        "any_visits": bool(visits),
        "first": first,
        "last": last,
        "today": today,
        "previous": last - dt.timedelta(days=7),
        "next": min(last + dt.timedelta(days=7), today) if last < today else None,
        "zone": clock.zone_for(user),
        "tabs": office_tabs(user, "mine"),
    }
    return render(request, "visits/mine.html", context, status=filter_status(request, form))


# One visit ---------------------------------------------------------------------------


def _visible_visit(request: HttpRequest, pk: int) -> Visit:
    visit = (
        review.with_details(access.visits(request.user))
        .select_related("municipality", "provider", "tag", "approval__approved_by")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    return visit


@login_required
@require_http_methods(["GET", "POST"])
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    visit = _visible_visit(request, pk)
    clear_form = ClearFlagsForm()
    status = 200
    if request.method == "POST":
        clear_form = ClearFlagsForm(request.POST)
        chosen = [f for f in visit.flags.all() if str(f.pk) in request.POST.getlist("flag")]
        if clear_form.is_valid():
            try:
                cleared = corrections.clear_flags(user, chosen, clear_form.cleaned_data["note"])
            except CorrectionRefused as exc:
                clear_form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(count)s flags cleared.") % {"count": cleared})
                return redirect("visits:visit", visit.pk)
        status = 400
    zone = visit.municipality.zone
    history = list(visit.corrections.select_related("by").order_by("at", "pk"))
    client_ids = {visit.client_id}
    for correction in history:
        client_ids.update(
            pk
            for pk in (correction.before.get("client_id"), correction.after.get("client_id"))
            if pk
        )
    clients = {client.pk: client for client in Client.objects.filter(pk__in=client_ids)}
    names = {pk: f"{client.first_name} {client.last_name}" for pk, client in clients.items()}
    task_names = dict(
        ServiceType.objects.filter(municipality_id=visit.municipality_id).values_list(
            "code", "name"
        )
    )
    changes = [
        (
            correction,
            corrections.differences(correction, zone=zone, clients=names, task_names=task_names),
        )
        for correction in history
    ]
    log_request_access(request, clients.values(), AccessAction.DETAIL)
    locks = Locks([visit.provider_id])
    locked = locks.is_locked(visit.provider_id, visit.local_date)
    approval, needs_renewal = periods.approval_of(visit)
    context = {
        "visit": visit,
        "zone": zone,
        "changes": changes,
        "locked": locked,
        "locked_through": locks.locked_through.get(visit.provider_id),
        "can_correct": not locked and access.can_correct(user, visit),
        "can_clear": not locked and access.can_clear_flags(user, visit),
        "clear_form": clear_form,
        "open_flags": [f for f in visit.flags.all() if f.cleared_at is None],
        "cleared_flags": [f for f in visit.flags.all() if f.cleared_at is not None],
        "approval": approval,
        "needs_renewal": needs_renewal,
        "tabs": office_tabs(user, "mine" if visit.staff_id == user.pk else "list"),
    }
    return render(request, "visits/visit.html", context, status=status)


def _client_choices(request: HttpRequest, user: User, visit: Visit) -> list[tuple[int, str]]:
    """The clients a visit can be moved to: the visit's team's (the provider's, for a visit
    outside any team), and the one it has now. Their names are a read: logged once."""
    clients = visible_clients(user).filter(provider_id=visit.provider_id)
    if visit.team_id:
        clients = clients.filter(team_id=visit.team_id)
    chosen = list(
        clients.filter(Q(end_date__isnull=True) | Q(end_date__gte=visit.local_date)).order_by(
            "last_name", "first_name", "pk"
        )[:500]
    )
    if visit.client not in chosen:
        chosen.insert(0, visit.client)
    log_listed_once(
        request,
        [(client.pk, client) for client in chosen],
        AccessAction.LIST,
        session_key="visits-client-choices",
    )
    return [(client.pk, f"{client.last_name}, {client.first_name}") for client in chosen]


def _task_choices(visit: Visit) -> list[tuple[str, str]]:
    """Every task of the municipality; the client's granted ones first, marked."""
    granted = set(
        GrantedService.objects.filter(
            client_id=visit.client_id,
            provider_id=visit.provider_id,
            valid_from__lte=visit.local_date,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=visit.local_date))
        .values_list("service_type__code", flat=True)
    )
    types = list(
        ServiceType.objects.filter(municipality_id=visit.municipality_id)
        .exclude(category__in=NOT_BY_VISITS)
        .order_by("name")
    )
    types.sort(key=lambda t: t.code not in granted)
    return [
        (t.code, _("%(name)s (granted)") % {"name": t.name} if t.code in granted else t.name)
        for t in types
    ]


@login_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    visit = _visible_visit(request, pk)
    if not access.can_correct(user, visit):
        raise PermissionDenied
    zone = visit.municipality.zone
    locks = Locks([visit.provider_id])
    locked = locks.is_locked(visit.provider_id, visit.local_date)
    start, end = visit.started_at.astimezone(zone), visit.ended_at.astimezone(zone)
    initial = {
        "client": visit.client_id,
        "day": start.date(),
        "arrived": start.time().replace(second=0, microsecond=0),
        "left": end.time().replace(second=0, microsecond=0),
        "outcome": visit.outcome,
        "tasks": [task.service_type.code for task in visit.tasks.all()],
    }
    clients, tasks = _client_choices(request, user, visit), _task_choices(visit)
    form = CorrectionForm(initial=initial, zone=zone, clients=clients, tasks=tasks)
    strike_form = StrikeForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "change")
        try:
            if action == "change":
                form = CorrectionForm(
                    request.POST, initial=initial, zone=zone, clients=clients, tasks=tasks
                )
                if form.is_valid():
                    corrections.correct_visit(
                        user,
                        visit,
                        form.change(),
                        form.cleaned_data["reason"],
                        form.cleaned_data["note"],
                    )
                    messages.success(request, _("The visit is corrected."))
                    return redirect("visits:visit", visit.pk)
            elif action in ("strike", "restore"):
                strike_form = StrikeForm(request.POST)
                if strike_form.is_valid():
                    act = (
                        corrections.strike_visit
                        if action == "strike"
                        else corrections.restore_visit
                    )
                    act(
                        user,
                        visit,
                        strike_form.cleaned_data["reason"],
                        strike_form.cleaned_data["note"],
                    )
                    messages.success(
                        request,
                        _("The registration is struck out.")
                        if action == "strike"
                        else _("The registration counts again."),
                    )
                    return redirect("visits:visit", visit.pk)
            else:
                messages.error(request, _("Unknown action."))
        except CorrectionRefused as exc:
            target = form if action == "change" else strike_form
            target.add_error(None, str(exc))
        status = 400
    log_request_access(request, [visit.client], AccessAction.DETAIL)
    context = {
        "visit": visit,
        "form": form,
        "strike_form": strike_form,
        "locked": locked,
        "locked_through": locks.locked_through.get(visit.provider_id),
        "zone": zone,
        "tabs": office_tabs(user, "mine" if visit.staff_id == user.pk else "list"),
    }
    return render(request, "visits/correct.html", context, status=status)


# The team's visits and the review ----------------------------------------------------


def _filter_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    teams = list(
        access.review_teams(user).select_related("provider").order_by("provider__name", "name")
    )
    several = len({team.provider_id for team in teams}) > 1
    team_choices = [
        (team.pk, f"{team.name} ({team.provider.name})" if several else team.name) for team in teams
    ]
    staff = (
        User.objects.filter(
            role_assignments__provider_id__in={team.provider_id for team in teams},
            role_assignments__role__in=PROVIDER_ROLES,
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    staff_choices = [(person.pk, person.get_full_name() or person.username) for person in staff]
    return team_choices, staff_choices


def _office(request: HttpRequest) -> User:
    user = request_user(request)
    if not access.opens_visit_office(user):
        raise PermissionDenied
    return user


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    user = _office(request)
    teams, staff = _filter_choices(user)
    form = VisitFilterForm(request.GET, teams=teams, staff=staff)
    if form.is_valid():
        data = form.cleaned_data
        chosen = review.VisitFilter(
            team_id=data["team"],
            staff_id=data["staff"],
            first=data["first"],
            last=data["last"],
            flagged=data["flagged"],
            unapproved=data["unapproved"],
            struck=data["struck"],
        )
        visits = review.team_visits(user, chosen)
    else:
        visits = Visit.objects.none()
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _mark(rows, user)
    _log_listed(request, rows)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "zone": clock.zone_for(user),
        "tabs": office_tabs(user, "list"),
    }
    return render_page(
        request,
        "visits/list.html",
        "visits/partials/visit_rows.html",
        context,
        status=filter_status(request, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_flags(request: HttpRequest) -> HttpResponse:
    user = _office(request)
    teams, staff = _filter_choices(user)
    form = FlagFilterForm(request.GET, teams=teams, staff=staff)
    clear_form = ClearFlagsForm()
    status = filter_status(request, form)
    if request.method == "POST":
        clear_form = ClearFlagsForm(request.POST)
        ids = [int(pk) for pk in request.POST.getlist("flag") if pk.isdigit() and len(pk) < 16]
        chosen = list(
            VisitFlag.objects.filter(
                pk__in=ids, cleared_at__isnull=True, visit__in=access.visits(user)
            )
        )
        if clear_form.is_valid():
            try:
                cleared = corrections.clear_flags(user, chosen, clear_form.cleaned_data["note"])
            except CorrectionRefused as exc:
                clear_form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(count)s flags cleared.") % {"count": cleared})
                return redirect(f"{reverse('visits:review')}?{request.GET.urlencode()}")
        status = 400
    kinds: list[tuple[str, str, int]] = []
    chosen_kind = ""
    if form.is_valid():
        data = form.cleaned_data
        chosen_kind = data["kind"]
        flags = review.open_flags(
            user,
            review.FlagFilter(
                team_id=data["team"],
                staff_id=data["staff"],
                first=data["first"],
                last=data["last"],
            ),
        )
        kinds = review.counts_by_kind(flags)
        listed = review.of_kind(flags, chosen_kind)
    else:
        listed = VisitFlag.objects.none()
    page = Paginator(listed, FLAGS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _log_listed(request, [flag.visit for flag in rows])
    query = request.GET.copy()
    query.pop("kind", None)
    query.pop("page", None)
    context = {
        "form": form,
        "clear_form": clear_form,
        "page": page,
        "rows": rows,
        "kinds": kinds,
        "chosen_kind": chosen_kind,
        "total": sum(count for _kind, _label, count in kinds),
        "base_query": query.urlencode(),
        "can_clear": access.leads_visits(user),
        "zone": clock.zone_for(user),
        "tabs": office_tabs(user, "review"),
    }
    return render(request, "visits/review.html", context, status=status)


# Approving a period ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.leads_visits(user):
        raise PermissionDenied
    teams = list(
        access.approvable_teams(user).select_related("provider").order_by("provider__name", "name")
    )
    team_choices = [(team.pk, team.name) for team in teams]
    today = clock.today_for(user)
    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    initial: dict[str, Any] = {
        "team": teams[0].pk if teams else None,
        "first": last_monday,
        "last": last_monday + dt.timedelta(days=6),
    }
    status = 200
    summary = None
    if request.method == "POST":
        form = ApprovalForm(request.POST, teams=team_choices)
    elif {"team", "first", "last"} & set(request.GET):
        form = ApprovalForm(request.GET, teams=team_choices)
    else:
        form = ApprovalForm(initial=initial, teams=team_choices)
        if teams:  # where last week stands, before anything is chosen
            summary = periods.summarise(teams[0], initial["first"], initial["last"])
    if form.is_bound:
        if form.is_valid():
            team = _team(teams, form.cleaned_data["team"])
            first, last = form.cleaned_data["first"], form.cleaned_data["last"]
            try:
                if request.method == "POST":
                    periods.approve_period(user, team, first, last)
                    messages.success(
                        request,
                        _("%(team)s approved %(first)s to %(last)s.")
                        % {"team": team.name, "first": first, "last": last},
                    )
                    return redirect(
                        f"{reverse('visits:approvals')}?team={team.pk}&first={first}&last={last}"
                    )
                periods.check_period(first, last, today)
            except periods.PeriodRefused as exc:
                form.add_error(None, str(exc))
                status = 400
            summary = periods.summarise(team, first, last)
        else:
            status = 400
    recent = periods.with_renewal(
        VisitApproval.objects.filter(team__in=teams)
        .select_related("team", "approved_by")
        .order_by("-approved_at", "-pk")
    )[:30]
    context = {
        "form": form,
        "summary": summary,
        "recent": recent,
        "tabs": office_tabs(user, "approvals"),
    }
    return render(request, "visits/approvals.html", context, status=status)


def _team(teams: list[Team], pk: int) -> Team:
    for team in teams:
        if team.pk == pk:
            return team
    raise PermissionDenied
