"""Swedish and Norwegian national ids and organisation numbers, parsed and checked."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trygg.lib.national_ids import (
    _NO_WEIGHTS_1,
    _NO_WEIGHTS_2,
    IdKind,
    InvalidNationalId,
    NationalId,
    _mod11,
    luhn_check_digit,
    make_norwegian,
    make_swedish,
    mask,
    parse_national_id,
    parse_org_number,
)

TODAY = dt.date(2026, 3, 10)


def se(text: str) -> NationalId:
    return parse_national_id(text, "SE", today=TODAY)


def no(text: str) -> NationalId:
    return parse_national_id(text, "NO", today=TODAY)


# Sweden ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["19121212-1212", "191212121212", "19121212 1212", " 191212121212 ", "121212+1212"],
)
def test_it_accepts_tolvan_tolvansson_in_every_written_form(text) -> None:
    parsed = se(text)
    assert parsed.canonical == "191212121212"
    assert parsed.kind == IdKind.PERSONNUMMER
    assert parsed.birth_date == dt.date(1912, 12, 12)
    assert parsed.country == "SE"


def test_a_short_form_with_a_dash_is_the_latest_birth_date_not_in_the_future() -> None:
    assert se("121212-1212").birth_date == dt.date(2012, 12, 12)
    assert se("121212-1212").canonical == "201212121212"


def test_a_short_form_of_someone_born_later_in_the_year_a_century_ago_is_accepted() -> None:
    # On 10 March 2026 a person born on 1 December 1926 is 99 and writes 261201-NNNN.
    number = make_swedish(dt.date(1926, 12, 1), 123)
    parsed = se(f"{number[2:8]}-{number[8:]}")
    assert parsed.birth_date == dt.date(1926, 12, 1)
    assert parsed.canonical == number


def test_a_plus_sign_means_a_hundred_or_older() -> None:
    number = make_swedish(dt.date(1925, 12, 1), 123)
    assert se(f"{number[2:8]}+{number[8:]}").birth_date == dt.date(1925, 12, 1)
    centenarian = make_swedish(dt.date(1926, 1, 5), 123)
    assert se(f"{centenarian[2:8]}+{centenarian[8:]}").birth_date == dt.date(1926, 1, 5)


def test_a_samordningsnummer_has_sixty_added_to_the_day() -> None:
    parsed = se("701063-2391")
    assert parsed.kind == IdKind.SAMORDNINGSNUMMER
    assert parsed.birth_date == dt.date(1970, 10, 3)
    assert parsed.canonical == "197010632391"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("19121212-1213", "check digit"),
        ("121212-1211", "check digit"),
        ("19121312-1212", "check digit"),
        ("1912121212", "check digit"),
        ("19121212-121", "form"),
        ("19121212/1212", "form"),
        ("abc", "form"),
        ("", "required"),
        ("   ", "required"),
    ],
)
def test_it_rejects_malformed_swedish_numbers_with_a_reason(text, message) -> None:
    with pytest.raises(InvalidNationalId, match=message):
        se(text)


def _swedish_with_fixed_check_digit(nine: str) -> str:
    """A number with a correct Luhn digit over an impossible date."""
    return f"19{nine[:6]}{nine[6:]}{luhn_check_digit(nine)}"


@pytest.mark.parametrize("nine", ["121312123", "120230123", "120200123", "120292123"])
def test_it_rejects_impossible_dates_even_with_a_good_check_digit(nine) -> None:
    with pytest.raises(InvalidNationalId, match="not a real date"):
        se(_swedish_with_fixed_check_digit(nine))


def test_it_rejects_a_birth_date_in_the_future() -> None:
    with pytest.raises(InvalidNationalId, match="future"):
        se(make_swedish(dt.date(2026, 3, 11), 1))
    assert se(make_swedish(TODAY, 1)).birth_date == TODAY


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(InvalidNationalId, match="Unknown country"):
        parse_national_id("19121212-1212", "DK")


# Norway ---------------------------------------------------------------------------------


def test_it_accepts_a_fodselsnummer_with_or_without_a_space() -> None:
    number = make_norwegian(dt.date(1985, 7, 15), 123)
    assert number == "15078512323"
    for text in (number, f"{number[:6]} {number[6:]}", f"{number[:6]}-{number[6:]}"):
        parsed = no(text)
        assert parsed.canonical == number
        assert parsed.kind == IdKind.FODSELSNUMMER
        assert parsed.birth_date == dt.date(1985, 7, 15)


def test_a_d_nummer_has_forty_added_to_the_day() -> None:
    number = make_norwegian(dt.date(2001, 2, 3), 512, d_number=True)
    assert number is not None
    parsed = no(number)
    assert parsed.kind == IdKind.D_NUMMER
    assert parsed.birth_date == dt.date(2001, 2, 3)


@pytest.mark.parametrize(
    ("birth", "individual"),
    [
        (dt.date(1899, 5, 1), 600),  # 500-749 with 54-99: the 1800s
        (dt.date(1950, 5, 1), 950),  # 900-999 with 40-99: the 1900s
        (dt.date(2010, 5, 1), 700),  # 500-999 with 00-39: the 2000s
        (dt.date(1939, 5, 1), 100),  # 000-499: the 1900s
    ],
)
def test_the_individual_number_decides_the_century(birth, individual) -> None:
    number = None
    while number is None:
        number = make_norwegian(birth, individual)
        individual += 1
    assert no(number).birth_date == birth


def test_it_rejects_bad_norwegian_numbers() -> None:
    good = make_norwegian(dt.date(1985, 7, 15), 123)
    assert good is not None
    bad_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidNationalId, match="check digits"):
        no(bad_check)
    with pytest.raises(InvalidNationalId, match="eleven digits"):
        no(good[:-1])
    with pytest.raises(InvalidNationalId, match="required"):
        no("")


def _norwegian_with_check_digits(nine: str) -> str | None:
    k1 = _mod11(nine, _NO_WEIGHTS_1)
    k2 = None if k1 is None else _mod11(f"{nine}{k1}", _NO_WEIGHTS_2)
    return None if k1 is None or k2 is None else f"{nine}{k1}{k2}"


def test_it_rejects_a_norwegian_date_that_does_not_exist() -> None:
    candidates = (_norwegian_with_check_digits(f"300285{i:03d}") for i in range(100, 500))
    thirtieth_of_february = next(c for c in candidates if c is not None)
    with pytest.raises(InvalidNationalId, match="not a real date"):
        no(thirtieth_of_february)


def test_it_rejects_an_individual_number_that_does_not_fit_the_year() -> None:
    # 750-899 were never given to people born 1940-1999.
    number = None
    individual = 800
    while number is None:
        number = make_norwegian(dt.date(1985, 7, 15), individual)
        individual += 1
    with pytest.raises(InvalidNationalId, match="individual number"):
        no(number)


def test_it_rejects_a_norwegian_birth_date_in_the_future() -> None:
    number = None
    individual = 500
    while number is None:
        number = make_norwegian(dt.date(2026, 3, 11), individual)
        individual += 1
    with pytest.raises(InvalidNationalId, match="future"):
        no(number)


# Masking --------------------------------------------------------------------------------


def test_masking_keeps_only_the_birth_date() -> None:
    assert se("19121212-1212").masked == "19121212-****"
    assert se("19121212-1212").display == "19121212-1212"
    assert mask("191212121212") == "19121212-****"
    assert mask("15078512323") == "150785 *****"
    assert no("15078512323").masked == "150785 *****"
    assert no("15078512323").display == "150785 12323"
    assert mask("123") == "****"


# Organisation numbers ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["556036-0793", "5560360793", "556036 0793"])
def test_it_accepts_a_swedish_organisation_number(text) -> None:
    assert parse_org_number(text, "SE") == "556036-0793"


@pytest.mark.parametrize("text", ["974760673", "974 760 673"])
def test_it_accepts_a_norwegian_organisation_number(text) -> None:
    assert parse_org_number(text, "NO") == "974760673"


@pytest.mark.parametrize(
    ("text", "country", "message"),
    [
        ("556036-0794", "SE", "check digit"),
        ("55603607", "SE", "ten digits"),
        ("974760674", "NO", "check digit"),
        ("97476067", "NO", "nine digits"),
        ("974760673", "DK", "Unknown country"),
    ],
)
def test_it_rejects_bad_organisation_numbers(text, country, message) -> None:
    with pytest.raises(InvalidNationalId, match=message):
        parse_org_number(text, country)


# Properties -----------------------------------------------------------------------------

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@settings(deadline=None)
@given(births, st.integers(min_value=0, max_value=999), st.booleans())
def test_made_swedish_numbers_parse_back_to_their_birth_date(birth, serial, coordination) -> None:
    number = make_swedish(birth, serial, coordination=coordination)
    parsed = se(number)
    assert parsed.canonical == number
    assert parsed.birth_date == birth
    assert (parsed.kind == IdKind.SAMORDNINGSNUMMER) == coordination


@settings(deadline=None)
@given(births, st.integers(min_value=0, max_value=999))
def test_the_short_swedish_form_parses_back_to_the_same_person(birth, serial) -> None:
    number = make_swedish(birth, serial)
    hundred = birth <= TODAY.replace(year=TODAY.year - 100)
    short = f"{number[2:8]}{'+' if hundred else '-'}{number[8:]}"
    assert se(short).canonical == number


@settings(deadline=None)
@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
    st.booleans(),
)
def test_made_norwegian_numbers_parse_back_to_their_birth_date(birth, individual, d_number) -> None:
    # Individual numbers come in ranges per century; keep to one that fits the year.
    if birth.year >= 2000:
        individual = 500 + individual % 500
    elif birth.year >= 1940 and individual >= 500:
        individual = 900 + individual % 100
    else:
        individual = individual % 500
    number = make_norwegian(birth, individual, d_number=d_number)
    assume(number is not None)
    assert number is not None
    parsed = no(number)
    assert parsed.canonical == number
    assert parsed.birth_date == birth
    assert (parsed.kind == IdKind.D_NUMMER) == d_number
