"""The server's key store for unlock signing keys: private keys live here and nowhere else.

One file per key version, `UNLOCK_KEY_DIR/unlock-<version>.pem` (PKCS#8 PEM), readable by
the server's user alone (mode 0600, in a 0700 folder). The database keeps each version's
public half and its dates (`SigningKeyVersion`), which is all a lock is given. The first
version is made the first time a token is issued or a lock makes contact.

Rotation (`rotate`, `trygg locks rotate-key`) makes a new version the one that signs; the
old one is retired and still given to locks until every token it can have signed has
expired (`SigningKeyVersion.verifies_until`), then dropped. A retired version never signs
again, so its private file is deleted once the rotation has committed. With `withdraw`
(a key believed leaked) locks drop the old version at their next contact instead.

No private key, or anything derived from it but the public key, is ever logged, put in
the database, returned by the API or written into demo fixtures; a key's `repr` shows
only its version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import stat
import threading
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from trygg.lib.unlock import SigningKey

from .models import RETIRED_KEY_KEPT, SigningKeyVersion

logger = logging.getLogger(__name__)

_cache: dict[tuple[str, int], SigningKey] = {}
_cache_lock = threading.Lock()


class KeyStoreError(Exception):
    """The key store cannot give the signing key; the message tells the operator what to do
    (never anything of the key itself)."""


def key_dir() -> Path:
    return Path(settings.UNLOCK_KEY_DIR)


def key_path(version: int) -> Path:
    return key_dir() / f"unlock-{version}.pem"


def fingerprint(public_key: bytes) -> str:
    """A short name for a public key, for logs and the operator's listing."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def _store(key: SigningKey) -> SigningKey:
    """Write a new version's file, whole or not at all: written under a temporary name and
    then linked into place, which fails if the version's file exists already (another
    process got there first; then that one's key is the version's)."""
    directory = key_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = key_path(key.version)
    temporary = directory / f".unlock-{key.version}.{secrets.token_hex(6)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(key.to_pem())
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, final)
        except FileExistsError:
            return _load(key.version)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return key


def _load(version: int) -> SigningKey:
    path = key_path(version)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise KeyStoreError(
            f"The key store ({key_dir()}) has no file for unlock key version {version}. "
            "Restore it from the server's backup, or rotate to a new version "
            "(trygg locks rotate-key --withdraw)."
        ) from exc
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise KeyStoreError(
            f"{path} can be read by others than its owner; make it readable by the "
            "server's user alone (chmod 600) and consider rotating the key."
        )
    try:
        return SigningKey.from_pem(version, path.read_bytes())
    except ValueError as exc:
        raise KeyStoreError(f"{path} is not an Ed25519 private key in PEM.") from exc


def _loaded(version: int, public_key: bytes) -> SigningKey:
    """The version's private key from its file (kept in memory after the first read),
    checked against the public key the database gave the locks."""
    cache_key = (str(key_dir()), version)
    with _cache_lock:
        key = _cache.get(cache_key)
        if key is None or key.public_bytes() != public_key:
            key = _load(version)
            if key.public_bytes() != public_key:
                raise KeyStoreError(
                    f"The key store's unlock key version {version} is not the one the "
                    "database knows (another server's key folder?). Point UNLOCK_KEY_DIR "
                    "at this installation's key store."
                )
            _cache[cache_key] = key
    return key


def forget_cached_keys() -> None:
    """Drop the keys held in memory (tests, and after files were replaced by hand)."""
    with _cache_lock:
        _cache.clear()


def _add_version(version: int, now: dt.datetime) -> SigningKeyVersion:
    path = key_path(version)
    # A file without a database row was left by an attempt that failed before its commit:
    # its public key was never given to anyone, so the version may take it.
    key = _load(version) if path.exists() else _store(SigningKey.generate(version))
    row = SigningKeyVersion.objects.create(
        version=version,
        public_key=key.public_bytes(),
        created_at=now,
        activated_at=now,
        is_active=True,
    )
    logger.info(
        "Unlock signing key version %s active (public key %s)",
        version,
        fingerprint(key.public_bytes()),
    )
    return row


def active_version(now: dt.datetime | None = None) -> SigningKeyVersion:
    """The version that signs new tokens; the first one is made on first use."""
    row = SigningKeyVersion.objects.filter(is_active=True).first()
    if row is not None:
        return row
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _add_version(_next_version(), now)
    except IntegrityError:  # another process made it at the same moment
        return SigningKeyVersion.objects.get(is_active=True)


def signing_key(now: dt.datetime | None = None) -> SigningKey:
    """The private key that signs new tokens, from the key store."""
    row = active_version(now)
    return _loaded(row.version, bytes(row.public_key))


def _next_version() -> int:
    highest = SigningKeyVersion.objects.aggregate(highest=Max("version"))["highest"]
    return (highest or 0) + 1


def rotate(*, now: dt.datetime | None = None, withdraw: bool = False) -> SigningKeyVersion:
    """Make a new version the one that signs. The old one is retired: locks keep verifying
    its tokens until they have expired, or, with `withdraw`, drop it at their next contact
    (its tokens stop opening doors; staff fetch new ones)."""
    now = now or timezone.now()
    with transaction.atomic():
        current = list(SigningKeyVersion.objects.select_for_update().filter(is_active=True))
        for old in current:
            SigningKeyVersion.objects.filter(pk=old.pk).update(
                is_active=False, retired_at=now, withdrawn_at=now if withdraw else None
            )
        row = _add_version(_next_version(), now)
        retired = [old.version for old in current]
        transaction.on_commit(lambda: _delete_private_files(retired))
    if retired:
        logger.info(
            "Unlock signing key rotated: version %s retired%s, version %s signs",
            ", ".join(str(v) for v in retired),
            " and withdrawn" if withdraw else "",
            row.version,
        )
    return row


def _delete_private_files(versions: list[int]) -> None:
    """A retired version never signs again: its private key has no reason to exist."""
    for version in versions:
        with contextlib.suppress(FileNotFoundError):
            key_path(version).unlink()
    with _cache_lock:
        for cache_key in [k for k in _cache if k[1] in versions]:
            del _cache[cache_key]


def public_keys_for_locks(now: dt.datetime | None = None) -> dict[int, bytes]:
    """What a lock is given at its contact: version -> raw public key, for the version that
    signs and every retired one whose tokens may still be valid."""
    now = now or timezone.now()
    active_version(now)
    earliest_retirement = now - RETIRED_KEY_KEPT
    rows = SigningKeyVersion.objects.filter(
        Q(is_active=True) | Q(retired_at__gt=earliest_retirement, withdrawn_at__isnull=True)
    )
    return {row.version: bytes(row.public_key) for row in rows}
