"""With end_missing, the provider's clients and services no longer sent are ended, not deleted."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.models import Client, GrantedService
from trygg.core.tests.factories import ClientFactory, GrantedServiceFactory, ProviderFactory
from trygg.integration.formats import parse_csv
from trygg.integration.services import ImportResult, import_records

from .helpers import TODAY, Setting, make_setting, standard_rows, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def _import(setting: Setting, rows: list[dict[str, str]], *, end_missing: bool) -> ImportResult:
    parsed = parse_csv(to_csv(rows))
    return import_records(
        setting.provider, parsed.records, end_missing=end_missing, today=TODAY, actor="test"
    )


def test_it_ends_clients_and_services_not_in_the_file(setting: Setting) -> None:
    rows = standard_rows(3)
    _import(setting, rows, end_missing=True)
    # K0002 is gone from the file; K0001 keeps only its first service.
    rows = [r for r in rows if r["client_id"] != "K0002" and r["service_id"] != "I0012"]

    result = _import(setting, rows, end_missing=True)

    assert result.clients.as_dict() == {"created": 0, "updated": 0, "unchanged": 3, "ended": 1}
    assert result.services.ended == 3
    assert Client.objects.get(case_system_id="K0002").end_date == TODAY
    assert set(
        GrantedService.objects.filter(valid_to=TODAY).values_list("case_system_id", flat=True)
    ) == {"I0012", "I0021", "I0022"}
    assert GrantedService.objects.count() == 6  # ended, not deleted

    again = _import(setting, rows, end_missing=True)
    assert (again.clients.ended, again.services.ended) == (0, 0)


def test_without_end_missing_nothing_is_ended(setting: Setting) -> None:
    rows = standard_rows(3)
    _import(setting, rows, end_missing=False)
    result = _import(setting, rows[:2], end_missing=False)
    assert (result.clients.ended, result.services.ended) == (0, 0)
    assert not Client.objects.filter(end_date__isnull=False).exists()


def test_already_ended_clients_stay_untouched(setting: Setting) -> None:
    ended = ClientFactory(provider=setting.provider, end_date=dt.date(2024, 6, 30))
    GrantedServiceFactory(client=ended, valid_to=dt.date(2024, 6, 30))
    later = ClientFactory(provider=setting.provider, end_date=dt.date(2030, 1, 1))

    result = _import(setting, standard_rows(1), end_missing=True)

    assert result.clients.ended == 1
    ended.refresh_from_db()
    later.refresh_from_db()
    assert ended.end_date == dt.date(2024, 6, 30)
    assert later.end_date == TODAY
    assert result.services.ended == 0


def test_a_client_not_yet_started_ends_on_its_first_day(setting: Setting) -> None:
    future = ClientFactory(provider=setting.provider, start_date=TODAY + dt.timedelta(days=10))
    service = GrantedServiceFactory(client=future, valid_from=future.start_date)

    _import(setting, standard_rows(1), end_missing=True)

    future.refresh_from_db()
    service.refresh_from_db()
    assert future.end_date == future.start_date
    assert service.valid_to == service.valid_from


def test_other_providers_clients_are_not_ended(setting: Setting) -> None:
    other = ClientFactory(provider=ProviderFactory(municipality=setting.provider.municipality))
    GrantedServiceFactory(client=other)
    result = _import(setting, standard_rows(1), end_missing=True)
    assert (result.clients.ended, result.services.ended) == (0, 0)
    other.refresh_from_db()
    assert other.end_date is None


def test_a_moved_clients_old_services_are_ended_by_the_old_provider(setting: Setting) -> None:
    old = make_setting(ProviderFactory(municipality=setting.provider.municipality))
    rows = standard_rows(1)
    _import(old, rows, end_missing=True)
    _import(setting, rows[:1], end_missing=True)  # K0001 moves, with one of its services

    result = _import(old, [], end_missing=True)

    assert result.clients.ended == 1  # K0002, still the old provider's
    assert result.services.ended == 1  # I0012, granted by the old provider
    assert GrantedService.objects.get(case_system_id="I0011").valid_to is None
