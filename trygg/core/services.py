"""Domain operations on people and clients: the access log first of all."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

from . import access
from .constants import AccessAction
from .models import AccessLogEntry, Client, User


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from; behind a trusted proxy, the forwarded one."""
    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def log_client_access(
    user: User,
    clients: Iterable[Client],
    action: AccessAction,
    *,
    path: str,
    remote_addr: str | None = None,
) -> list[AccessLogEntry]:
    """Record that `user` read these clients' personal data: one row per client.

    Flags are worked out now and stored with the row, so an auditor later sees what was
    true at the moment of reading: the reader's own record, a colleague's record (any other
    staff member's), or a client outside the teams the reader works in.
    """
    clients = list(clients)
    if not clients:
        return []
    scope = access.scope_for(user)
    national_ids = {c.national_id for c in clients}
    staff_ids = set(
        User.objects.filter(national_id__in=national_ids)
        .exclude(pk=user.pk)
        .values_list("national_id", flat=True)
    )
    providers = "," + ",".join(str(p) for p in sorted(scope.provider_ids)) + ","
    entries = [
        AccessLogEntry(
            user=user,
            client=client,
            action=action,
            path=path[:300],
            remote_addr=remote_addr,
            reader_provider_ids=providers if scope.provider_ids else "",
            own_record=bool(user.national_id) and user.national_id == client.national_id,
            colleague_record=client.national_id in staff_ids,
            outside_teams=access.is_outside_teams(scope, client),
        )
        for client in clients
    ]
    return AccessLogEntry.objects.bulk_create(entries)


def log_request_access(
    request: HttpRequest, clients: Iterable[Client], action: AccessAction
) -> list[AccessLogEntry]:
    """`log_client_access` for a page or API request."""
    user = request.user
    assert isinstance(user, User)
    return log_client_access(
        user, clients, action, path=request.get_full_path(), remote_addr=client_ip(request)
    )
