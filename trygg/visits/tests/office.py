"""Helpers for the back-office tests: visits registered through the sync (so they carry what
a phone's registration carries), the municipality's personas, logins that read English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.models import Client, User
from trygg.core.tests.factories import TEST_PASSWORD, make_staff
from trygg.visits.models import Visit
from trygg.visits.services import Registrar
from trygg.visits.sync import sync

from .conftest import NOON, Place


def register(
    place: Place,
    *,
    staff: User | None = None,
    client: Client | None = None,
    start: dt.datetime = NOON,
    minutes: int = 30,
    tasks: Sequence[str] = ("PERS",),
    received_at: dt.datetime | None = None,
    **fields: Any,
) -> Visit:
    """One visit registered from `staff`'s phone (the care worker's by default), synced an
    hour after it ended unless told otherwise."""
    staff = staff or place.worker
    client = client or place.client
    tag = {place.client.pk: place.tag, place.second_client.pk: place.second_tag}.get(client.pk)
    item = place.item(start=start, minutes=minutes, tasks=list(tasks), client_id=client.pk)
    if tag is not None:
        item["arrival"]["tag"] = item["departure"]["tag"] = tag.code
    else:
        item["arrival"] = {"at": item["arrival"]["at"], "by": "none"}
        item["departure"] = {"at": item["departure"]["at"], "by": "none"}
        item["no_tag_reason"] = "tag_missing"
    item.update(fields)
    received = received_at or start + dt.timedelta(minutes=minutes + 60)
    [answer] = sync(Registrar.for_user(staff), received, [item], received_at=received).items
    assert answer.status == "accepted", answer.reason
    return Visit.objects.get(pk=answer.visit_id)


def admin_of(place: Place) -> User:
    return make_staff(Role.MUNICIPAL_ADMIN, municipality=place.municipality)


def auditor_of(place: Place) -> User:
    return make_staff(Role.AUDITOR, municipality=place.municipality)


def login(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=TEST_PASSWORD)
    # The tests read English sources; Swedish is the default and would hide them.
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return http


def flags_of(visit: Visit, *, open_only: bool = True) -> set[str]:
    flags = visit.flags.all()
    if open_only:
        flags = flags.filter(cleared_at__isnull=True)
    return set(flags.values_list("kind", flat=True))


def south_leader(place: Place) -> User:
    """A team leader of the provider's other team."""
    return make_staff(Role.TEAM_LEADER, provider=place.provider, teams=[place.south])
