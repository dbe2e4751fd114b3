"""The billing basis pages: the month per provider with a chart (no client data), one
provider's basis per client and service type (logged), its CSV and XLSX files (logged as
exports), and the municipality's follow-up over months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import Client, Provider, Team, User
from trygg.core.services import log_request_access
from trygg.core.web import filter_status, request_user

from . import access, billing, charts, exports
from .forms import MonthForm
from .models import VisitPolicy
from .tabs import office_tabs

FOLLOW_UP_MONTHS = 12


def _billing_user(request: HttpRequest) -> User:
    user = request_user(request)
    if not access.opens_billing(user):
        raise PermissionDenied
    return user


def _month(request: HttpRequest, user: User) -> tuple[MonthForm, dt.date]:
    """The chosen month; by default the last one (the month being billed)."""
    default = billing.add_months(billing.month_start(clock.today_for(user)), -1)
    if not request.GET.get("month"):
        return MonthForm(initial={"month": f"{default:%Y-%m}"}), default
    form = MonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["month"]:
        return form, form.cleaned_data["month"]
    return form, default


def _month_links(month: dt.date) -> dict[str, str]:
    return {
        "previous_month": f"{billing.add_months(month, -1):%Y-%m}",
        "next_month": f"{billing.add_months(month, 1):%Y-%m}",
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _billing_user(request)
    form, month = _month(request, user)
    providers = list(access.billing_providers(user).select_related("municipality"))
    if len(providers) == 1 and not access.reads_all_visits(user):
        return redirect(
            f"{reverse('visits:billing_provider', args=[providers[0].pk])}?month={month:%Y-%m}"
        )
    providers.sort(key=lambda p: p.name)
    municipality = providers[0].municipality if providers else None
    figures = (
        billing.per_provider_month(municipality, [p.pk for p in providers], month)
        if municipality
        else {}
    )
    policy = VisitPolicy.for_municipality(municipality.pk) if municipality else None
    basis_of_payment = policy.payment_basis if policy else VisitPolicy.PaymentBasis.PERFORMED
    rows = [
        (provider, figures[provider.pk], figures[provider.pk].payable(basis_of_payment))
        for provider in providers
    ]
    chart = charts.granted_against_performed(
        [(p.name, f.granted, float(f.performed)) for p, f, _payable in rows]
    )
    context: dict[str, Any] = {
        "form": form,
        "month": month,
        "rows": rows,
        "chart": chart,
        "policy": policy,
        "tabs": office_tabs(user, "billing"),
        **_month_links(month),
    }
    return render(request, "visits/billing.html", context, status=filter_status(request, form))


def _provider(user: User, pk: int) -> Provider:
    provider = access.billing_providers(user).select_related("municipality").filter(pk=pk).first()
    if provider is None:
        raise Http404
    return provider


@login_required
@require_GET
def provider_basis(request: HttpRequest, provider_pk: int) -> HttpResponse:
    user = _billing_user(request)
    provider = _provider(user, provider_pk)
    form, month = _month(request, user)
    basis = billing.basis(provider, month)
    _log_clients(request, basis, AccessAction.LIST)
    chart = charts.granted_against_performed(
        [(provider.name, float(basis.granted), float(basis.performed))]
    )
    context = {
        "form": form,
        "provider": provider,
        "month": month,
        "basis": basis,
        "chart": chart,
        "granted_basis": basis.payment_basis == VisitPolicy.PaymentBasis.GRANTED,
        "tabs": office_tabs(user, "billing"),
        **_month_links(month),
    }
    return render(
        request, "visits/billing_provider.html", context, status=filter_status(request, form)
    )


@login_required
@require_GET
def export(request: HttpRequest, provider_pk: int, kind: str) -> HttpResponse:
    user = _billing_user(request)
    provider = _provider(user, provider_pk)
    form, month = _month(request, user)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(str(error) for error in form.errors.get("month", [])),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    basis = billing.basis(provider, month)
    if kind == "csv":
        body, content_type = exports.render_csv(basis), exports.CSV_CONTENT_TYPE
    else:
        body, content_type = exports.render_xlsx(basis), exports.XLSX_CONTENT_TYPE
    _log_clients(request, basis, AccessAction.EXPORT)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(basis, kind)}"'
    response["Cache-Control"] = "no-store"
    return response


def _log_clients(request: HttpRequest, basis: billing.Basis, action: AccessAction) -> None:
    log_request_access(
        request, Client.objects.filter(pk__in=basis.clients()).order_by("pk"), action
    )


# The municipality's follow-up --------------------------------------------------------


@dataclass
class ProviderFollowUp:
    provider: Provider
    months: list[billing.Figures]
    teams: list[tuple[Team | None, list[billing.Figures]]]
    total: billing.Figures


@login_required
@require_GET
def follow_up(request: HttpRequest) -> HttpResponse:
    user = _billing_user(request)
    form, last_month = _month(request, user)
    first_month = billing.add_months(last_month, -(FOLLOW_UP_MONTHS - 1))
    months = billing.months_between(first_month, billing.month_end(last_month))
    providers = sorted(access.billing_providers(user).select_related("municipality"), key=str)
    results: list[ProviderFollowUp] = []
    if providers:
        municipality = providers[0].municipality
        ids = [p.pk for p in providers]
        by_team = billing.summary(municipality, ids, first_month, last_month, by_team=True)
        by_provider = billing.fold_teams(by_team)
        teams = {team.pk: team for team in Team.objects.filter(provider_id__in=ids)}
        for provider in providers:
            monthly = [
                by_provider.get((provider.pk, None, month))
                or billing.Figures(provider.pk, None, month)
                for month in months
            ]
            team_ids = sorted(
                {key[1] for key in by_team if key[0] == provider.pk},
                key=lambda pk: (pk is None, teams[pk].name if pk in teams else ""),
            )
            team_rows = [
                (
                    teams.get(team_id) if team_id is not None else None,
                    [
                        by_team.get((provider.pk, team_id, month))
                        or billing.Figures(provider.pk, team_id, month)
                        for month in months
                    ],
                )
                for team_id in team_ids
            ]
            total = billing.Figures(provider.pk, None, first_month)
            # Over the months with registrations: before a provider registered visits
            # there is nothing to compare granted time with.
            for figures in (f for f in monthly if f.registrations):
                total.granted += figures.granted
                total.performed += figures.performed
                total.registrations += figures.registrations
                total.proven += figures.proven
                total.corrected += figures.corrected
                total.visits += figures.visits
            results.append(ProviderFollowUp(provider, monthly, team_rows, total))
    context = {
        "form": form,
        "months": months,
        "month": last_month,
        "results": results,
        "tabs": office_tabs(user, "follow_up"),
        **_month_links(last_month),
    }
    return render(request, "visits/follow_up.html", context, status=filter_status(request, form))
