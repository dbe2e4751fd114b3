"""The public status page and calendar feed; outage planning for the welfare-technology
team and administrators. Each view parses, authorises, calls a service, renders."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.core.models import Municipality, User
from trygg.core.web import request_user

from . import access, banners, services
from .constants import OutageKind, OutageStatus
from .forms import PlanForm, RescheduleForm, local_input
from .ical import CONTENT_TYPE, build_calendar
from .models import Outage

PAGE_SIZE = 50


def _public_municipalities(request: HttpRequest) -> list[Municipality]:
    """All municipalities, or the one named by ?municipality=<code>: the page is public and
    shows no personal data, so there is nothing to restrict."""
    queryset = Municipality.objects.order_by("name")
    code = request.GET.get("municipality", "").strip()
    if code:
        queryset = queryset.filter(code=code[:4])
    return list(queryset)


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    municipalities = _public_municipalities(request)
    board = services.status_board(municipalities, timezone.now())
    feed = reverse("outages:feed")
    if len(municipalities) == 1:
        feed = f"{feed}?municipality={municipalities[0].code}"
    return render(request, "outages/status.html", {"board": board, "feed_url": feed})


@require_GET
def status_feed(request: HttpRequest) -> HttpResponse:
    municipalities = _public_municipalities(request)
    outages = services.feed_outages([m.pk for m in municipalities], timezone.now())
    site = urlsplit(settings.SITE_URL)
    name = _("Outages")
    if len(municipalities) == 1:
        name = f"{name}: {municipalities[0].name}"
    body = build_calendar(
        outages,
        host=site.hostname or "trygg.invalid",
        url=f"{settings.SITE_URL.rstrip('/')}{reverse('outages:status')}",
        name=f"{settings.SITE_NAME} · {name}",
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="outages.ics"'
    return response


def _planner(request: HttpRequest) -> User:
    if not access.can_plan(request.user):
        raise PermissionDenied
    return request_user(request)


@login_required
@require_GET
def outage_list(request: HttpRequest) -> HttpResponse:
    _planner(request)
    queryset = (
        access.outages(request.user).select_related("municipality").order_by("-starts_at", "-pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outages/list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def outage_plan(request: HttpRequest) -> HttpResponse:
    user = _planner(request)
    municipalities = access.plannable_municipalities(request.user).order_by("name")
    violations: list[services.Violation] = []
    if request.method == "POST":
        form = PlanForm(request.POST, municipalities=municipalities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outage = services.plan_outage(
                    municipality=data["municipality"],
                    system=data["system"],
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    override_reason=data["override_reason"],
                    by=user,
                )
            except services.OutageRefused as exc:
                violations = exc.violations
            except services.OutageError as exc:
                form.add_error(None, str(exc))
            else:
                if outage.kind == OutageKind.UNPLANNED:
                    messages.success(request, _("The outage is announced to everyone."))
                else:
                    messages.success(request, _("Planned. Announce it when it is ready."))
                return redirect("outages:detail", outage.pk)
    else:
        form = PlanForm(municipalities=municipalities)
    return render(request, "outages/plan.html", {"form": form, "violations": violations})


def _detail_context(request: HttpRequest, outage: Outage, **extra: Any) -> dict[str, Any]:
    tz = outage.municipality.zone
    context: dict[str, Any] = {
        "outage": outage,
        "notices": outage.notices.select_related("provider", "sent_by").order_by("sent_at", "pk"),
        "overridden": [r for r in outage.overridden_rules.split(",") if r],
        "announce_violations": [],
        "reschedule_form": RescheduleForm(
            zone=tz,
            initial={
                "starts_at": local_input(outage.starts_at, tz),
                "ends_at": local_input(outage.ends_at, tz),
            },
        ),
        "reschedule_violations": [],
        "is_planned": outage.kind == OutageKind.PLANNED,
        "is_draft": outage.status == OutageStatus.DRAFT,
        "can_complete": outage.status in (OutageStatus.ANNOUNCED, OutageStatus.IN_PROGRESS),
    }
    if outage.status == OutageStatus.DRAFT and outage.kind == OutageKind.PLANNED:
        # What announcing now would break, before anyone presses the button.
        covered = set(context["overridden"])
        context["announce_violations"] = [
            v
            for v in services.check_rules(
                outage.municipality, outage.system, outage.starts_at, outage.ends_at, timezone.now()
            )
            if v.rule not in covered
        ]
    context.update(extra)
    return context


@login_required
@require_GET
def outage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _planner(request)
    outage = access.get_outage(request.user, pk)
    return render(request, "outages/detail.html", _detail_context(request, outage))


@login_required
@require_POST
def outage_announce(request: HttpRequest, pk: int) -> HttpResponse:
    user = _planner(request)
    outage = access.get_outage(request.user, pk)
    try:
        notices = services.announce_outage(
            outage, user, override_reason=request.POST.get("override_reason", "")[:2000]
        )
    except services.OutageRefused as exc:
        return render(
            request,
            "outages/detail.html",
            _detail_context(request, outage, announce_violations=exc.violations),
            status=400,
        )
    except services.OutageError as exc:
        messages.error(request, str(exc))
    else:
        if notices:
            messages.success(request, _("Announced: the notices are on their way."))
        else:
            messages.info(request, _("Everyone has already been told; nothing new was sent."))
    return redirect("outages:detail", outage.pk)


@login_required
@require_POST
def outage_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = _planner(request)
    outage = access.get_outage(request.user, pk)
    form = RescheduleForm(request.POST, zone=outage.municipality.zone)
    violations: list[services.Violation] = []
    if form.is_valid():
        try:
            services.reschedule_outage(
                outage,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                override_reason=form.cleaned_data["override_reason"],
                by=user,
            )
        except services.OutageRefused as exc:
            violations = exc.violations
        except services.OutageError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The new time is saved."))
            return redirect("outages:detail", outage.pk)
    context = _detail_context(
        request, outage, reschedule_form=form, reschedule_violations=violations
    )
    return render(request, "outages/detail.html", context, status=400)


@login_required
@require_POST
def outage_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _planner(request)
    outage = access.get_outage(request.user, pk)
    try:
        services.cancel_outage(outage, user)
    except services.OutageError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The outage is cancelled."))
    return redirect("outages:detail", outage.pk)


@login_required
@require_POST
def outage_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _planner(request)
    outage = access.get_outage(request.user, pk)
    try:
        services.complete_outage(outage, user)
    except services.OutageError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The outage is marked completed."))
    return redirect("outages:detail", outage.pk)


@login_required
@require_POST
def hide_banner(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the banner of one outage the person is shown, and go back where they were."""
    shown = banners.for_person(request.user, timezone.now())
    outage = next((o for o in shown if o.pk == pk), None)
    if outage is not None:  # a banner not shown (any longer) needs no closing
        banners.hide(request.session, outage)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    return redirect(target)
