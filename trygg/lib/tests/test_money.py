from decimal import Decimal

import pytest

from trygg.lib.money import NBSP, format_money


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (Decimal("9800.00"), "SEK", "sv", "9 800 kr"),
        (Decimal("9800.50"), "SEK", "sv", "9 800,50 kr"),
        (Decimal("24100"), "SEK", "sv", "24 100 kr"),
        (Decimal("1234567.8"), "SEK", "sv", "1 234 567,80 kr"),
        (Decimal("0"), "SEK", "sv", "0 kr"),
        (Decimal("950"), "SEK", "sv", "950 kr"),
        (Decimal("10000"), "NOK", "nb", "10 000 kr"),
        (Decimal("10000"), "NOK", "sv", "10 000 NOK"),
        (Decimal("9800"), "SEK", "nb", "9 800 SEK"),
        (Decimal("9800"), "SEK", "en", "SEK 9,800"),
        (Decimal("9800.5"), "NOK", "en", "NOK 9,800.50"),
        (Decimal("-1500"), "SEK", "sv", "-1 500 kr"),
        ("3500", "SEK", "sv-se", "3 500 kr"),
    ],
)
def test_it_writes_money_the_readers_way(
    amount: Decimal, currency: str, language: str, expected: str
) -> None:
    assert plain(format_money(amount, currency, language)) == expected


def test_an_amount_never_breaks_over_two_lines() -> None:
    text = format_money(Decimal("9800"), "SEK", "sv")
    assert " " not in text
    assert text == f"9{NBSP}800{NBSP}kr"


def test_it_rounds_ore_half_up() -> None:
    assert plain(format_money(Decimal("10.005"), "SEK", "sv")) == "10,01 kr"
