"""Device identifiers: the IMEI with its Luhn check digit. Pure functions, no models."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[\s./-]")


class InvalidIdentifier(ValueError):
    """The text is not a valid identifier; the message says what to do about it."""


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit for `payload`, doubling every second digit from the right.

    trygg.lib.national_ids has one for the 9-digit payload of a personnummer, where counting
    from the left gives the same digits; a 14-digit IMEI payload needs counting from the
    right.
    """
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def parse_imei(text: str) -> str:
    """The IMEI as 15 digits, or InvalidIdentifier. Spaces, dashes, dots and slashes as
    printed on boxes and labels are accepted."""
    digits = _SEPARATORS.sub("", text or "")
    if not digits.isdigit() or not digits.isascii():
        raise InvalidIdentifier(_("An IMEI has digits only. Dial *#06# on the phone to see it."))
    if len(digits) == 16:
        raise InvalidIdentifier(
            _("That looks like an IMEISV (16 digits). Enter the 15-digit IMEI instead.")
        )
    if len(digits) != 15:
        raise InvalidIdentifier(
            _("An IMEI has 15 digits; this has %(count)d. Dial *#06# on the phone to see it.")
            % {"count": len(digits)}
        )
    if luhn_check_digit(digits[:14]) != int(digits[14]):
        raise InvalidIdentifier(
            _("The IMEI's last digit does not match the others: check for a typing mistake.")
        )
    return digits


def make_imei(payload: str) -> str:
    """A valid IMEI from 14 digits: for demo data and tests."""
    if len(payload) != 14 or not payload.isdigit():
        raise ValueError("An IMEI payload has 14 digits")
    return payload + str(luhn_check_digit(payload))
