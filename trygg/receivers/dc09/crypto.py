"""DC-09 encryption: AES-128/192/256 in CBC mode with an all-zero IV, per account key.

What is encrypted (DC-09-2013 §5.4.4-5.4.6): everything after the opening bracket of the
data, i.e. `pad|data][x-data]..._timestamp`; the CR is not. On the wire it is written as
upper-case hex after the bracket: `"*SIA-DCS"0001L0#1234[<hex>`.

The pad (§5.4.4.2-3) is pseudo-random bytes 0-255, new for every message, never `|`
(0x7C), `[` (0x5B) or `]` (0x5D), followed by one `|` that "shall appear in all encrypted
messages". Its length makes pad + `|` + data + timestamp a multiple of 16 bytes; when that
is already the case without pad, 16 pad bytes are added, so a pad is 1-16 bytes.

Reading, we take the first `|` as the end of the pad (the pad cannot contain one) and
accept any pad length, as units differ (pysiaalarm pads with '0' characters; Ajax hubs have
been seen sending 3-byte pads).
"""

from __future__ import annotations

import binascii
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import BadFormat, DecryptionFailed

KEY_SIZES = (16, 24, 32)  # AES-128, AES-192, AES-256
BLOCK = 16
IV = bytes(BLOCK)
FORBIDDEN_PAD = frozenset(b"|[]")
PAD_END = ord("|")


def key_from_hex(text: str) -> bytes:
    """An account key written as 32, 48 or 64 hex digits (how units and receivers show it)."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError("an encryption key is written in hex digits") from None
    check_key(key)
    return key


def check_key(key: bytes) -> None:
    if len(key) not in KEY_SIZES:
        raise ValueError(f"an AES key is 16, 24 or 32 bytes, not {len(key)}")


def pad_length(clear_length: int) -> int:
    """Pad bytes needed before `|` + `clear_length` bytes: 1-16."""
    return BLOCK - (clear_length + 1) % BLOCK


def random_pad(length: int) -> bytes:
    """`length` random bytes, none of them `|`, `[` or `]`."""
    out = bytearray()
    while len(out) < length:
        out.extend(b for b in secrets.token_bytes(length) if b not in FORBIDDEN_PAD)
    return bytes(out[:length])


def encrypt(key: bytes, clear: bytes, pad: bytes | None = None) -> str:
    """Upper-case hex of AES-CBC(pad + `|` + clear). `pad` is random unless given (tests)."""
    check_key(key)
    if pad is None:
        pad = random_pad(pad_length(len(clear)))
    elif FORBIDDEN_PAD.intersection(pad) or (len(pad) + 1 + len(clear)) % BLOCK:
        raise ValueError("a pad has no | [ ] and fills pad|data|timestamp to 16-byte blocks")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(IV)).encryptor()
    cipher = encryptor.update(pad + b"|" + clear) + encryptor.finalize()
    return cipher.hex().upper()


def decrypt(key: bytes, hex_text: str) -> tuple[bytes, bytes]:
    """(pad, clear) from the hex after the bracket of an encrypted message.

    Raises BadFormat when the text is not whole AES blocks in hex (answered NAK, as for a
    damaged frame), DecryptionFailed when it decrypts to something without a pad end
    (wrong key; answered DUH).
    """
    check_key(key)
    try:
        cipher = binascii.unhexlify(hex_text)
    except (binascii.Error, ValueError):
        raise BadFormat("encrypted data is not hex digits") from None
    if not cipher or len(cipher) % BLOCK:
        raise BadFormat(f"encrypted data is {len(cipher)} bytes, not whole 16-byte blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(IV)).decryptor()
    plain = decryptor.update(cipher) + decryptor.finalize()
    end = plain.find(PAD_END)
    if end < 0:
        raise DecryptionFailed("decrypted data has no '|' after the pad: wrong key?")
    return plain[:end], plain[end + 1 :]
