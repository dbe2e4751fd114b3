"""Tag codes survive being typed from a worn label, and a mistyped one is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trygg.lib import tagcodes


def test_a_new_code_reads_back_however_it_is_typed() -> None:
    code = tagcodes.generate()
    assert len(code) == 9
    assert code[4] == "-"
    compact = code.replace("-", "")
    sloppy = compact.lower().replace("1", "l").replace("0", "o")
    assert tagcodes.parse(f" {sloppy[:3]} {sloppy[3:]} ") == code
    assert tagcodes.parse(f"https://trygg.example.se/t/{code}") == code
    assert tagcodes.parse(f"https://trygg.example.se/t/{compact}/?from=nfc") == code


@given(st.text(alphabet=tagcodes.ALPHABET, min_size=7, max_size=7), st.data())
def test_every_single_mistyped_character_is_caught(body: str, data: st.DataObject) -> None:
    code = body + tagcodes.check_character(body)
    position = data.draw(st.integers(0, 7))
    wrong = data.draw(st.sampled_from([c for c in tagcodes.ALPHABET if c != code[position]]))
    typo = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(tagcodes.InvalidTagCode):
        tagcodes.parse(typo)


@given(st.text(alphabet=tagcodes.ALPHABET, min_size=7, max_size=7), st.integers(0, 6))
def test_every_swap_of_two_neighbours_is_caught(body: str, position: int) -> None:
    code = body + tagcodes.check_character(body)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped != code:
        with pytest.raises(tagcodes.InvalidTagCode):
            tagcodes.parse(swapped)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7K3M-Q9X", "A tag code has 8 characters, like 7K3M-Q9XB."),
        ("7K3M-Q9XU", "A tag code has no U."),
        ("", "A tag code has 8 characters, like 7K3M-Q9XB."),
    ],
)
def test_what_is_not_a_code_says_why(text: str, message: str) -> None:
    with pytest.raises(tagcodes.InvalidTagCode, match=message):
        tagcodes.parse(text)


def test_a_chip_number_as_web_nfc_gives_it_is_kept_as_hex() -> None:
    assert tagcodes.parse_uid("04:a2:3b:1c:5d:80:7f") == "04A23B1C5D807F"
    for bad in ("04:a2", "zz:zz:zz:zz", "04a23"):
        with pytest.raises(ValueError, match="hexadecimal"):
            tagcodes.parse_uid(bad)
