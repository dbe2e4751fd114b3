"""Test-wide fixtures and the rule that, under CI=true, a skipped test fails the run."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        if reporter:
            reporter.write_line(
                f"CI=true: {len(skipped)} test(s) skipped; a skip is a failure here.", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
