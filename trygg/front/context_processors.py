"""Navigation for the base layout: the menu shows only what the user's roles may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trygg.core import access
from trygg.core.constants import Role
from trygg.notifications.services import unread_count
from trygg.outages.nav import nav_items as outage_nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = access.scope_for(user)
    items: list[tuple[str, Any, str]] = [("home", _("Start"), reverse("home"))]
    if scope.provider_ids or scope.municipal_roles:
        items.append(("clients", _("Clients"), reverse("core:client_list")))
        items.append(("staff", _("Staff"), reverse("core:staff_list")))
        items.append(("teams", _("Teams"), reverse("core:team_list")))
        items.append(("providers", _("Providers"), reverse("core:provider_list")))
    if access.can_open_alarms(user):
        items.append(("alarms", _("Alarms"), reverse("alarms:console")))
    if access.can_open_phones(user):
        items.append(("phones", _("Phones"), reverse("devices:phone_list")))
    if access.can_open_orders(user):
        items.append(("orders", _("Orders"), reverse("servicedesk:order_list")))
    if access.can_import(user):
        items.append(("import", _("Import"), reverse("integration:import")))
    if access.can_review_access_log(user):
        items.append(("access_log", _("Access log"), reverse("core:access_log")))
    items.append(("support", _("Support"), reverse("support:who_to_call")))
    items.extend(outage_nav_items(user))
    if access.can_use_admin(user) and scope.has_role(Role.MUNICIPAL_ADMIN):
        items.append(("admin", _("Master data"), reverse("admin:index")))
    path = request.path
    current = ""
    for key, _label, url in items:
        if url != "/" and path.startswith(url):
            current = key
    return {
        "unread_notifications": unread_count(user),
        "nav_items": [
            {"key": key, "label": label, "url": url, "current": key == (current or "home")}
            for key, label, url in items
        ],
    }
