"""Recording and withdrawing consents to welfare technology, on the client's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import access, services
from .constants import AccessAction
from .forms import ConsentForm, WithdrawConsentForm
from .models import Consent
from .services import log_request_access
from .web import request_user


@login_required
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = access.get_client(request.user, pk)
    if not access.can_manage_consents(request.user, client):
        raise PermissionDenied
    form = ConsentForm(
        request.POST or None,
        initial={"given_on": client.municipality.today(), "given_by": client.full_name},
    )
    if request.method == "GET":
        log_request_access(request, [client], AccessAction.DETAIL)
    if request.method == "POST" and form.is_valid():
        services.record_consent(request_user(request), client, **form.cleaned_data)
        return redirect("core:client_detail", pk=client.pk)
    return render(request, "core/consent_form.html", {"client": client, "form": form})


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    client = access.get_client(request.user, pk)
    if not access.can_manage_consents(request.user, client):
        raise PermissionDenied
    try:
        consent = Consent.objects.select_related("client").get(pk=consent_pk, client=client)
    except Consent.DoesNotExist as exc:
        raise Http404 from exc
    form = WithdrawConsentForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "core/consent_withdraw_error.html",
            {"client": client, "form": form},
            status=400,
        )
    try:
        services.withdraw_consent(
            request_user(request), consent, on=form.cleaned_data["withdrawn_on"]
        )
    except ValueError as exc:
        form.add_error("withdrawn_on", str(exc))
        return render(
            request,
            "core/consent_withdraw_error.html",
            {"client": client, "form": form},
            status=400,
        )
    return redirect("core:client_detail", pk=client.pk)
