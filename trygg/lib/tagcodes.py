"""The codes Trygg writes on NFC tags and prints on them (text and QR): eight characters of
Crockford's base 32 in two groups, `7K3M-Q9XB`, the last a Luhn mod 32 check character.

Crockford's alphabet has no I, L, O or U, so a code typed from a worn label can be read back
however it was misread (`i`, `l` -> 1, `o` -> 0, any case, any dashes or spaces), and the
check character catches every single mistyped character and every swap of two neighbours.
The tag itself carries the code in an NDEF URI record, `<site>/t/<code>`, so a phone without
the app still lands on the right page; `parse` accepts that link as well as the bare code.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_LINK = re.compile(r"/t/([0-9A-Za-z-]+)/?(?:[?#].*)?$")
LENGTH = 8


class InvalidTagCode(ValueError):
    """Not a tag code: the message says why, for the person who typed it."""


def check_character(body: str) -> str:
    """The Luhn mod 32 check character for `body` (characters of ALPHABET)."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def generate() -> str:
    """A new random code, formatted for print."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return format_code(body + check_character(body))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def parse(text: str) -> str:
    """The code in `text` (typed, scanned from the QR code or read from the tag's link),
    normalised to its printed form; InvalidTagCode if it is not one."""
    text = text.strip()
    link = _LINK.search(text)
    if link:
        text = link.group(1)
    compact = re.sub(r"[\s-]", "", text).upper().translate(_READ_AS)
    if len(compact) != LENGTH:
        raise InvalidTagCode(f"A tag code has {LENGTH} characters, like 7K3M-Q9XB.")
    unknown = sorted({char for char in compact if char not in _VALUE})
    if unknown:
        raise InvalidTagCode(f"A tag code has no {', '.join(unknown)}.")
    if check_character(compact[:-1]) != compact[-1]:
        raise InvalidTagCode("This is not a tag code: check each character again.")
    return format_code(compact)


UID_RE = re.compile(r"^[0-9A-F]{8,20}$")


def parse_uid(text: str) -> str:
    """A tag chip's serial number as Web NFC gives it (`04:a2:3b:...`), normalised to hex
    digits without separators; ValueError if it is not one."""
    compact = re.sub(r"[\s:-]", "", text).upper()
    if not UID_RE.fullmatch(compact) or len(compact) % 2:
        raise ValueError("A tag's chip number is 4 to 10 bytes in hexadecimal.")
    return compact
