"""Domain operations on people and clients: the access log first of all (recording reads,
and the filters its review applies, on the page and in the API alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from trygg.lib.redact import redact

from . import access
from .constants import LIST_ACTIONS, AccessAction
from .models import (
    FLAGGED_FOR_REVIEW,
    AccessLogEntry,
    AccessLogReaderProvider,
    Client,
    Consent,
    User,
)

# Staff matched by name are passed to the log's query as ids up to this many.
_MAX_LISTED_IDS = 500


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
    shown: Mapping[str, Sequence[str]] | None = None,
) -> list[AccessLogEntry]:
    """Record that `user` read these clients' personal data: one row per client.

    Flags are worked out now and stored with the row, so an auditor later sees what was
    true at the moment of reading: the reader's own record, a colleague's record (any other
    staff member's), or a client outside the teams the reader works in. So are the client's
    municipality and the providers the reader works for, which decide who reviews the row.

    A name in a list (`LIST_ACTIONS`) is logged without flags: the review is for records
    opened, and a list of a team or a search's results would bury them. `shown` names what
    the page showed besides the client's particulars (the record's sections, core.record).
    National ids in `path` (a search's query) are masked: the log is read by people who
    need not know them.
    """
    clients = list(clients)
    if not clients:
        return []
    scope = access.scope_for(user)
    flagged = action not in LIST_ACTIONS
    staff_ids: set[str] = set()
    if flagged:
        staff_ids = set(
            User.objects.filter(national_id__in={c.national_id for c in clients})
            .exclude(pk=user.pk)
            .values_list("national_id", flat=True)
        )
    logged_path = redact(path)[:300]
    logged_shown = {key: list(entries) for key, entries in shown.items()} if shown else None
    entries = [
        AccessLogEntry(
            user=user,
            client=client,
            municipality_id=client.municipality_id,
            action=action,
            path=logged_path,
            remote_addr=remote_addr,
            own_record=flagged
            and bool(user.national_id)
            and user.national_id == client.national_id,
            colleague_record=flagged and client.national_id in staff_ids,
            outside_teams=flagged and access.is_outside_teams(scope, client),
            shown=logged_shown,
        )
        for client in clients
    ]
    # The reader's providers go with each row, so that their managers find the read. No
    # savepoint: a failed write of the log fails the request's transaction, if there is one.
    with transaction.atomic(savepoint=False):
        entries = AccessLogEntry.objects.bulk_create(entries)
        AccessLogReaderProvider.objects.bulk_create(
            AccessLogReaderProvider(entry=entry, provider_id=provider_id)
            for entry in entries
            for provider_id in sorted(scope.provider_ids)
        )
    return entries


def loggable_path(request: HttpRequest) -> str:
    """The request's path and query as the access log keeps them: a national id searched
    for is masked ("q=[id]"), the rest of the query kept as typed (not percent-encoded), so
    an auditor reads what was searched and how."""
    if not request.GET:
        return request.path
    query = "&".join(
        f"{key}={redact(value)}" for key, values in request.GET.lists() for value in values
    )
    return f"{request.path}?{query}"


def log_request_access(
    request: HttpRequest,
    clients: Iterable[Client],
    action: AccessAction,
    *,
    shown: Mapping[str, Sequence[str]] | None = None,
) -> list[AccessLogEntry]:
    """`log_client_access` for a page or API request."""
    user = request.user
    assert isinstance(user, User)
    return log_client_access(
        user,
        clients,
        action,
        path=loggable_path(request),
        remote_addr=client_ip(request),
        shown=shown,
    )


def log_listed_once(
    request: HttpRequest,
    listed: Iterable[tuple[int, Client | None]],
    action: AccessAction,
    *,
    session_key: str,
    keep: int = 500,
) -> None:
    """Log the clients of the items a list shows, once per item and person's session.

    For a list that reloads on every change (the alarm queue): one read per item is what
    the log needs, not one per reload. `listed` pairs each item's id with its client (None
    for an item without one); the ids already logged are kept in the session under
    `session_key`, the latest `keep` of them."""
    seen: list[int] = request.session.get(session_key, [])
    known = set(seen)
    new = [(pk, client) for pk, client in listed if client is not None and pk not in known]
    if not new:
        return
    clients: dict[int, Client] = {}
    for _pk, client in new:
        assert client is not None
        clients.setdefault(client.pk, client)
    log_request_access(request, clients.values(), action)
    request.session[session_key] = (seen + [pk for pk, _client in new])[-keep:]


def filter_access_log(
    queryset: QuerySet[AccessLogEntry], data: dict[str, Any], zone: dt.tzinfo
) -> QuerySet[AccessLogEntry]:
    """Apply the review's filters (the page's form, the API's query): staff and client by
    name, a period, what was read, a flag. Dates are whole days in `zone` (the reviewer's
    municipality's)."""
    if data.get("staff"):
        readers = User.objects.all()
        for word in data["staff"].split():
            readers = readers.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__iexact=word)
            )
        # The matching staff's ids as values, not a join or subquery: the planner can then
        # count their reads and take the (user, at) index. Guessing at a LIKE instead, it
        # walks the whole log newest first looking for them.
        reader_ids = list(readers.values_list("pk", flat=True)[: _MAX_LISTED_IDS + 1])
        if len(reader_ids) > _MAX_LISTED_IDS:
            queryset = queryset.filter(user__in=readers.values("pk"))
        else:
            queryset = queryset.filter(user_id__in=reader_ids)
    if data.get("client"):
        queryset = queryset.filter(client__in=Client.objects.search(data["client"]))
    if data.get("date_from"):
        start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone)
        queryset = queryset.filter(at__gte=start)
    if data.get("date_to"):
        end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        queryset = queryset.filter(at__lt=end)
    if data.get("action"):
        queryset = queryset.filter(action=data["action"])
    # Every flag selects records opened, never names in a list (FLAGGED_FOR_REVIEW).
    flagged = data.get("flagged")
    if flagged == "any":
        queryset = queryset.filter(FLAGGED_FOR_REVIEW)
    elif flagged == "own":
        queryset = queryset.filter(FLAGGED_FOR_REVIEW, own_record=True)
    elif flagged == "colleague":
        queryset = queryset.filter(FLAGGED_FOR_REVIEW, colleague_record=True)
    elif flagged == "outside":
        queryset = queryset.filter(FLAGGED_FOR_REVIEW, outside_teams=True)
    return queryset


def record_consent(
    actor: User,
    client: Client,
    *,
    technology: str,
    given_by: str,
    relation: str,
    given_on: dt.date,
    review_on: dt.date | None = None,
    note: str = "",
) -> Consent:
    """Record a consent to a welfare technology. Anyone living with the client who is
    affected (a camera sees the whole room) gives their own consent, as a row of its own."""
    if not access.can_manage_consents(actor, client):
        raise PermissionError("You may not record consents for this client.")
    if review_on is not None and review_on < given_on:
        raise ValueError(_("The review date is before the date the consent was given."))
    return Consent.objects.create(
        client=client,
        technology=technology,
        given_by=given_by.strip(),
        relation=relation,
        given_on=given_on,
        review_on=review_on,
        note=note.strip(),
    )


def withdraw_consent(actor: User, consent: Consent, *, on: dt.date) -> bool:
    """Mark a consent withdrawn from `on`. False when it was already withdrawn."""
    if not access.can_manage_consents(actor, consent.client):
        raise PermissionError("You may not change consents for this client.")
    if on < consent.given_on:
        raise ValueError(_("A consent cannot be withdrawn before it was given."))
    # Conditional update: two people withdrawing at once record one date, the first.
    changed = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=on
    )
    return changed == 1
