"""Pages: "Who do I call now?", the service catalogue and the call-out register.

Each view parses, asks `support.access` what the user may see, calls a service, renders.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trygg.core.models import Municipality
from trygg.core.web import request_user

from . import access, services
from .constants import COUNTRY_CURRENCY, LineKind, System
from .forms import CallOutForm, DistrictForm
from .models import Service

PAGE_SIZE = 50


def _municipality(request: HttpRequest) -> Municipality | None:
    raw = request.GET.get("municipality", "")
    requested = int(raw) if raw.isdigit() else None
    return access.default_municipality(request.user, requested)


def _no_municipality(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "support/no_municipality.html", {"title": title})


@login_required
@require_GET
def who_to_call_page(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request)
    if municipality is None:
        return _no_municipality(request, _("Who do I call now?"))
    districts = access.districts(request.user, municipality)
    if "district" in request.GET:
        form = DistrictForm(request.GET, districts=districts)
        district = form.cleaned_data["district"] if form.is_valid() else None
    else:
        district = access.default_district(request.user, municipality)
        form = DistrictForm(initial={"district": district}, districts=districts)
    now = timezone.now()
    caller = access.caller(request.user, municipality)
    answers = services.answers(municipality, now, district.pk if district else None, caller=caller)
    fees = {
        s.system: s
        for s in Service.objects.filter(
            municipality=municipality, is_active=True, call_out_fee__isnull=False
        ).order_by("-pk")
    }
    cards = []
    # Lines beyond the support lines (the on-call) that do not serve this caller: said once
    # above the cards rather than on every card they would have appeared on.
    page_notes: dict[int, str] = {}
    for answer in answers:
        answer = services.localised_holiday_answer(answer, municipality)
        fee_service = fees.get(answer.system)
        not_for_caller = list(
            zip(answer.not_for_caller, services.not_for_caller_texts(answer), strict=True)
        )
        for line, text in not_for_caller:
            if line.kind != LineKind.PRIMARY:
                page_notes.setdefault(line.id, text)
        cards.append(
            {
                "answer": answer,
                "label": System(answer.system).label,
                "why": services.describe(answer),
                "not_for_caller": [
                    text for line, text in not_for_caller if line.kind == LineKind.PRIMARY
                ],
                "accounts": services.describe_accounts(answer),
                "fee": fee_service
                if fee_service
                and answer.out_of_hours
                and answer.line is not None
                and answer.line.kind == LineKind.VENDOR
                else None,
            }
        )
    return render(
        request,
        "support/who_to_call.html",
        {
            "municipality": municipality,
            "municipalities": access.municipalities(request.user),
            "form": form,
            "district": district,
            "cards": cards,
            "page_notes": list(page_notes.values()),
            "now": answers[0].at if answers else now,
        },
    )


@login_required
@require_GET
def service_catalogue(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request)
    if municipality is None:
        return _no_municipality(request, _("Service catalogue"))
    return render(
        request,
        "support/services.html",
        {
            "municipality": municipality,
            "catalogue": services.catalogue(municipality),
            "can_read_call_outs": access.can_read_call_outs(request.user, municipality),
        },
    )


@login_required
@require_GET
def call_out_list(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request)
    if municipality is None or not access.can_read_call_outs(request.user, municipality):
        raise PermissionDenied
    queryset = services.call_outs(municipality)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "support/call_outs.html",
        {
            "municipality": municipality,
            "page": page,
            "totals": services.call_out_totals(queryset),
            "can_record": access.can_record_call_outs(request.user, municipality),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_out_create(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request)
    if municipality is None or not access.can_record_call_outs(request.user, municipality):
        raise PermissionDenied
    user = request_user(request)
    service_choices = Service.objects.filter(municipality=municipality).order_by("name")
    form = CallOutForm(
        request.POST or None,
        initial={
            "at": municipality.localtime(),
            "currency": COUNTRY_CURRENCY.get(municipality.country),
            "ordered_by": user.pk,
        },
        services=service_choices,
        staff=access.call_out_staff(municipality),
        zone=municipality.zone,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_call_out(user, data.pop("service"), **data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return redirect(f"{reverse('support:call_outs')}?municipality={municipality.pk}")
        status = 400
    return render(
        request,
        "support/call_out_form.html",
        {"municipality": municipality, "form": form},
        status=status,
    )
