"""The municipal clock: a municipality's day begins at its own midnight, not the server's.

Stockholm and Oslo keep the same offset all year, so the boundary that matters is a server
kept in another zone (UTC here): at 23:30 UTC on 1 March it is already 2 March in Oslo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from trygg.core import access, clock
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Municipality

from .factories import (
    ClientFactory,
    MunicipalityFactory,
    ProviderFactory,
    UserFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db

# 00:30 on Monday 2 March 2026 in Oslo; still Sunday 1 March in UTC.
JUST_AFTER_OSLO_MIDNIGHT = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
OSLO_DAY = dt.date(2026, 3, 2)
UTC_DAY = dt.date(2026, 3, 1)


@pytest.fixture
def frozen(
    settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dt.datetime], None]:
    """A server kept in UTC, with "now" fixed."""
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]

    def _freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return _freeze


@pytest.fixture
def oslo() -> Municipality:
    return MunicipalityFactory(name="Oslo", country="NO", time_zone="Europe/Oslo")


def logged_in(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.force_login(user)
    return http


def test_a_municipality_s_today_is_its_own_not_the_server_s(
    frozen: Callable[[dt.datetime], None], oslo: Municipality
) -> None:
    frozen(JUST_AFTER_OSLO_MIDNIGHT)
    assert timezone.localdate() == UTC_DAY  # the server's
    assert oslo.today() == OSLO_DAY
    assert oslo.localtime().replace(tzinfo=None) == dt.datetime(2026, 3, 2, 0, 30)
    assert oslo.local_date(JUST_AFTER_OSLO_MIDNIGHT) == OSLO_DAY
    assert oslo.local_date(JUST_AFTER_OSLO_MIDNIGHT - dt.timedelta(hours=1)) == UTC_DAY


def test_a_person_s_pages_keep_their_municipality_s_clock(
    frozen: Callable[[dt.datetime], None], oslo: Municipality
) -> None:
    frozen(JUST_AFTER_OSLO_MIDNIGHT)
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory(municipality=oslo))
    assert clock.home_municipality(worker) == oslo
    assert clock.today_for(worker) == OSLO_DAY


def test_someone_with_no_role_anywhere_keeps_the_installation_s_clock(
    frozen: Callable[[dt.datetime], None],
) -> None:
    frozen(JUST_AFTER_OSLO_MIDNIGHT)
    nobody = UserFactory()
    assert clock.home_municipality(nobody) is None
    assert clock.today_for(nobody) == UTC_DAY


def test_the_first_municipality_by_name_keeps_the_clock(oslo: Municipality) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=ProviderFactory(municipality=oslo))
    assert clock.home_municipality(worker) == oslo
    arboga = MunicipalityFactory(name="Arboga")
    worker.role_assignments.create(role=Role.AUDITOR, municipality=arboga)
    access.forget_scope(worker)
    assert clock.home_municipality(worker) == arboga


def test_a_client_starting_today_in_oslo_is_listed_as_active(
    frozen: Callable[[dt.datetime], None], oslo: Municipality
) -> None:
    provider = ProviderFactory(municipality=oslo)
    starting = ClientFactory(provider=provider, start_date=OSLO_DAY, last_name="Startar")
    worker = make_staff(Role.PROVIDER_MANAGER, provider=provider)
    frozen(JUST_AFTER_OSLO_MIDNIGHT)
    response = logged_in(worker).get("/clients/")
    assert response.context["today"] == OSLO_DAY
    assert starting in response.context["page"].object_list


def test_the_access_log_s_days_are_the_reviewer_s_municipality_s(
    frozen: Callable[[dt.datetime], None], oslo: Municipality
) -> None:
    provider = ProviderFactory(municipality=oslo)
    client = ClientFactory(provider=provider)
    auditor = make_staff(Role.AUDITOR, municipality=oslo)
    reader = make_staff(Role.CARE_WORKER, provider=provider)
    read = AccessLogEntry.objects.create(
        at=JUST_AFTER_OSLO_MIDNIGHT,
        user=reader,
        client=client,
        action=AccessAction.DETAIL,
        path="/clients/1/",
        municipality=oslo,
    )
    frozen(JUST_AFTER_OSLO_MIDNIGHT + dt.timedelta(hours=1))
    day = OSLO_DAY.isoformat()
    response = logged_in(auditor).get(f"/audit/access-log/?date_from={day}&date_to={day}")
    assert response.status_code == 200
    assert [entry.pk for entry in response.context["page"].object_list] == [read.pk]
    previous = UTC_DAY.isoformat()
    response = logged_in(auditor).get(f"/audit/access-log/?date_from={previous}&date_to={previous}")
    assert list(response.context["page"].object_list) == []
