"""One import service and one permission rule for the page, the API and the command line."""

from __future__ import annotations

import json

import pytest

from trygg.core.constants import Role
from trygg.core.models import Client
from trygg.core.tests.factories import ProviderFactory, make_staff
from trygg.core.tokens import create_token
from trygg.integration import access
from trygg.integration.constants import ImportSource
from trygg.integration.models import ImportRun
from trygg.integration.services import ImportRefused, import_file, provider_named_for

from .helpers import Setting, make_setting, standard_rows, to_csv, to_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def test_a_provider_manager_imports_their_own_providers_file(setting: Setting) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=setting.provider)
    result = import_file(
        to_csv(standard_rows(2)),
        file_format="csv",
        provider=setting.provider,
        actor=manager,
        source=ImportSource.UPLOAD,
        file_name="list.csv",
    )
    assert result.ok, result.errors
    assert result.provider == setting.provider
    assert Client.objects.filter(provider=setting.provider).count() == 3
    assert ImportRun.objects.get().file_name == "list.csv"


def test_nobody_imports_for_another_provider_and_nothing_is_written(setting: Setting) -> None:
    other = ProviderFactory(municipality=setting.provider.municipality)
    manager = make_staff(Role.PROVIDER_MANAGER, provider=other)
    with pytest.raises(ImportRefused) as refused:
        import_file(
            to_csv(standard_rows(2)),
            file_format="csv",
            provider=setting.provider,
            actor=manager,
            source=ImportSource.UPLOAD,
        )
    assert refused.value.forbidden
    assert not Client.objects.exists()
    assert not ImportRun.objects.exists()


def test_a_care_worker_may_not_import_at_all(setting: Setting) -> None:
    worker = make_staff(Role.CARE_WORKER, provider=setting.provider)
    assert not access.can_import(worker)
    assert access.import_refusal(worker, setting.provider) is not None
    with pytest.raises(ImportRefused):
        import_file(
            b"",
            file_format="csv",
            provider=setting.provider,
            actor=worker,
            source=ImportSource.UPLOAD,
        )


def test_the_rule_for_tokens_and_the_command_line(setting: Setting) -> None:
    municipality = setting.provider.municipality
    other = ProviderFactory(municipality=municipality)
    own, _plain = create_token("own", municipality, provider=setting.provider)
    wide, _plain = create_token("wide", municipality)
    device, _plain = create_token("unit", municipality, scopes="device")
    assert access.import_refusal(own, setting.provider) is None
    assert access.import_refusal(own, other) == ("This token may import only for its own provider.")
    assert access.import_refusal(wide, other) is None
    assert access.import_refusal(device) == "This token does not have the import scope."
    assert access.import_refusal("command line (alice)", other) is None


def test_a_json_document_names_its_provider_in_the_tokens_municipality(setting: Setting) -> None:
    token, _plain = create_token("wide", setting.provider.municipality)
    document = to_json(standard_rows(1), setting.provider, end_missing=True)
    result = import_file(
        json.dumps(document).encode(),
        file_format="json",
        provider=provider_named_for(token),
        actor=token,
        source=ImportSource.API,
    )
    assert result.ok, result.errors
    assert result.provider == setting.provider
    assert ImportRun.objects.get().end_missing  # the document's own flag counts


def test_a_document_naming_an_unknown_provider_is_refused(setting: Setting) -> None:
    token, _plain = create_token("wide", setting.provider.municipality)
    document = to_json(standard_rows(1), setting.provider)
    document["provider"] = "999999-9999"
    with pytest.raises(ImportRefused) as refused:
        import_file(
            json.dumps(document).encode(),
            file_format="json",
            provider=provider_named_for(token),
            actor=token,
            source=ImportSource.API,
        )
    assert not refused.value.forbidden
    assert [e.field for e in refused.value.errors] == ["provider"]
