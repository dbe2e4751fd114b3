"""With debug off and no SECRET_KEY given, an installation makes its own secret key once,
keeps it where only its owner can read it, and uses the same one on every start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_KEY = "import trygg.settings as s; print(s.SECRET_KEY)"


def _key(data_dir: Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(DEBUG="false", DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), **env)
    done = subprocess.run(
        [sys.executable, "-c", PRINT_KEY],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_an_installation_makes_its_own_key_once_and_keeps_it_private(tmp_path: Path) -> None:
    first = _key(tmp_path)
    assert len(first) >= 50
    assert _key(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert _key(tmp_path / "other") != first  # another installation, another key


def test_a_given_key_wins(tmp_path: Path) -> None:
    assert _key(tmp_path, SECRET_KEY="from-the-environment") == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
