"""Unlock tokens: what a staff phone hands a door lock, signed by the server with Ed25519 so
the lock can check it with no network at all (a cellar, a dead mobile mast).

A token says: this lock, this staff member's key, from then until then, once. Its 55 bytes
are signed by the server's signing key of a numbered version; the lock holds the public keys
(never a private one) and, from its last contact, the list of revoked keys. It accepts a
token only when

- the format is one it knows and the signature verifies under the public key of the
  token's version (so a forged or altered token fails),
- the token names this lock,
- the lock's clock is inside the window (with a little leeway for the lock's clock) and the
  window is no longer than the lock allows (a stolen phone's tokens die soon),
- the key is not on the revocation list,
- and this token's nonce has not opened the door before (a replay).

Layout, big-endian: format (1 byte) | key version (2) | lock id (16, a UUID) | holder (8,
the staff member) | key id (8, the digital key the token was issued under) | not before (4,
Unix seconds) | not after (4) | nonce (12) ‖ signature (64). Text form: URL-safe base64
without padding, 159 characters: fits an NFC record, a BLE write and a QR code.

The same `verify` serves the lock simulator, the tests and the benchmark: there is no
second implementation to drift apart from it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import secrets
import struct
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = 1
_LAYOUT = struct.Struct(">BH16sQQII12s")
PAYLOAD_BYTES = _LAYOUT.size  # 55
SIGNATURE_BYTES = 64
TOKEN_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES
# How far a lock's clock may be off the server's: a lock re-synchronises at each contact.
CLOCK_LEEWAY = 120
# The longest window a lock accepts by default: one long shift.
MAX_WINDOW = 14 * 3600


class Refusal(enum.StrEnum):
    """Why a lock kept the door shut. The values are what locks report in their events."""

    MALFORMED = "malformed"
    UNKNOWN_KEY_VERSION = "unknown_key_version"
    BAD_SIGNATURE = "bad_signature"
    WRONG_LOCK = "wrong_lock"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WINDOW_TOO_LONG = "window_too_long"
    REVOKED = "revoked"
    REPLAYED = "replayed"


@dataclass(frozen=True)
class Grant:
    """What a token grants: the fields the server signs."""

    key_version: int
    lock_id: uuid.UUID
    holder: int
    key_id: int
    not_before: int
    not_after: int
    nonce: bytes

    def pack(self) -> bytes:
        return _LAYOUT.pack(
            FORMAT,
            self.key_version,
            self.lock_id.bytes,
            self.holder,
            self.key_id,
            self.not_before,
            self.not_after,
            self.nonce,
        )


class SigningKey:
    """One version of the server's signing key. The private half stays in this object (and
    the key store it came from); `repr` never shows it."""

    def __init__(self, version: int, private: Ed25519PrivateKey) -> None:
        if not 0 < version < 2**16:
            raise ValueError("A key version is 1 to 65535.")
        self.version = version
        self._private = private

    def __repr__(self) -> str:
        return f"SigningKey(version={self.version})"

    @classmethod
    def generate(cls, version: int) -> SigningKey:
        return cls(version, Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, version: int, pem: bytes) -> SigningKey:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("Not an Ed25519 private key.")
        return cls(version, private)

    def to_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_bytes(self) -> bytes:
        """The raw 32-byte public key a lock is given."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def issue(
        self,
        *,
        lock_id: uuid.UUID,
        holder: int,
        key_id: int,
        not_before: int,
        not_after: int,
        nonce: bytes | None = None,
    ) -> str:
        """A signed token in its text form."""
        if not_after <= not_before:
            raise ValueError("A token's window ends after it begins.")
        grant = Grant(
            key_version=self.version,
            lock_id=lock_id,
            holder=holder,
            key_id=key_id,
            not_before=not_before,
            not_after=not_after,
            nonce=nonce if nonce is not None else secrets.token_bytes(12),
        )
        payload = grant.pack()
        return encode(payload + self._private.sign(payload))


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def read(token: str) -> Grant:
    """The grant a token claims, unverified (for the server's own records and for showing
    a person which door a token is for); ValueError if it is not a token."""
    try:
        raw = decode(token)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise ValueError("Not an unlock token.") from exc
    if len(raw) != TOKEN_BYTES:
        raise ValueError("Not an unlock token.")
    fmt, version, lock, holder, key_id, not_before, not_after, nonce = _LAYOUT.unpack(
        raw[:PAYLOAD_BYTES]
    )
    if fmt != FORMAT:
        raise ValueError("Not an unlock token of a format this lock knows.")
    return Grant(version, uuid.UUID(bytes=lock), holder, key_id, not_before, not_after, nonce)


@dataclass
class LockState:
    """What a lock knows: who it is, the server's public keys by version, the revoked keys
    from its last contact, and the nonces it has let in (kept until their tokens expire,
    which bounds the memory a lock needs)."""

    lock_id: uuid.UUID
    public_keys: dict[int, bytes]
    revoked: set[int] = field(default_factory=set)
    revocation_serial: int = 0
    max_window: int = MAX_WINDOW
    seen: dict[bytes, int] = field(default_factory=dict)
    _verifiers: dict[int, Ed25519PublicKey] = field(default_factory=dict, repr=False)

    def receive_revocations(self, serial: int, revoked_key_ids: Iterable[int]) -> bool:
        """Take the revocation list from a contact with the server; an older list than the
        one the lock holds is ignored (contacts can arrive out of order)."""
        if serial < self.revocation_serial:
            return False
        self.revocation_serial = serial
        self.revoked = set(revoked_key_ids)
        return True

    def receive_keys(self, public_keys: Mapping[int, bytes]) -> None:
        """Take the server's public keys (a rotation adds one; an old one is dropped once
        no token it signed can still be valid)."""
        self.public_keys = dict(public_keys)
        self._verifiers.clear()

    def verifier(self, version: int) -> Ed25519PublicKey | None:
        known = self._verifiers.get(version)
        if known is None:
            raw = self.public_keys.get(version)
            if raw is None:
                return None
            known = self._verifiers[version] = Ed25519PublicKey.from_public_bytes(raw)
        return known

    def forget_expired(self, now: int) -> None:
        self.seen = {
            nonce: until for nonce, until in self.seen.items() if until + CLOCK_LEEWAY >= now
        }


@dataclass(frozen=True)
class Verdict:
    opened: bool
    refusal: Refusal | None = None
    grant: Grant | None = None


def verify(token: str, lock: LockState, now: int) -> Verdict:
    """Whether `lock`, whose clock reads `now` (Unix seconds), opens for `token`. An
    accepted token's nonce is remembered, so the same token never opens the door twice."""
    try:
        raw = decode(token)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return Verdict(False, Refusal.MALFORMED)
    if len(raw) != TOKEN_BYTES or raw[0] != FORMAT:
        return Verdict(False, Refusal.MALFORMED)
    payload, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    _fmt, version, lock_bytes, holder, key_id, not_before, not_after, nonce = _LAYOUT.unpack(
        payload
    )
    verifier = lock.verifier(version)
    if verifier is None:
        return Verdict(False, Refusal.UNKNOWN_KEY_VERSION)
    try:
        verifier.verify(signature, payload)
    except InvalidSignature:
        return Verdict(False, Refusal.BAD_SIGNATURE)
    grant = Grant(
        version, uuid.UUID(bytes=lock_bytes), holder, key_id, not_before, not_after, nonce
    )
    if grant.lock_id != lock.lock_id:
        return Verdict(False, Refusal.WRONG_LOCK, grant)
    if not_after - not_before > lock.max_window:
        return Verdict(False, Refusal.WINDOW_TOO_LONG, grant)
    if now + CLOCK_LEEWAY < not_before:
        return Verdict(False, Refusal.NOT_YET_VALID, grant)
    if now - CLOCK_LEEWAY > not_after:
        return Verdict(False, Refusal.EXPIRED, grant)
    if key_id in lock.revoked:
        return Verdict(False, Refusal.REVOKED, grant)
    if nonce in lock.seen:
        return Verdict(False, Refusal.REPLAYED, grant)
    lock.seen[nonce] = not_after
    return Verdict(True, None, grant)
