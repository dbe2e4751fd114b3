"""Pages for clients, staff, teams, providers and the access-log review.

Each view parses, asks `access` what the user may see, calls a service, renders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from . import access, clock, record
from .constants import AccessAction
from .forms import AccessLogFilterForm, ClientFilterForm, StaffFilterForm
from .models import (
    AccessLogEntry,
    Consent,
    GrantedService,
    Provider,
    RoleAssignment,
    Team,
    User,
    is_national_id_search,
)
from .services import filter_access_log, log_request_access
from .web import filter_status, render_page, request_user

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset: QuerySet[Any], size: int = PAGE_SIZE) -> Any:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _page_counted_in_passing(
    request: HttpRequest, queryset: QuerySet[Any], size: int = PAGE_SIZE
) -> Page[Any]:
    """A page whose total comes with its rows (COUNT(*) OVER ()), for a search.

    A search by name reads every visible client whatever the page; with Paginator it would
    read them twice, once to count and once for the page. Without a search the count is
    an index range and the page a short index walk, so `_page` is the better choice there.
    """
    paginator = Paginator(queryset, size)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(queryset.annotate(search_total=Window(Count("pk")))[start : start + size])
    if not rows:
        return paginator.get_page(number)  # nothing found, or past the end: as Paginator does
    paginator.__dict__["count"] = rows[0].search_total  # Paginator.count is a cached_property
    return Page(rows, number, paginator)


# Fewer characters than this find too many people: a search of all clients needs more.
WIDE_SEARCH_MIN_QUERY = 2


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """The clients the user may see, or, for care workers and night staff, their own teams'
    clients: searching all of their provider's clients is a deliberate step ("wide"), and
    shows nothing until something is searched for. Every name shown is logged, unflagged
    (a list is not a record opened); a search by national id as such."""
    user = request_user(request)
    form = ClientFilterForm(request.GET or None)
    own_teams = access.list_teams_first(user)
    wide = bool(own_teams) and request.GET.get("wide", "") not in ("", "0", "false")
    narrowed = bool(own_teams) and not wide
    teams = access.teams(user).select_related("provider").order_by("provider__name", "name")
    if narrowed:
        teams = teams.filter(pk__in=own_teams)
    visible_teams = list(teams)
    team_choices = [(t.pk, f"{t.name} ({t.provider.name})") for t in visible_teams]
    form.fields["team"].widget.choices = [("", "—"), *team_choices]
    if wide:
        # The person chose to search: the box is where they type, and says what it covers.
        form.fields["q"].widget.attrs.update(
            {"autofocus": True, "aria-describedby": "list-scope-hint"}
        )
    queryset = access.clients(user).select_related("team", "provider")
    if narrowed:
        queryset = queryset.filter(team_id__in=own_teams)
    today = clock.today_for(user)
    status = "active"
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        queryset = queryset.search(query)
        if form.cleaned_data["team"]:
            queryset = queryset.filter(team_id=form.cleaned_data["team"])
        status = form.cleaned_data["status"] or "active"
    elif form.is_bound:
        queryset = queryset.none()
    too_short = wide and len(query) < WIDE_SEARCH_MIN_QUERY
    if too_short:
        queryset = queryset.none()
    if status == "active":
        queryset = queryset.active_on(today)
    elif status == "ended":
        queryset = queryset.filter(end_date__lt=today)
    elif status == "consent_review":
        queryset = queryset.consent_review_due(today)
    if status == "starting":
        # Who starts first is planned first.
        queryset = queryset.starting_soon(today).order_by(
            "start_date", "last_name", "first_name", "pk"
        )
    else:
        queryset = queryset.order_by("last_name", "first_name", "pk")
    searching = bool(query)
    page = _page_counted_in_passing(request, queryset) if searching else _page(request, queryset)
    action = AccessAction.SEARCH if is_national_id_search(query) else AccessAction.LIST
    log_request_access(request, page.object_list, action)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "teams_first": bool(own_teams),
        "wide": wide,
        "too_short": too_short,
        "own_team_names": [t.name for t in visible_teams] if narrowed else [],
        "min_query": WIDE_SEARCH_MIN_QUERY,
    }
    return render_page(
        request,
        "core/client_list.html",
        "core/partials/client_rows.html",
        context,
        status=filter_status(request, form),
    )


@login_required
@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    client = access.get_client(user, pk)
    # The apps' sections (devices, alarms, orders, ...), each by its own app's rules; one
    # row in the log for the record, naming what every section showed.
    sections = record.sections_for(client, user, request)
    log_request_access(request, [client], AccessAction.DETAIL, shown=record.shown_for_log(sections))
    today = client.municipality.today()
    services = (
        GrantedService.objects.filter(client=client)
        .select_related("service_type", "provider")
        .order_by("-valid_from")
    )
    consents = Consent.objects.filter(client=client).order_by("technology", "-given_on")
    return render(
        request,
        "core/client_detail.html",
        {
            "client": client,
            "services": services,
            "consents": consents,
            "sections": sections,
            "today": today,
            "can_reveal_door_code": access.can_reveal_door_code(request.user, client),
            "can_manage_consents": access.can_manage_consents(request.user, client),
        },
    )


@login_required
@require_POST
def client_door_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the door code: a deliberate act, logged on its own line."""
    client = access.get_client(request.user, pk)
    if not access.can_reveal_door_code(request.user, client):
        raise PermissionDenied
    log_request_access(request, [client], AccessAction.DOOR_CODE)
    response = render(request, "core/partials/door_code.html", {"client": client})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None)
    queryset = access.staff(request.user)
    if form.is_valid() and form.cleaned_data["q"]:
        for word in form.cleaned_data["q"].split():
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
            )
    queryset = queryset.filter(is_active=True).prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related("provider", "municipality"),
        )
    )
    page = _page(request, queryset.order_by("last_name", "first_name", "pk"))
    return render_page(
        request,
        "core/staff_list.html",
        "core/partials/staff_rows.html",
        {"form": form, "page": page},
    )


@login_required
@require_GET
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = access.staff(request.user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc
    assignments = (
        RoleAssignment.objects.filter(user=person)
        .select_related("provider", "municipality")
        .prefetch_related("teams")
    )
    return render(request, "core/staff_detail.html", {"person": person, "assignments": assignments})


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    today = clock.today_for(request.user)
    teams = (
        access.teams(request.user)
        .select_related("provider")
        .annotate(
            client_count=Count(
                "clients",
                filter=Q(clients__start_date__lte=today)
                & (Q(clients__end_date__isnull=True) | Q(clients__end_date__gte=today)),
                distinct=True,
            ),
            staff_count=Count("role_assignments__user", distinct=True),
        )
        .order_by("provider__name", "name")
    )
    return render(request, "core/team_list.html", {"teams": teams})


@login_required
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        team = access.teams(request.user).select_related("provider__municipality").get(pk=pk)
    except Team.DoesNotExist as exc:
        raise Http404 from exc
    members = (
        User.objects.filter(role_assignments__teams=team, is_active=True)
        .distinct()
        .order_by("last_name", "first_name")
    )
    today = team.provider.municipality.today()
    client_count = access.clients(request.user).filter(team=team).active_on(today).count()
    return render(
        request,
        "core/team_detail.html",
        {
            "team": team,
            "members": members,
            "openable": _openable_staff(request, members),
            "client_count": client_count,
        },
    )


def _openable_staff(request: HttpRequest, people: QuerySet[User]) -> set[int]:
    """Of these people, those whose page the user may open: a name links only there (the
    alarm centre sees a provider's teams but not its staff's pages)."""
    return set(access.staff(request.user).filter(pk__in=people).values_list("pk", flat=True))


@login_required
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    today = clock.today_for(request.user)
    providers = (
        access.providers(request.user)
        .select_related("municipality")
        .annotate(
            team_count=Count("teams", distinct=True),
            client_count=Count(
                "clients",
                filter=Q(clients__start_date__lte=today)
                & (Q(clients__end_date__isnull=True) | Q(clients__end_date__gte=today)),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    return render(request, "core/provider_list.html", {"providers": providers})


@login_required
@require_GET
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        provider = access.providers(request.user).select_related("municipality").get(pk=pk)
    except Provider.DoesNotExist as exc:
        raise Http404 from exc
    teams = provider.teams.order_by("name")
    managers = (
        User.objects.filter(
            role_assignments__provider=provider, role_assignments__role="provider_manager"
        )
        .distinct()
        .order_by("last_name")
    )
    today = provider.municipality.today()
    client_count = access.clients(request.user).filter(provider=provider).active_on(today).count()
    return render(
        request,
        "core/provider_detail.html",
        {
            "provider": provider,
            "teams": teams,
            "managers": managers,
            "openable": _openable_staff(request, managers),
            "client_count": client_count,
        },
    )


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    if not access.can_review_access_log(request.user):
        raise PermissionDenied
    form = AccessLogFilterForm(request.GET or None)
    queryset = access.access_log(request.user)
    if form.is_valid():
        queryset = filter_access_log(queryset, form.cleaned_data, clock.zone_for(request.user))
    elif form.is_bound:
        queryset = queryset.none()
    page = log_page(queryset.select_related("user", "client"), request.GET)
    for entry in page.object_list:
        entry.shown_sections = record.describe(entry.shown)  # type: ignore[attr-defined]
    return render_page(
        request,
        "core/access_log.html",
        "core/partials/access_log_rows.html",
        {"form": form, "page": page},
        status=filter_status(request, form),
    )


@dataclass(frozen=True)
class LogPage:
    """One page of the access log, newest first, with cursors to the pages either side.

    Keyset paging ("newer" / "older" from a row's time and id) instead of numbered pages:
    a page is one index range whatever its depth, and no COUNT(*) runs over a log of
    hundreds of thousands of rows.
    """

    object_list: list[AccessLogEntry]
    newer: str | None = None
    older: str | None = None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _cursor(entry: AccessLogEntry) -> str:
    micros = (entry.at - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}_{entry.pk}"


def _parse_cursor(text: str | None) -> tuple[dt.datetime, int] | None:
    """A cursor from the query string; anything malformed means "from the newest"."""
    micros, _sep, pk = (text or "").partition("_")
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def log_page(
    queryset: QuerySet[AccessLogEntry], params: QueryDict, size: int = PAGE_SIZE
) -> LogPage:
    """The page after `?older=` or before `?newer=` (a cursor), or the newest page."""
    after = _parse_cursor(params.get("older"))
    before = _parse_cursor(params.get("newer")) if after is None else None
    if before is not None:
        at, pk = before
        rows = list(
            queryset.filter(Q(at__gt=at) | Q(pk__gt=pk), at__gte=at).order_by("at", "id")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size][::-1]
            return LogPage(rows, newer=_cursor(rows[0]), older=_cursor(rows[-1]))
        # Back at the top: show the newest page as it is now, full.
        after = None
    queryset = queryset.order_by("-at", "-id")
    if after is not None:
        at, pk = after
        queryset = queryset.filter(Q(at__lt=at) | Q(pk__lt=pk), at__lte=at)
    rows = list(queryset[: size + 1])
    older = _cursor(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    newer = _cursor(rows[0]) if after is not None and rows else None
    return LogPage(rows, newer=newer, older=older)
