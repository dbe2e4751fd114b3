"""The start page: what each role needs first when they log in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from trygg.core import access, clock
from trygg.core.constants import Role
from trygg.core.models import FLAGGED_FOR_REVIEW, User
from trygg.integration import access as integration_access


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembering the choice on the person's profile too."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (
        isinstance(user, User)
        and language in {code for code, _name in settings.LANGUAGES}
        and user.preferred_language != language
    ):
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = access.scope_for(user)
    today = clock.today_for(user)
    visible = access.clients(user)
    active = visible.active_on(today)
    context: dict[str, Any] = {
        "scope": scope,
        "roles": sorted({Role(r).label for r in scope.roles}, key=str),
        "today": today,
    }
    if scope.provider_ids or scope.municipal_roles:
        context["active_clients"] = active.count()
        context["my_teams"] = (
            access.teams(user).filter(pk__in=scope.team_ids).select_related("provider")
        )
        if scope.team_ids:
            context["team_clients"] = active.filter(team_id__in=scope.team_ids).count()
        context["starting_soon"] = visible.starting_soon(today).count()
    if scope.has_role(
        Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN
    ):
        context["consents_due"] = visible.consent_review_due(today).count()
    if scope.has_role(Role.PROVIDER_MANAGER, Role.MUNICIPAL_ADMIN):
        context["staff_count"] = access.staff(user).filter(is_active=True).count()
        context["can_import"] = integration_access.can_import(user)
    if access.can_review_access_log(user):
        since = timezone.now() - dt.timedelta(days=30)
        context["flagged_reads"] = (
            access.access_log(user).filter(at__gte=since).filter(FLAGGED_FOR_REVIEW).count()
        )
        context["flagged_since"] = (today - dt.timedelta(days=30)).isoformat()
    if scope.has_role(Role.MUNICIPAL_ADMIN):
        context["provider_count"] = access.providers(user).count()
    return render(request, "front/home.html", context)


# Error pages -----------------------------------------------------------------------------
# In the site's layout with its menu (what the person can use instead). Their forms lead
# back to the start page, not to the refused address: a page that answers "not found" for
# another provider's client must not differ from one for a client that does not exist.


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"return_to": "/"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {"return_to": "/"}, status=404)
