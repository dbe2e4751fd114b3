"""The house keeps its shape (docs/house.md): measured from the code's imports by
scripts/house.py, so a new app that imports upwards or a module that grows past its size
fails here, not in a reviewer's head."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _house() -> ModuleType:
    spec = importlib.util.spec_from_file_location("house", ROOT / "scripts" / "house.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("house", module)
    spec.loader.exec_module(module)
    return module


house = _house()


def test_there_are_no_import_circles_not_even_type_only_ones() -> None:
    assert house.House.read().circles() == []


def test_lib_and_core_import_nothing_above_them() -> None:
    assert house.House.read().upward_imports() == []


def test_no_module_is_over_800_lines() -> None:
    assert house.House.read().long_modules() == []


def test_no_app_holds_over_a_fifth_of_the_lines() -> None:
    shares = dict(house.House.read().app_shares())
    assert shares, "no apps counted"
    assert {app: f"{share:.1%}" for app, share in shares.items() if share > 0.20} == {}


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path: Path) -> None:
    # A checker that finds nothing proves nothing: a tiny house with both faults.
    for name, text in {
        "trygg/__init__.py": "",
        "trygg/lib/__init__.py": "",
        "trygg/lib/a.py": "from trygg.core import b\n",
        "trygg/core/__init__.py": "",
        "trygg/core/b.py": "def f():\n    from trygg.lib import a\n    from trygg.shop import c\n",
        "trygg/shop/__init__.py": "",
        "trygg/shop/c.py": "",
        "bench/__init__.py": "",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    tiny = house.House.read(tmp_path)
    assert tiny.circles() == [["trygg.core.b", "trygg.lib.a"]]
    assert tiny.upward_imports() == [
        ("trygg.core.b", "trygg.shop.c"),
        ("trygg.lib.a", "trygg.core.b"),
    ]
