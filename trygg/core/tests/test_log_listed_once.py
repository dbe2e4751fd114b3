"""A list that reloads on every change logs each item's client once per session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Client, User
from trygg.core.services import log_listed_once

from .factories import ClientFactory, ProviderFactory, make_staff

pytestmark = pytest.mark.django_db


def _request(user: User, session: dict[str, Any]) -> Any:
    request = RequestFactory().get("/alarms/")
    request.user = user
    request.session = session  # type: ignore[assignment]
    return request


def test_it_logs_each_item_once_per_session_and_skips_items_without_a_client() -> None:
    provider = ProviderFactory()
    reader = make_staff(Role.TEAM_LEADER, provider=provider)
    astrid, bertil = ClientFactory(provider=provider), ClientFactory(provider=provider)
    session: dict[str, Any] = {}
    listed: list[tuple[int, Client | None]] = [(1, astrid), (2, astrid), (3, None)]

    log_listed_once(_request(reader, session), listed, AccessAction.LIST, session_key="seen")
    # Two items of one client: one row; the item without a client is not remembered.
    assert list(AccessLogEntry.objects.values_list("client_id", flat=True)) == [astrid.pk]
    assert session["seen"] == [1, 2]

    listed.append((4, bertil))
    log_listed_once(_request(reader, session), listed, AccessAction.LIST, session_key="seen")
    assert AccessLogEntry.objects.filter(client=astrid).count() == 1
    assert AccessLogEntry.objects.filter(client=bertil, action=AccessAction.LIST).count() == 1
    assert session["seen"] == [1, 2, 4]


def test_the_session_keeps_only_the_latest_ids() -> None:
    provider = ProviderFactory()
    reader = make_staff(Role.TEAM_LEADER, provider=provider)
    client = ClientFactory(provider=provider)
    session: dict[str, Any] = {"seen": [1, 2, 3]}
    log_listed_once(
        _request(reader, session),
        [(4, client), (5, client)],
        AccessAction.LIST,
        session_key="seen",
        keep=3,
    )
    assert session["seen"] == [3, 4, 5]
