"""Demo content for visit registration: `trygg seed --demo` calls `seed_demo`.

NFC tags on the demo clients' doors, put up by the welfare-technology team through
`devices.tags.place_tag` like real ones, so the care workers' phones (omsorg,
omsorg.norrsken, ...) have their team's clients with granted services and tag codes for
the day, and a month of visits for the back office to review and bill (`demo_office`). One
door in fifteen has no tag yet: the visit app's "without the tag" case. A
computer has no NFC, so in the demo municipality the visit app offers a "pretend to scan"
list of these tags (`visits.phone.shows_demo_scan`).

The service desk's NFC-tag orders are this app's to seed (the service desk's demo leaves
them out): a done order ends as the real one does, with its tags registered at the
client's door through the order (`tag_orders.register_for_order`), and one is still open.

Synthetic like the rest of the demo: chip numbers start with NXP's manufacturer byte (04),
as NTAG213 chips do, and the rest is random.
"""

from __future__ import annotations

import datetime as dt
import random

from trygg.core.constants import Role
from trygg.core.models import Client, Municipality, RoleAssignment, User
from trygg.devices.constants import TagDoor
from trygg.devices.models import NfcTag
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes
from trygg.servicedesk import services as desk
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import (
    Order,
    OrderComment,
    OrderEvent,
    OrderResult,
    OrderStep,
    OrderType,
)

from . import demo_office, tag_orders
from .billing import add_months, month_start

DEMO_TAG_SEED = 20261207
UNTAGGED_EVERY = 15
DONE_TAG_ORDERS = 3
LOCATIONS = (
    "Insidan av ytterdörren",
    "Innanför dörren, vänster sida",
    "Vid hallspegeln",
    "Dörrkarmen, i höjd med handtaget",
)


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Tags at the doors first, then the NFC-tag orders (a door seed_tags left bare gets
    its tags through an order), then the back office's month of visits (`demo_office`),
    which scan them."""
    made = seed_tags(municipality, today)
    made.update(seed_tag_orders(municipality, today))
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


def seed_tag_orders(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """NFC-tag orders placed by team leaders: DONE_TAG_ORDERS done ones for doors without a
    tag, each ending with its tags registered at the client's doors through the order, as
    the welfare-technology team does it (so the tags are in place before the month of
    visits that scans them); and one in progress for a tag that came loose, nothing
    registered yet. Once: nothing when the municipality has NFC-tag orders already."""
    today = today or municipality.today()
    ensure_default_catalogue(municipality)
    order_type = OrderType.objects.filter(
        municipality=municipality, code=tag_orders.ORDER_TYPE_CODE, active=True
    ).first()
    tech = _welfare_tech(municipality)
    if order_type is None or tech is None or order_type.orders.exists():
        return {}
    leaders = {
        a.provider_id: a.user
        for a in RoleAssignment.objects.filter(
            municipality=municipality, role=Role.TEAM_LEADER, user__is_active=True
        )
        .select_related("user")
        .order_by("-user_id")
        if a.provider_id is not None
    }
    clients = [
        client
        for client in Client.objects.filter(municipality=municipality, provider__in=leaders)
        .active_on(today)
        .select_related("provider")
        .order_by("pk")
    ]
    tagged = set(
        NfcTag.objects.filter(client__in=clients, retired_on__isnull=True).values_list(
            "client_id", flat=True
        )
    )
    bare = [client for client in clients if client.pk not in tagged]
    rng = random.Random(DEMO_TAG_SEED + 1)
    taken = set(NfcTag.objects.filter(municipality=municipality).values_list("code", flat=True))
    # Done a few weeks before the month of visits begins, so every visit of it finds the
    # order's tags up.
    visits_begin = add_months(month_start(today), -1)
    made = 0
    for n, client in enumerate(bare[:DONE_TAG_ORDERS]):
        doors = [TagDoor.MAIN, TagDoor.BACK][: 2 if n == 1 else 1]
        placed_on = visits_begin - dt.timedelta(days=12 + 9 * n)
        placed_at = dt.datetime.combine(placed_on, dt.time(9, 30), tzinfo=municipality.zone)
        done_at = placed_at + dt.timedelta(days=3, hours=4)
        order = _place_tag_order(
            leaders[client.provider_id],
            order_type,
            client,
            count=len(doors),
            note="Brukaren har ingen tagg än; den sätts vid ytterdörren"
            + (" och en vid altandörren." if len(doors) > 1 else "."),
            placed_at=placed_at,
        )
        desk.change_status(tech, order, OrderStatus.ACCEPTED)
        desk.change_status(tech, order, OrderStatus.IN_PROGRESS)
        for door in doors:
            code = _code(rng)
            while code in taken:
                code = _code(rng)
            taken.add(code)
            tag_orders.register_for_order(
                tech,
                order,
                code=code,
                uid="04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6)),
                door=door,
                location=rng.choice(LOCATIONS),
                placed_on=done_at.date(),
            )
        for step in order.steps.filter(done_at__isnull=True):
            desk.complete_step(tech, step)
        desk.change_status(tech, order, OrderStatus.DONE)
        _back_date(order, placed_at, done_at)
        made += 1
    # A tag that came loose: the order is being worked on, no tag registered yet.
    loose = next((client for client in clients if client.pk in tagged), None)
    if loose is not None:
        placed_at = dt.datetime.combine(
            today - dt.timedelta(days=2), dt.time(10, 15), tzinfo=municipality.zone
        )
        order = _place_tag_order(
            leaders[loose.provider_id],
            order_type,
            loose,
            count=1,
            note="Taggen vid ytterdörren har lossnat och kommit bort.",
            placed_at=placed_at,
        )
        desk.change_status(tech, order, OrderStatus.ACCEPTED)
        desk.change_status(tech, order, OrderStatus.IN_PROGRESS)
        _back_date(order, placed_at, None)
        made += 1
    return {"tag orders": made} if made else {}


def _place_tag_order(
    leader: User,
    order_type: OrderType,
    client: Client,
    *,
    count: int,
    note: str,
    placed_at: dt.datetime,
) -> Order:
    return desk.place_order(
        leader,
        order_type,
        {"client": str(client.pk), "count": count, "note": note},
        provider=client.provider,
        clients=Client.objects.filter(pk=client.pk),
        now=placed_at,
    )


def _back_date(order: Order, placed_at: dt.datetime, done_at: dt.datetime | None) -> None:
    """The order's history at the demo's times (the services stamp the moment they run):
    accepted an hour after it was placed, in progress the next morning, and the tags, the
    steps and done at `done_at`."""
    started = placed_at + dt.timedelta(hours=23)
    finished = done_at or started
    times = {
        OrderStatus.ACCEPTED: placed_at + dt.timedelta(hours=1),
        OrderStatus.IN_PROGRESS: started,
        OrderStatus.DONE: finished,
    }
    for status, at in times.items():
        OrderEvent.objects.filter(order=order, to_status=status).update(at=at)
    OrderResult.objects.filter(order=order).update(made_at=finished)
    OrderComment.objects.filter(order=order).update(created_at=finished)
    OrderStep.objects.filter(order=order, done_at__isnull=False).update(done_at=finished)
    Order.objects.filter(pk=order.pk).update(done_at=done_at, updated_at=finished)


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
