"""National identity numbers of Sweden and Norway, validated by their check digits.

Sweden: personnummer and samordningsnummer (day + 60), Luhn check digit over the ten-digit
form. Norway: fødselsnummer and D-nummer (day + 40), two mod-11 check digits. Numbers are
stored in one canonical form: Swedish as twelve digits YYYYMMDDNNNC, Norwegian as eleven
digits DDMMYYNNNCC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum


class IdKind(StrEnum):
    PERSONNUMMER = "se_personnummer"
    SAMORDNINGSNUMMER = "se_samordningsnummer"
    FODSELSNUMMER = "no_fodselsnummer"
    D_NUMMER = "no_d_nummer"


class InvalidNationalId(ValueError):
    """The text is not a valid national id; the message says why, in plain words."""


@dataclass(frozen=True)
class NationalId:
    canonical: str
    kind: IdKind
    country: str
    birth_date: dt.date

    @property
    def masked(self) -> str:
        """Birth date only, the rest hidden: what lists show."""
        if self.country == "SE":
            return f"{self.canonical[:8]}-****"
        return f"{self.canonical[:6]} *****"

    @property
    def display(self) -> str:
        if self.country == "SE":
            return f"{self.canonical[:8]}-{self.canonical[8:]}"
        return f"{self.canonical[:6]} {self.canonical[6:]}"


def luhn_check_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


_SE_PATTERN = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")


def _short_form_year(yy: int, month: int, day: int, today: dt.date, hundred_or_older: bool) -> int:
    """The century of a ten-digit number: the latest birth date not after today, or, with
    '+', not after the day one turned 100. The whole date counts, not just the year: on
    10 March 2026, 261201-NNNN is someone born in December 1926, aged 99."""
    latest = today.year - (100 if hundred_or_older else 0)
    year = (latest // 100) * 100 + yy
    if year > latest:
        year -= 100
    if year == latest and (month, day) > (today.month, today.day):
        year -= 100
    return year


def _parse_swedish(text: str, today: dt.date) -> NationalId:
    compact = text.replace(" ", "")
    match = _SE_PATTERN.match(compact)
    if not match:
        raise InvalidNationalId("A Swedish personnummer has the form YYYYMMDD-NNNN or YYMMDD-NNNN.")
    century, six, separator, four = match.groups()
    ten = six + four
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        raise InvalidNationalId("The check digit is wrong: check the number for typos.")
    yy, month, day = int(six[:2]), int(six[2:4]), int(six[4:6])
    kind = IdKind.PERSONNUMMER
    if day > 60:
        kind = IdKind.SAMORDNINGSNUMMER
        day -= 60
    if century:
        year = int(century) * 100 + yy
    else:
        year = _short_form_year(yy, month, day, today, hundred_or_older=separator == "+")
    try:
        birth = dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidNationalId("The date part is not a real date.") from exc
    if birth > today:
        raise InvalidNationalId("The date part lies in the future.")
    return NationalId(f"{year:04d}{six[2:]}{four}", kind, "SE", birth)


_NO_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_NO_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 11:
        return 0
    if remainder == 10:
        return None
    return remainder


def _norwegian_year(yy: int, individual: int) -> int | None:
    if individual <= 499:
        return 1900 + yy
    if individual <= 749 and yy >= 54:
        return 1800 + yy
    if individual >= 500 and yy <= 39:
        return 2000 + yy
    if individual >= 900 and yy >= 40:
        return 1900 + yy
    return None


def _parse_norwegian(text: str, today: dt.date) -> NationalId:
    compact = text.replace(" ", "").replace("-", "")
    if not re.fullmatch(r"\d{11}", compact):
        raise InvalidNationalId("A Norwegian fødselsnummer has eleven digits: DDMMYY NNNNN.")
    k1 = _mod11(compact[:9], _NO_WEIGHTS_1)
    k2 = _mod11(compact[:10], _NO_WEIGHTS_2)
    if k1 is None or k2 is None or k1 != int(compact[9]) or k2 != int(compact[10]):
        raise InvalidNationalId("The check digits are wrong: check the number for typos.")
    day, month, yy = int(compact[:2]), int(compact[2:4]), int(compact[4:6])
    kind = IdKind.FODSELSNUMMER
    if day > 40:
        kind = IdKind.D_NUMMER
        day -= 40
    year = _norwegian_year(yy, int(compact[6:9]))
    if year is None:
        raise InvalidNationalId("The individual number does not fit the birth year.")
    try:
        birth = dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidNationalId("The date part is not a real date.") from exc
    if birth > today:
        raise InvalidNationalId("The date part lies in the future.")
    return NationalId(compact, kind, "NO", birth)


def parse_national_id(text: str, country: str, today: dt.date | None = None) -> NationalId:
    """Validate `text` as a national id of `country` ('SE' or 'NO') and return it canonical."""
    today = today or dt.date.today()
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidNationalId("A national id is required.")
    if country == "SE":
        return _parse_swedish(cleaned, today)
    if country == "NO":
        return _parse_norwegian(cleaned, today)
    raise InvalidNationalId(f"Unknown country {country!r}.")


def mask(canonical: str) -> str:
    """The masked form of a stored canonical id, for lists."""
    if len(canonical) == 12:
        return f"{canonical[:8]}-****"
    if len(canonical) == 11:
        return f"{canonical[:6]} *****"
    return "****"


def make_swedish(birth: dt.date, serial: int, coordination: bool = False) -> str:
    """A valid twelve-digit Swedish number for `birth` and a three-digit serial: test data."""
    day = birth.day + (60 if coordination else 0)
    nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{serial % 1000:03d}"
    return f"{birth.year:04d}{nine[2:]}{luhn_check_digit(nine)}"


def make_norwegian(birth: dt.date, individual: int, d_number: bool = False) -> str | None:
    """A valid Norwegian number for `birth`, or None when the serial gives no check digit:
    test data, like make_swedish. Only tests call it today; it stays beside the validator
    because it is built from the same mod-11 weights, and a Norwegian demo will need it."""
    day = birth.day + (40 if d_number else 0)
    nine = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}{individual % 1000:03d}"
    k1 = _mod11(nine, _NO_WEIGHTS_1)
    if k1 is None:
        return None
    k2 = _mod11(nine + str(k1), _NO_WEIGHTS_2)
    if k2 is None:
        return None
    return f"{nine}{k1}{k2}"


def parse_org_number(text: str, country: str) -> str:
    """Validate an organisation number (SE: 10 digits, Luhn; NO: 9 digits, mod 11).

    Returns the canonical form: SE as NNNNNN-NNNN, NO as nine digits.
    """
    compact = re.sub(r"[\s-]", "", text or "")
    if country == "SE":
        if not re.fullmatch(r"\d{10}", compact):
            raise InvalidNationalId("A Swedish organisation number has ten digits: NNNNNN-NNNN.")
        if luhn_check_digit(compact[:9]) != int(compact[9]):
            raise InvalidNationalId("The check digit is wrong: check the number for typos.")
        return f"{compact[:6]}-{compact[6:]}"
    if country == "NO":
        if not re.fullmatch(r"\d{9}", compact):
            raise InvalidNationalId("A Norwegian organisation number has nine digits.")
        check = _mod11(compact[:8], (3, 2, 7, 6, 5, 4, 3, 2))
        if check is None or check != int(compact[8]):
            raise InvalidNationalId("The check digit is wrong: check the number for typos.")
        return compact
    raise InvalidNationalId(f"Unknown country {country!r}.")
