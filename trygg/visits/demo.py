"""Demo content for visit registration: `trygg seed --demo` calls `seed_demo`.

NFC tags on the demo clients' doors, put up by the welfare-technology team through
`devices.tags.place_tag` like real ones, so the care workers' phones (omsorg,
omsorg.norrsken, ...) have their team's clients with granted services and tag codes for
the day, and a month of visits for the back office to review and bill (`demo_office`). One
door in fifteen has no tag yet: the visit app's "without the tag" case. A
computer has no NFC, so in the demo municipality the visit app offers a "pretend to scan"
list of these tags (`visits.phone.shows_demo_scan`).

Synthetic like the rest of the demo: chip numbers start with NXP's manufacturer byte (04),
as NTAG213 chips do, and the rest is random.
"""

from __future__ import annotations

import datetime as dt
import random

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, RoleAssignment, User
from trygg.devices.models import NfcTag
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes

from . import demo_office

DEMO_TAG_SEED = 20261207
UNTAGGED_EVERY = 15
LOCATIONS = (
    "Insidan av ytterdörren",
    "Innanför dörren, vänster sida",
    "Vid hallspegeln",
    "Dörrkarmen, i höjd med handtaget",
)


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Tags at the doors first, then the back office's month of visits (`demo_office`),
    which scan them."""
    made = seed_tags(municipality, today)
    made.update(demo_office.seed_demo(municipality, today))
    return made


def seed_tags(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Put tags up at the doors of the municipality's active clients that have none,
    leaving every fifteenth door without. Idempotent: a door with a tag is left alone."""
    today = today or municipality.today()
    tech = _welfare_tech(municipality)
    if tech is None:
        return {}
    clients = list(Client.objects.filter(municipality=municipality).active_on(today).order_by("pk"))
    tagged = set(
        NfcTag.objects.filter(client__in=clients, retired_on__isnull=True).values_list(
            "client_id", flat=True
        )
    )
    taken = set(NfcTag.objects.filter(municipality=municipality).values_list("code", flat=True))
    rng = random.Random(DEMO_TAG_SEED)
    made = 0
    for index, client in enumerate(clients):
        # Drawn for every client, tagged or not, so a second run makes the same codes.
        code = _code(rng)
        uid = "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6))
        age = rng.randint(14, 400)
        location = rng.choice(LOCATIONS)
        if client.pk in tagged or index % UNTAGGED_EVERY == UNTAGGED_EVERY - 1 or code in taken:
            continue
        placed_on = min(today, max(client.start_date, today - dt.timedelta(days=age)))
        place_tag(tech, client, code=code, uid=uid, location=location, placed_on=placed_on)
        taken.add(code)
        made += 1
    return {"tags": made} if made else {}


def _code(rng: random.Random) -> str:
    body = "".join(rng.choice(tagcodes.ALPHABET) for _ in range(tagcodes.LENGTH - 1))
    return tagcodes.format_code(body + tagcodes.check_character(body))


def _welfare_tech(municipality: Municipality) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            municipality=municipality, role=Role.WELFARE_TECH, provider__isnull=True
        )
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return assignment.user if assignment else None
