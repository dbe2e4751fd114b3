"""Fixtures for the core tests: a fast password hasher and the two-provider world."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from .world import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # PBKDF2 at full strength costs ~0.3 s per user made; tests make dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def world(
    django_db_setup: None,
    django_db_blocker: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """Built once per test module inside a transaction that is rolled back at its end;
    each test runs in a savepoint of its own inside it. Order attachments and unlock signing
    keys are written to folders of the module's own."""
    media = tmp_path_factory.mktemp("media")
    keys = tmp_path_factory.mktemp("keys")
    with (
        override_settings(MEDIA_ROOT=str(media), UNLOCK_KEY_DIR=keys / "unlock"),
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)
