"""Pages for managers: the door locks they may see with who holds keys to them now, and
revoking a key. Each view parses, asks `access`, calls a service, renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trygg.alarms.models import ResponderShift
from trygg.core import access as core_access
from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import log_request_access
from trygg.core.web import filter_status, render_page, request_user
from trygg.devices.models import DoorLock

from . import access, services
from .battery import sees_tasks
from .forms import LockFilterForm, RevokeForm
from .models import DigitalKey

PAGE_SIZE = 50


def _search(user: User, queryset: Any, text: str) -> Any:
    """Locks whose serial or address matches, on whose doors a client the user may see is
    called so, or to which someone the user sees keys of holds one. Names of clients the
    user may not see are never searched: a hit would give them away."""
    for word in text.split():
        clients = core_access.clients(user).filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(street__icontains=word)
        )
        holders = (
            access.keys(user)
            .open()
            .filter(
                Q(holder__first_name__icontains=word)
                | Q(holder__last_name__icontains=word)
                | Q(holder__username__iexact=word)
            )
        )
        queryset = queryset.filter(
            Q(serial_number__icontains=word)
            | Q(street__icontains=word)
            | Q(client__in=clients.values("pk"))
            | Q(
                pk__in=DoorLock.entrance_clients.through.objects.filter(
                    client__in=clients.values("pk")
                ).values("doorlock_id")
            )
            | Q(pk__in=holders.values("lock_id"))
        )
    return queryset


@dataclass
class KeyRow:
    key: DigitalKey
    without_hours: bool  # held through a team with no shift: opens no door now
    revocable: bool


@dataclass
class KeyGroup:
    """The keys to one door held through one team, or for alarms being answered."""

    team: Any  # Team | None: None for alarm keys
    keys: list[KeyRow]
    without_hours: bool


@dataclass
class LockRow:
    lock: DoorLock
    clients: list[Client]  # behind the door, those the viewer may see
    groups: list[KeyGroup]


def _rows(user: User, locks: list[Any], visible_clients: Any) -> list[LockRow]:
    """The page's locks with the clients and keys the viewer may see, and whether each
    team key's team has working hours at all."""
    flat_ids = [lock.client_id for lock in locks if lock.client_id]
    visible_ids = set(visible_clients.filter(pk__in=flat_ids).values_list("pk", flat=True))
    team_ids = {k.team_id for lock in locks for k in lock.visible_keys if k.team_id}
    on_duty = set(
        ResponderShift.objects.filter(active=True, team_id__in=team_ids).values_list(
            "team_id", flat=True
        )
    )
    key_ids = [k.pk for lock in locks for k in lock.visible_keys]
    revocable = set(
        access.keys(user, to_revoke=True).filter(pk__in=key_ids).values_list("pk", flat=True)
    )
    rows = []
    for lock in locks:
        clients = list(lock.visible_entrance_clients)
        if lock.client_id in visible_ids:
            clients.insert(0, lock.client)
        by_team: dict[int | None, list[KeyRow]] = {}
        for key in lock.visible_keys:
            without_hours = key.team_id is not None and key.team_id not in on_duty
            by_team.setdefault(key.team_id, []).append(
                KeyRow(key, without_hours, key.pk in revocable)
            )
        # Alarm keys first (few, and worth noticing), then each team's, by name.
        groups = [
            KeyGroup(keys[0].key.team, keys, keys[0].without_hours)
            for keys in sorted(
                by_team.values(), key=lambda ks: (ks[0].key.team is not None, str(ks[0].key.team))
            )
        ]
        rows.append(LockRow(lock, clients, groups))
    return rows


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_open_keys(user):
        raise PermissionDenied
    form = LockFilterForm(request.GET or None)
    today = clock.today_for(user)
    visible_clients = core_access.clients(user)
    queryset = access.locks(user).in_service(today)
    if form.is_valid():
        queryset = _search(user, queryset, form.cleaned_data["q"])
    elif form.is_bound:
        queryset = queryset.none()
    queryset = (
        queryset.select_related("client")
        .prefetch_related(
            Prefetch(
                "entrance_clients",
                queryset=visible_clients.order_by("last_name", "first_name"),
                to_attr="visible_entrance_clients",
            ),
            Prefetch(
                "digital_keys",
                queryset=access.keys(user)
                .open()
                .select_related("holder", "team", "alarm")
                .order_by("holder__last_name", "holder__first_name", "pk"),
                to_attr="visible_keys",
            ),
        )
        .order_by(Coalesce(NullIf("street", Value("")), "client__street"), "serial_number")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _rows(user, list(page.object_list), visible_clients)
    shown = {c.pk: c for row in rows for c in row.clients}
    log_request_access(request, shown.values(), AccessAction.LIST)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": rows,
        "can_battery": sees_tasks(user),
    }
    return render_page(
        request,
        "locks/overview.html",
        "locks/partials/lock_rows.html",
        context,
        status=filter_status(request, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, digitalkey_pk: int) -> HttpResponse:
    user = request_user(request)
    key: DigitalKey = access.get_key(user, digitalkey_pk)
    if not access.can_revoke(user, key):
        raise PermissionDenied
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_key(user, key, note=form.cleaned_data["reason"])
        except services.KeyActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The key of %(holder)s is revoked. The lock refuses it from its next contact.")
                % {"holder": key.holder},
            )
            return redirect("locks:overview")
    clients = [key.client] if core_access.can_view_client(user, key.client) else []
    log_request_access(request, clients, AccessAction.DETAIL)
    return render(
        request,
        "locks/revoke.html",
        {"form": form, "key": key, "client": clients[0] if clients else None},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
