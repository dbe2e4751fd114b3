"""Seeding shared by the DC-09 benchmarks: placed DC-09 units with synthetic clients."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from trygg.core.demo import bulk, make_client
from trygg.core.models import Client, Municipality, Provider
from trygg.core.people import People
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit


def ensure_dc09_units(
    municipality: Municipality,
    provider: Provider,
    accounts: Sequence[str],
    *,
    model_name: str,
    serial_prefix: str,
    heartbeat_interval: int,
    people_seed: int,
    city: str,
) -> int:
    """Register the accounts the municipality does not have yet, each placed with a new
    synthetic client of `provider`, in bulk. Returns how many it made."""
    have = set(
        AlarmUnit.objects.filter(municipality=municipality).values_list("dc09_account", flat=True)
    )
    missing = [account for account in accounts if account not in have]
    if not missing:
        return 0
    people = People(people_seed + len(have), city)
    today = municipality.today()
    start = Client.objects.filter(municipality=municipality).count()
    clients = bulk(
        Client,
        [
            make_client(people, municipality, provider, None, start + i + 1, today)
            for i in range(len(missing))
        ],
    )
    made = bulk(
        AlarmUnit,
        [
            AlarmUnit(
                municipality=municipality,
                model_name=model_name,
                serial_number=f"{serial_prefix}-{account}",
                protocol=AlarmProtocol.DC09,
                dc09_account=account,
                heartbeat_interval=heartbeat_interval,
            )
            for account in missing
        ],
    )
    if made and made[0].pk is None:  # databases that return no ids from bulk inserts
        made = list(AlarmUnit.objects.filter(dc09_account__in=missing))
    bulk(
        AlarmPlacement,
        [
            AlarmPlacement(unit=unit, client=client, active_from=dt.date(2020, 1, 1))
            for unit, client in zip(made, clients, strict=True)
        ],
    )
    print(f"  created {len(missing)} DC-09 units with clients", file=sys.stderr)
    return len(missing)
