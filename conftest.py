"""Test-wide fixtures and the rule that, under CI=true, a skipped test fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.test import override_settings

_skipped: list[str] = []


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = db.get("HOST") or db.get("NAME")
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """PBKDF2 costs ~0.8 s a hash here, twice per login; tests check who may log in, not the
    hash's strength."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _event_bus() -> Iterator[None]:
    """Each test starts with a fresh event bus and leaves none behind: on PostgreSQL the
    bus holds a listening connection of its own, which must be closed before the test
    database is dropped."""
    from trygg.alarms import dispatch
    from trygg.core import events

    events.reset_bus()
    dispatch.forget_organisations()  # ids come back between tests: no shifts carried over
    yield
    events.reset_bus()


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    """Messages made outside a request (services, commands, forms built in a test) come in
    English, the source language, so a test can name the message it expects. Pages still
    choose their language as they do for users (cookie, preference, municipality's country),
    and tests of what Swedish and Norwegian users read say so explicitly."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _note_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    # Counted here rather than read back from the terminal reporter, so the rule holds with
    # any output options (-q, -p no:terminal, ...). An xfail is reported as "skipped" with
    # a wasxfail attribute: it is an expected failure, not a skip.
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _ci() or not _skipped:
        return
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line("")
        reporter.write_line(
            f"CI=true: {len(_skipped)} test(s) skipped; a skip is a failure here.", red=True
        )
