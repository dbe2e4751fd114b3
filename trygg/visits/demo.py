"""Demo visits for `trygg seed --demo`: the back office's month to bill and day to review
(`demo_office`)."""

from __future__ import annotations

import datetime as dt

from trygg.core.models import Municipality

from . import demo_office


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    return demo_office.seed_demo(municipality, today)
