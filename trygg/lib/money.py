"""Money as people read it: "9 800 kr" in Swedish and Norwegian, "SEK 9,800" in English.

Swedish and Norwegian write the amount first, group thousands with a space, use a decimal
comma and call their own currency "kr" (kronor, kroner). A currency that is not the
reader's own keeps its code so that Swedish and Norwegian kronor are never confused:
a Swede reads NOK 9 800 as "9 800 NOK". Spaces are no-break spaces, so an amount never
breaks over two lines.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"

# The currency each interface language calls "kr".
_OWN_CURRENCY = {"sv": "SEK", "nb": "NOK", "nn": "NOK", "no": "NOK", "da": "DKK"}


def format_money(amount: Decimal | int | str, currency: str, language: str) -> str:
    """`amount` of `currency` (ISO 4217) for a reader of `language`: öre only when there
    are any ("9 800 kr", "9 800,50 kr")."""
    value = Decimal(amount)
    whole = value == value.to_integral_value()
    places = Decimal(1) if whole else Decimal("0.01")
    value = value.quantize(places, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    integer, _dot, fraction = f"{abs(value):f}".partition(".")
    lang = (language or "sv").split("-")[0].lower()
    if lang == "en":
        number = _group(integer, ",") + (f".{fraction}" if fraction else "")
        return f"{sign}{currency}{NBSP}{number}"
    number = _group(integer, NBSP) + (f",{fraction}" if fraction else "")
    unit = "kr" if _OWN_CURRENCY.get(lang) == currency else currency
    return f"{sign}{number}{NBSP}{unit}"


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)
