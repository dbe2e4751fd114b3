"""Building the case system's files for tests: synthetic people, valid test national ids."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trygg.core.constants import ServiceCategory
from trygg.core.models import Provider, ServiceType, Team
from trygg.core.tests.factories import ProviderFactory, ServiceTypeFactory, TeamFactory
from trygg.integration.constants import CLIENT_COLUMNS, CSV_COLUMNS, SERVICE_COLUMNS
from trygg.lib.national_ids import make_swedish

TODAY = dt.date(2025, 3, 12)
SECRET_DOOR_CODE = "4711#93"


@dataclass
class Setting:
    provider: Provider
    team: Team
    other_team: Team
    personal_care: ServiceType
    service: ServiceType


def make_setting(provider: Provider | None = None) -> Setting:
    """A provider with teams NORR and SODER in a municipality whose catalogue has PERS, SERV."""
    provider = provider or ProviderFactory()
    municipality = provider.municipality
    return Setting(
        provider=provider,
        team=TeamFactory(provider=provider, code="NORR", name="Norr"),
        other_team=TeamFactory(provider=provider, code="SODER", name="Söder"),
        personal_care=ServiceTypeFactory(municipality=municipality, code="PERS"),
        service=ServiceTypeFactory(
            municipality=municipality,
            code="SERV",
            name="Serviceinsatser",
            category=ServiceCategory.SERVICE,
        ),
    )


def national_id(n: int) -> str:
    return make_swedish(dt.date(1935, 1, 1) + dt.timedelta(days=97 * n), 100 + n)


def client_fields(n: int, **overrides: Any) -> dict[str, str]:
    values = {
        "client_id": f"K{n:04d}",
        "national_id": national_id(n),
        "first_name": f"Förnamn{n}",
        "last_name": f"Efternamn{n}",
        "street": f"Provgatan {n}",
        "postal_code": "123 45",
        "city": "Teststad",
        "phone": "070-000 00 00",
        "door_code": SECRET_DOOR_CODE,
        "languages": "sv",
        "team": "NORR",
        "start_date": "2024-01-01",
        "end_date": "",
    }
    values.update(overrides)
    return values


def service_fields(n: int, **overrides: Any) -> dict[str, str]:
    values = {
        "service_id": f"I{n:04d}",
        "service_type": "PERS",
        "granted_minutes": "120",
        "period": "week",
        "service_from": "2024-01-01",
        "service_to": "",
    }
    values.update(overrides)
    return values


def row(client: dict[str, str], service: dict[str, str] | None = None) -> dict[str, str]:
    return {**client, **(service or dict.fromkeys(SERVICE_COLUMNS, ""))}


def standard_rows(count: int = 3) -> list[dict[str, str]]:
    """`count` clients with two services each, and one client with none."""
    rows = []
    for n in range(1, count + 1):
        client = client_fields(n)
        rows.append(row(client, service_fields(n * 10 + 1)))
        rows.append(
            row(
                client,
                service_fields(n * 10 + 2, service_type="SERV", period="day", granted_minutes="30"),
            )
        )
    rows.append(row(client_fields(count + 1, team="")))
    return rows


def to_csv(
    rows: list[dict[str, str]],
    *,
    delimiter: str = ";",
    bom: bool = False,
    columns: tuple[str, ...] = CSV_COLUMNS,
) -> bytes:
    def cell(value: str) -> str:
        if delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(columns)]
    lines += [delimiter.join(cell(r.get(c, "")) for c in columns) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def to_json(
    rows: list[dict[str, str]], provider: Provider, *, end_missing: bool = False
) -> dict[str, Any]:
    """The JSON form of the same rows: clients with their services nested."""
    clients: dict[str, dict[str, Any]] = {}
    for r in rows:
        client = clients.setdefault(
            r["client_id"], {**{c: r[c] for c in CLIENT_COLUMNS}, "services": []}
        )
        if any(r[c] for c in SERVICE_COLUMNS):
            service: dict[str, Any] = {c: r[c] for c in SERVICE_COLUMNS}
            service["granted_minutes"] = int(service["granted_minutes"])
            client["services"].append(service)
    return {
        "provider": provider.org_number,
        "end_missing": end_missing,
        "clients": list(clients.values()),
    }
