"""Deterministic synthetic people for the demo and the scale seed: generated names,
addresses that look real but are not (postal codes 999 xx, none in use), the phone numbers
Sweden reserves for fiction, and valid-format test national ids. Never real people's data."""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker

from trygg.lib.national_ids import make_swedish

# Mostly Swedish; Finnish, Arabic, Persian, Somali and English as Trygghetsbo's others.
_LANGUAGES: tuple[tuple[str, float], ...] = (
    ("sv", 0.80),
    ("fi,sv", 0.06),
    ("ar", 0.04),
    ("fa,sv", 0.03),
    ("so", 0.03),
    ("en,sv", 0.02),
    ("sv,en", 0.02),
)


class People:
    """Deterministic synthetic people: names, addresses, phones and unique national ids."""

    def __init__(self, seed: int, city: str) -> None:
        self.rng = random.Random(seed)
        self.faker = Faker("sv_SE")
        self.faker.seed_instance(seed)
        self.city = city
        self.used_ids: set[str] = set()
        # Pools keep large runs fast and still varied.
        self.first_names = sorted({self.faker.first_name() for _ in range(600)})
        self.last_names = sorted({self.faker.last_name() for _ in range(600)})
        self.streets = sorted({self.faker.street_name() for _ in range(400)})

    def name(self) -> tuple[str, str]:
        return self.rng.choice(self.first_names), self.rng.choice(self.last_names)

    def national_id(self, first_year: int, last_year: int, coordination: bool = False) -> str:
        start = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        while True:
            birth = dt.date.fromordinal(self.rng.randint(start, end))
            candidate = make_swedish(birth, self.rng.randint(0, 999), coordination)
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def street(self) -> str:
        letter = self.rng.choice(("", "", "", "", "A", "B"))
        return f"{self.rng.choice(self.streets)} {self.rng.randint(1, 64)}{letter}"

    def postal_code(self) -> str:
        # 999 xx is not a Swedish postal code in use; every demo address lives there.
        return f"999 {self.rng.randint(10, 99):02d}"

    def phone(self, mobile: bool = True) -> str:
        # PTS reserves 070-174 06 05..99 and 08-465 004 00..99 for fiction.
        if mobile:
            n = self.rng.randint(5, 99)
            return f"070-174 06 {n:02d}"
        return f"08-465 004 {self.rng.randint(0, 99):02d}"

    def door_code(self) -> str:
        return f"{self.rng.randint(0, 9999):04d}"

    def languages(self) -> str:
        roll = self.rng.random()
        for codes, odds in _LANGUAGES:
            if roll < odds:
                return codes
            roll -= odds
        return "sv"

    def chance(self, odds: float) -> bool:
        return self.rng.random() < odds
