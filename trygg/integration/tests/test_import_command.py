"""`trygg import FILE --provider ORGNR`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from trygg.core.models import Client
from trygg.core.tests.factories import ProviderFactory
from trygg.integration.constants import ImportSource
from trygg.integration.models import ImportRun

from .helpers import SECRET_DOOR_CODE, Setting, make_setting, standard_rows, to_csv, to_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> Setting:
    return make_setting()


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_csv_file(setting: Setting, tmp_path: Path) -> None:
    path = tmp_path / "brukare.csv"
    path.write_bytes(to_csv(standard_rows(3)))

    out, _err = run(str(path), "--provider", setting.provider.org_number.replace("-", ""))

    assert "Clients: 4 created, 0 updated, 0 unchanged, 0 ended." in out
    assert Client.objects.count() == 4
    import_run = ImportRun.objects.get()
    assert (import_run.source, import_run.file_name) == (ImportSource.COMMAND, "brukare.csv")
    assert import_run.actor_label.startswith("command line")

    out, _err = run(str(path), "--provider", setting.provider.org_number, "--end-missing")
    assert "Clients: 0 created, 0 updated, 4 unchanged, 0 ended." in out


def test_it_imports_a_json_file_with_its_own_provider(setting: Setting, tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    path.write_text(json.dumps(to_json(standard_rows(1), setting.provider)))
    out, _err = run(str(path), "--format", "json")
    assert "Clients: 2 created" in out


def test_it_prints_every_error_and_fails_when_the_file_is_rejected(
    setting: Setting, tmp_path: Path
) -> None:
    rows = standard_rows(2)
    rows[0]["team"] = rows[1]["team"] = "NOPE"
    rows[3]["granted_minutes"] = "lots"
    rows[4]["door_code"] = SECRET_DOOR_CODE * 9
    path = tmp_path / "brukare.csv"
    path.write_bytes(to_csv(rows))
    err = StringIO()

    with pytest.raises(CommandError, match="rejected with 3 error"):
        call_command("import", str(path), "--provider", setting.provider.org_number, stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 2: team: Unknown team code 'NOPE'")
    assert lines[1].startswith("row 5: granted_minutes:")
    assert lines[2].startswith("row 6: door_code:")
    assert SECRET_DOOR_CODE not in err.getvalue()
    assert Client.objects.count() == 0


def test_it_exits_non_zero_through_the_console_script(setting: Setting, tmp_path: Path) -> None:
    path = tmp_path / "brukare.csv"
    path.write_bytes(b"client_id;name\r\nK1;x\r\n")
    with pytest.raises(CommandError):
        run(str(path), "--provider", setting.provider.org_number)


def test_it_needs_a_known_provider(tmp_path: Path) -> None:
    path = tmp_path / "brukare.csv"
    path.write_bytes(to_csv(standard_rows(1)))
    with pytest.raises(CommandError, match="No provider"):
        run(str(path), "--provider", "556000-0001")
    with pytest.raises(CommandError, match="--provider"):
        run(str(path))


def test_it_asks_which_municipality_when_the_number_is_in_several(tmp_path: Path) -> None:
    first = ProviderFactory(org_number="556000-0001")
    ProviderFactory(org_number="556000-0001")
    path = tmp_path / "brukare.csv"
    path.write_bytes(to_csv(standard_rows(1)))
    make_setting(first)
    with pytest.raises(CommandError, match="--municipality"):
        run(str(path), "--provider", "5560000001")
    out, _err = run(
        str(path), "--provider", "5560000001", "--municipality", first.municipality.code
    )
    assert "Clients: 2 created" in out


def test_it_needs_a_format_it_can_tell(setting: Setting, tmp_path: Path) -> None:
    path = tmp_path / "brukare.txt"
    path.write_bytes(to_csv(standard_rows(1)))
    with pytest.raises(CommandError, match="--format"):
        run(str(path), "--provider", setting.provider.org_number)
