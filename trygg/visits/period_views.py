"""The lock dates page (set, open again, lock again) and the municipality's visit rules.
No client data on either."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trygg.core import clock
from trygg.core.web import request_user

from . import access, periods
from .forms import LockForm, PolicyForm, UnlockForm
from .models import PeriodLock, PeriodUnlock, VisitPolicy
from .tabs import office_tabs


@login_required
@require_http_methods(["GET", "POST"])
def locks(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.opens_locks(user):
        raise PermissionDenied
    today = clock.today_for(user)
    visible = access.lock_view_providers(user)
    lockable = list(access.lock_providers(user).order_by("name"))
    unlockable = [p for p in visible.order_by("name") if access.can_unlock(user, p)]
    lock_form = LockForm(
        providers=[(p.pk, p.name) for p in lockable],
        initial={"through": today.replace(day=1) - dt.timedelta(days=1)},
    )
    unlock_form = UnlockForm(providers=[(p.pk, p.name) for p in unlockable])
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "lock":
                lock_form = LockForm(request.POST, providers=[(p.pk, p.name) for p in lockable])
                if lock_form.is_valid():
                    provider = _provider(lockable, lock_form.cleaned_data["provider"])
                    lock = periods.set_lock_date(
                        user, provider, lock_form.cleaned_data["through"], today=today
                    )
                    messages.success(
                        request,
                        _("%(provider)s is locked through %(day)s.")
                        % {"provider": provider.name, "day": lock.locked_through},
                    )
                    return redirect("visits:locks")
            elif action == "unlock":
                unlock_form = UnlockForm(
                    request.POST, providers=[(p.pk, p.name) for p in unlockable]
                )
                if unlock_form.is_valid():
                    data = unlock_form.cleaned_data
                    provider = _provider(unlockable, data["provider"])
                    unlock = periods.unlock_period(
                        user, provider, data["first"], data["last"], data["reason"]
                    )
                    messages.success(
                        request,
                        _("%(first)s to %(last)s is open for corrections at %(provider)s.")
                        % {
                            "first": unlock.first_day,
                            "last": unlock.last_day,
                            "provider": provider.name,
                        },
                    )
                    return redirect("visits:locks")
            elif action == "relock":
                pk = request.POST.get("unlock", "")
                opened = (
                    PeriodUnlock.objects.filter(
                        pk=int(pk) if pk.isdigit() and len(pk) < 16 else 0,
                        provider__in=unlockable,
                    )
                    .select_related("provider")
                    .first()
                )
                if opened is None:
                    raise PermissionDenied
                periods.relock(user, opened)
                messages.success(request, _("The period is locked again."))
                return redirect("visits:locks")
            else:
                messages.error(request, _("Unknown action."))
        except periods.PeriodRefused as exc:
            target = unlock_form if action == "unlock" else lock_form
            target.add_error(None, str(exc))
            if action == "relock":
                messages.error(request, str(exc))
        status = 400
    history = list(
        PeriodLock.objects.filter(provider__in=visible)
        .select_related("provider", "set_by")
        .order_by("-set_at", "-pk")[:20]
    )
    unlocks = list(
        PeriodUnlock.objects.filter(provider__in=visible)
        .select_related("provider", "unlocked_by")
        .order_by("-unlocked_at", "-pk")[:20]
    )
    context: dict[str, Any] = {
        "states": periods.lock_states(visible, today),
        "lock_form": lock_form if lockable else None,
        "unlock_form": unlock_form if unlockable else None,
        "unlockable": {p.pk for p in unlockable},
        "history": history,
        "unlocks": unlocks,
        "today": today,
        "tabs": office_tabs(user, "locks"),
    }
    return render(request, "visits/locks.html", context, status=status)


def _provider(providers: list[Any], pk: int) -> Any:
    for provider in providers:
        if provider.pk == pk:
            return provider
    raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    municipality = access.policy_municipalities(user).order_by("name").first()
    if municipality is None:
        raise PermissionDenied
    policy = VisitPolicy.for_municipality(municipality.pk)
    form = PolicyForm(request.POST or None, instance=policy)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("The rules are saved."))
            return redirect("visits:rules")
        status = 400
    context = {
        "form": form,
        "municipality": municipality,
        "tabs": office_tabs(user, "rules"),
    }
    return render(request, "visits/rules.html", context, status=status)
