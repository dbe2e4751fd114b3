"""The example files in docs/ import as documented, and say the same thing in both forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from trygg.core.constants import ServiceCategory
from trygg.core.models import Client, GrantedService
from trygg.core.tests.factories import ProviderFactory, ServiceTypeFactory
from trygg.integration.formats import parse_csv, parse_json_bytes
from trygg.integration.services import import_records

from .helpers import TODAY, make_setting

pytestmark = pytest.mark.django_db

EXAMPLES = Path(settings.BASE_DIR) / "docs" / "examples"


def test_the_example_files_import_and_agree() -> None:
    setting = make_setting(ProviderFactory(org_number="212000-9994"))
    for code in ("NATT", "MAT"):
        ServiceTypeFactory(
            municipality=setting.provider.municipality, code=code, category=ServiceCategory.OTHER
        )
    from_csv = parse_csv((EXAMPLES / "case-system-import.csv").read_bytes())
    from_json = parse_json_bytes((EXAMPLES / "case-system-import.json").read_bytes())
    assert (from_csv.errors, from_json.errors) == ([], [])
    assert from_json.provider == setting.provider.org_number

    first = import_records(
        setting.provider, from_csv.records, end_missing=True, today=TODAY, actor="test"
    )
    assert first.ok, first.errors
    assert (Client.objects.count(), GrantedService.objects.count()) == (4, 6)

    second = import_records(
        setting.provider, from_json.records, end_missing=True, today=TODAY, actor="test"
    )
    assert second.ok, second.errors
    assert (second.clients.unchanged, second.services.unchanged) == (4, 6)
