"""The receivers' boundary: they import no domain app, and get the ingest, the DC-09 keys
and the device lookup from whoever registered them (the alarms app)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from trygg.alarms import ingest as alarm_ingest
from trygg.receivers import registry
from trygg.receivers.committer import GroupCommitter

PACKAGE = Path(registry.__file__).parent
# What the receivers may import from Trygg: themselves, and the floors below them.
ALLOWED = ("trygg.receivers", "trygg.core", "trygg.lib")


def _trygg_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "trygg" or name.startswith("trygg.")}


def test_the_receivers_import_no_domain_app() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if "tests" not in p.relative_to(PACKAGE).parts]
    assert len(modules) > 10
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in modules
        for name in _trygg_imports(path)
        if not name.startswith(ALLOWED)
    }
    assert found == set()


def test_the_alarms_app_registers_what_the_receivers_need() -> None:
    assert registry.get_ingest() is alarm_ingest.ingest
    assert registry.get_key_loader() is alarm_ingest.dc09_keys
    assert registry.get_device_lookup() is alarm_ingest.api_device


def test_without_a_registered_ingest_a_committer_cannot_be_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "_ingest", None)
    with pytest.raises(registry.NotRegistered, match="No ingest"):
        GroupCommitter()
    monkeypatch.setattr(registry, "_key_loader", None)
    with pytest.raises(registry.NotRegistered, match="key loader"):
        registry.get_key_loader()
    monkeypatch.setattr(registry, "_device_lookup", None)
    with pytest.raises(registry.NotRegistered, match="device lookup"):
        registry.get_device_lookup()
