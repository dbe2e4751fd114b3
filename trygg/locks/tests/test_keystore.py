"""The key store: private signing keys in files only the server's user can read, made on
first use, never in the database, logs, reprs or API answers; rotation keeps the old
version verifying until its tokens expire."""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from trygg.lib import unlock
from trygg.locks import keystore, services
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import SigningKeyVersion
from trygg.locks.tokens import issue_tokens

from .conftest import DAY, Home

pytestmark = pytest.mark.django_db


def private_forms(key: unlock.SigningKey) -> list[str]:
    """Every way a private key could show up in text."""
    pem = key.to_pem().decode()
    body = "".join(pem.strip().splitlines()[1:-1])
    raw = key._private.private_bytes_raw()
    return [
        body,
        body[10:40],
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def test_the_first_key_is_made_on_first_use_readable_by_its_owner_alone(key_store: Path) -> None:
    assert not key_store.exists()
    key = keystore.signing_key(DAY)
    path = key_store / "unlock-1.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_store.stat().st_mode) == 0o700
    row = SigningKeyVersion.objects.get()
    assert (row.version, row.is_active, row.activated_at) == (1, True, DAY)
    assert bytes(row.public_key) == key.public_bytes()
    assert keystore.signing_key(DAY).public_bytes() == key.public_bytes()  # the same, reused
    assert list(key_store.iterdir()) == [path]  # no temporary file left behind


def test_the_private_key_is_in_no_log_repr_database_or_answer(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reconcile_keys(now=DAY)
    issued = issue_tokens(home.worker, now=DAY)
    first = keystore.signing_key(DAY)
    keystore.rotate(now=DAY + dt.timedelta(minutes=1))
    second = keystore.signing_key(DAY + dt.timedelta(minutes=1))
    contact = services.lock_contact(home.lock, now=DAY).as_wire()
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    texts = {
        "logs": caplog.text,
        "repr": repr(first) + repr(second) + repr(issued),
        "database": dump.getvalue(),
        "contact": str(contact),
    }
    for key in (first, second):
        for form in private_forms(key):
            for where, text in texts.items():
                assert form not in text, where
    assert "SigningKey(version=1)" in repr(first)


def test_the_token_text_is_not_kept(home: Home) -> None:
    reconcile_keys(now=DAY)
    issued = issue_tokens(home.worker, now=DAY)
    dump = io.StringIO()
    call_command("dumpdata", "locks", stdout=dump)
    for door in issued.doors:
        for token in door.tokens:
            assert token not in dump.getvalue()
            assert token[:40] not in dump.getvalue()


def test_rotation_makes_a_new_version_and_deletes_the_old_private_key(
    key_store: Path, django_capture_on_commit_callbacks: Any
) -> None:
    keystore.signing_key(DAY)
    with django_capture_on_commit_callbacks(execute=True):
        row = keystore.rotate(now=DAY + dt.timedelta(hours=1))
    assert row.version == 2
    old = SigningKeyVersion.objects.get(version=1)
    assert (old.is_active, old.retired_at, old.withdrawn_at) == (
        False,
        DAY + dt.timedelta(hours=1),
        None,
    )
    assert keystore.signing_key().version == 2
    assert sorted(p.name for p in key_store.iterdir()) == ["unlock-2.pem"]
    # Locks keep version 1 until no token it signed can be valid, then drop it.
    kept = DAY + dt.timedelta(hours=1, seconds=unlock.MAX_WINDOW + unlock.CLOCK_LEEWAY)
    assert set(keystore.public_keys_for_locks(kept - dt.timedelta(seconds=1))) == {1, 2}
    assert set(keystore.public_keys_for_locks(kept)) == {2}


def test_the_command_rotates_and_lists_without_showing_a_key(key_store: Path) -> None:
    keystore.signing_key(DAY)
    out = io.StringIO()
    call_command("locks", "rotate-key", stdout=out)
    call_command("locks", "keys", stdout=out)
    text = out.getvalue()
    assert "Version 2 signs from now" in text
    assert "v1 " in text
    assert "given to locks" in text
    assert "v2 " in text
    assert "(active)" in text
    pem = (key_store / "unlock-2.pem").read_text()
    assert "".join(pem.strip().splitlines()[1:-1])[:30] not in text


def test_a_key_file_others_can_read_is_refused(key_store: Path) -> None:
    keystore.signing_key(DAY)
    keystore.forget_cached_keys()
    (key_store / "unlock-1.pem").chmod(0o644)
    with pytest.raises(keystore.KeyStoreError, match="chmod 600"):
        keystore.signing_key(DAY)


def test_a_key_store_that_does_not_match_the_database_is_refused(key_store: Path) -> None:
    keystore.signing_key(DAY)
    keystore.forget_cached_keys()
    path = key_store / "unlock-1.pem"
    path.unlink()
    stranger = unlock.SigningKey.generate(1)
    path.write_bytes(stranger.to_pem())
    path.chmod(0o600)
    with pytest.raises(keystore.KeyStoreError, match="not the one the database knows"):
        keystore.signing_key(DAY)


def test_a_missing_key_file_says_how_to_recover(key_store: Path) -> None:
    keystore.signing_key(DAY)
    keystore.forget_cached_keys()
    (key_store / "unlock-1.pem").unlink()
    with pytest.raises(keystore.KeyStoreError, match="rotate-key --withdraw"):
        keystore.signing_key(DAY)


def test_the_token_api_answers_503_not_500_when_the_key_store_fails(
    home: Home, key_store: Path
) -> None:
    from .conftest import login

    reconcile_keys()
    keystore.signing_key()
    keystore.forget_cached_keys()
    (key_store / "unlock-1.pem").unlink()
    http: HttpClient = login(home.worker)
    response = http.get("/api/v1/locks/tokens")
    assert response.status_code == 503
    assert "unlock-1" not in response.json()["detail"]
