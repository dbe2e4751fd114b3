"""Alarm units in the inventory: identifiers and the key validated, the key never shown,
the admin's placements going through the services, and the demo units."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.demo import DEMO_CODE
from trygg.core.demo import seed_demo as seed_core
from trygg.core.models import Client, Municipality
from trygg.core.tests.factories import ClientFactory, MunicipalityFactory, make_staff
from trygg.devices import services
from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind

from .conftest import World, login

pytestmark = pytest.mark.django_db
KEY = "000102030405060708090A0B0C0D0E0F"
D = dt.date(2026, 3, 10)
LIST = "/admin/devices/alarmunit/"


def register(world: World, **fields: Any) -> AlarmUnit:
    values: dict[str, Any] = {
        "serial_number": "TL-0001",
        "model_name": "Testlarm 1",
        "protocol": "dc09",
        "dc09_account": "1001",
        "heartbeat_interval": 300,
    }
    values.update(fields)
    return services.register_alarm_unit(world.tech, world.municipality, **values)


# The model -------------------------------------------------------------------------------


def test_identifiers_and_the_key_are_normalised(world: World) -> None:
    unit = register(
        world, dc09_account=" a1b2c ", encryption_key="00010203 0405060708090a0b0c0d0e0f"
    )
    assert unit.dc09_account == "A1B2C"
    assert unit.encryption_key == KEY
    assert unit.encryption_label == "AES-128"
    assert unit.unit_ref == "A1B2C"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"dc09_account": "12"}, "dc09_account"),  # 3 to 16
        ({"dc09_account": "1" * 17}, "dc09_account"),
        ({"dc09_account": "12G4"}, "dc09_account"),  # hex only
        ({"dc09_account": ""}, "dc09_account"),
        (
            {"protocol": "scaip", "dc09_account": "", "scaip_controller_id": "46A"},
            "scaip_controller_id",
        ),
        ({"protocol": "scaip", "dc09_account": ""}, "scaip_controller_id"),
        ({"protocol": "scaip", "scaip_controller_id": "4600000001"}, "dc09_account"),
        ({"encryption_key": KEY[:-2]}, "encryption_key"),  # 30 digits
        ({"encryption_key": KEY + "00"}, "encryption_key"),
        ({"encryption_key": "X" * 32}, "encryption_key"),
        ({"serial_number": "  "}, "serial_number"),
    ],
)
def test_bad_identifiers_are_refused(world: World, fields: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        register(world, **fields)
    assert field in error.value.message_dict
    assert KEY[:20] not in str(error.value)


def test_the_three_key_lengths_are_aes_128_192_256(world: World) -> None:
    for n, key in enumerate(("ab" * 16, "ab" * 24, "ab" * 32)):
        unit = register(world, serial_number=f"K-{n}", dc09_account=f"10{n}", encryption_key=key)
        assert unit.encryption_label == f"AES-{len(key) * 4}"


def test_serials_and_accounts_are_unique_within_a_municipality(world: World) -> None:
    register(world)
    with pytest.raises(ValidationError):
        register(world, dc09_account="1002")  # the same serial
    with pytest.raises(ValidationError):
        register(world, serial_number="TL-0002")  # the same account
    # A SCAIP controller may share the digits; another municipality may share everything.
    register(
        world,
        serial_number="TL-0003",
        protocol="scaip",
        dc09_account="",
        scaip_controller_id="1001",
    )
    elsewhere = MunicipalityFactory()
    tech = make_staff(Role.WELFARE_TECH, municipality=elsewhere)
    services.register_alarm_unit(
        tech,
        elsewhere,
        serial_number="TL-0001",
        model_name="Testlarm 1",
        protocol="dc09",
        dc09_account="1001",
        heartbeat_interval=300,
    )


def test_the_database_refuses_a_bad_key_or_missing_account(world: World) -> None:
    base = {
        "municipality": world.municipality,
        "model_name": "X",
        "protocol": "dc09",
        "dc09_account": "ABC",
        "heartbeat_interval": 300,
    }
    for n, fields in enumerate(
        (
            {"encryption_key": "ABCD"},
            {"dc09_account": ""},
            {"protocol": "scaip"},
            {"serial_number": ""},
        )
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AlarmUnit.objects.create(**{**base, "serial_number": f"S{n}", **fields})


def test_the_key_is_not_in_its_text_forms(world: World) -> None:
    unit = register(world, encryption_key=KEY)
    assert KEY not in str(unit)
    assert KEY not in repr(unit)


def test_the_deadline_is_interval_and_grace_after_the_last_message(world: World) -> None:
    unit = register(world, heartbeat_interval=300, heartbeat_grace=60)
    seen = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    assert unit.due_after(seen) == seen + dt.timedelta(seconds=360)
    unit.heartbeat_interval = 0
    assert unit.due_after(seen) is None


def test_changing_the_interval_moves_the_deadline(world: World) -> None:
    unit = register(world)
    seen = timezone.now()
    AlarmUnit.objects.filter(pk=unit.pk).update(last_seen_at=seen, heartbeat_interval=600)
    services.reschedule_supervision(unit)
    assert AlarmUnit.objects.get(pk=unit.pk).supervision_due_at == seen + dt.timedelta(seconds=660)


# The admin -------------------------------------------------------------------------------


def form_data(unit: AlarmUnit, **changes: str) -> dict[str, str]:
    """The change form as the browser posts it, with no placement rows."""
    data = {
        "serial_number": unit.serial_number,
        "model_name": unit.model_name,
        "kind": unit.kind,
        "protocol": unit.protocol,
        "dc09_account": unit.dc09_account,
        "scaip_controller_id": unit.scaip_controller_id,
        "encryption_key": "",
        "heartbeat_interval": str(unit.heartbeat_interval),
        "heartbeat_grace": str(unit.heartbeat_grace),
        "notes": unit.notes,
        "placements-TOTAL_FORMS": "0",
        "placements-INITIAL_FORMS": "0",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(changes)
    return data


def rows(unit: AlarmUnit, *placements: dict[str, str]) -> dict[str, str]:
    """Placement rows: existing ones (with "id") first, as the admin renders them."""
    data = {
        "placements-TOTAL_FORMS": str(len(placements)),
        "placements-INITIAL_FORMS": str(sum(1 for p in placements if p.get("id"))),
    }
    for i, placement in enumerate(placements):
        row = {
            "id": "",
            "unit": str(unit.pk),
            "client_ref": "",
            "provider": "",
            "active_from": "",
            "active_to": "",
        }
        row.update(placement)
        data.update({f"placements-{i}-{name}": value for name, value in row.items()})
    return data


def change_url(unit: AlarmUnit) -> str:
    return f"{LIST}{unit.pk}/change/"


def test_the_list_and_the_form_never_show_the_key(world: World) -> None:
    unit = register(world, encryption_key=KEY)
    http = login(world.admin)
    listing = http.get(LIST)
    assert listing.status_code == 200
    assert unit.serial_number in listing.text
    assert "AES-128" in listing.text
    assert KEY not in listing.text.upper()
    form = http.get(change_url(unit))
    assert form.status_code == 200
    assert "AES-128" in form.text
    assert KEY not in form.text.upper()
    assert http.get(LIST, {"q": KEY}).context["cl"].result_count == 0  # not searchable


def test_a_blank_key_field_keeps_the_key_a_new_one_replaces_it(world: World) -> None:
    unit = register(world, encryption_key=KEY)
    http = login(world.admin)
    response = http.post(change_url(unit), form_data(unit, notes="Bytt batteri"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit.refresh_from_db()
    assert (unit.encryption_key, unit.notes) == (KEY, "Bytt batteri")
    http.post(change_url(unit), form_data(unit, encryption_key="ff" * 32))
    unit.refresh_from_db()
    assert unit.encryption_key == "FF" * 32
    response = http.post(change_url(unit), form_data(unit, encryption_key="abc"))
    assert response.status_code == 200
    assert "32, 48 or 64" in response.text
    assert 'value="abc"' not in response.text  # not even a bad key is echoed back
    http.post(change_url(unit), form_data(unit, remove_encryption_key="on"))
    unit.refresh_from_db()
    assert unit.encryption_key == ""


def test_saving_the_form_does_not_undo_what_the_ingest_wrote(world: World) -> None:
    unit = register(world)
    # The form was loaded, then the unit reported, then the form was saved.
    seen = timezone.now()
    AlarmUnit.objects.filter(pk=unit.pk).update(
        last_seen_at=seen, supervision_due_at=seen + dt.timedelta(seconds=360)
    )
    http = login(world.admin)
    assert http.post(change_url(unit), form_data(unit, notes="Ny plats")).status_code == 302
    saved = AlarmUnit.objects.get(pk=unit.pk)
    assert (saved.last_seen_at, saved.notes) == (seen, "Ny plats")
    assert http.post(change_url(unit), form_data(unit, heartbeat_interval="900")).status_code == 302
    assert AlarmUnit.objects.get(pk=unit.pk).supervision_due_at == seen + dt.timedelta(seconds=960)


def test_a_unit_is_placed_with_a_client_named_by_case_system_id(world: World) -> None:
    client = ClientFactory(provider=world.provider, last_name="Placeradsson")
    unit = register(world)
    http = login(world.admin)
    data = form_data(unit) | rows(
        unit, {"client_ref": client.case_system_id, "active_from": D.isoformat()}
    )
    response = http.post(change_url(unit), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    placement = AlarmPlacement.objects.get(unit=unit)
    assert (placement.client, placement.active_from, placement.created_by) == (
        client,
        D,
        world.admin,
    )
    page = http.get(change_url(unit))
    assert client.case_system_id in page.text
    assert "Placeradsson" not in page.text  # no client's name outside the access log


def test_an_overlapping_placement_is_refused_in_the_admin(world: World) -> None:
    first, second = ClientFactory(provider=world.provider), ClientFactory(provider=world.provider)
    unit = register(world)
    existing = services.place_unit(world.tech, unit, client=first, active_from=D)
    http = login(world.admin)
    data = form_data(unit) | rows(
        unit,
        {"id": str(existing.pk), "active_to": ""},
        {
            "client_ref": second.case_system_id,
            "active_from": (D + dt.timedelta(days=5)).isoformat(),
        },
    )
    response = http.post(change_url(unit), data)
    assert response.status_code == 200
    assert "may not overlap" in response.text
    assert AlarmPlacement.objects.filter(unit=unit).count() == 1


def test_ending_one_placement_and_starting_the_next_in_one_save(world: World) -> None:
    first, second = ClientFactory(provider=world.provider), ClientFactory(provider=world.provider)
    unit = register(world)
    existing = services.place_unit(world.tech, unit, client=first, active_from=D)
    day = D + dt.timedelta(days=5)
    data = form_data(unit) | rows(
        unit,
        {"id": str(existing.pk), "active_to": (day - dt.timedelta(days=1)).isoformat()},
        {"client_ref": second.case_system_id, "active_from": day.isoformat()},
    )
    response = login(world.admin).post(change_url(unit), data)
    assert response.status_code == 302
    assert [line.client for line in services.active_alarm_customers(world.municipality, day)] == [
        second
    ]
    assert [
        line.client
        for line in services.active_alarm_customers(world.municipality, day - dt.timedelta(days=1))
    ] == [first]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"client_ref": "NO-SUCH"}, "No client with that id"),
        ({}, "either with a client or with a provider"),
        ({"provider": "PROVIDER"}, "A safety alarm is placed with a client"),
    ],
)
def test_a_bad_placement_row_is_explained(world: World, row: dict[str, str], message: str) -> None:
    unit = register(world)
    row = {k: str(world.provider.pk) if v == "PROVIDER" else v for k, v in row.items()}
    data = form_data(unit) | rows(unit, {"active_from": D.isoformat(), **row})
    response = login(world.admin).post(change_url(unit), data)
    assert response.status_code == 200
    assert message in response.text
    assert not AlarmPlacement.objects.exists()


def test_another_municipalitys_administrator_cannot_open_the_unit(world: World) -> None:
    unit = register(world, encryption_key=KEY)
    foreign = make_staff(Role.MUNICIPAL_ADMIN, municipality=MunicipalityFactory())
    http = login(foreign)
    assert unit.serial_number not in http.get(LIST).text
    response = http.get(change_url(unit))
    assert response.status_code in (302, 404)
    assert KEY not in response.content.decode().upper()


def test_a_unit_is_registered_in_the_admin_with_its_key(world: World) -> None:
    http = login(world.admin)
    data = form_data(
        AlarmUnit(
            serial_number="NY-1",
            model_name="Testlarm 2",
            kind=AlarmUnitKind.SAFETY_ALARM,
            protocol="dc09",
            dc09_account="abc1",
            heartbeat_interval=300,
            heartbeat_grace=60,
        ),
        municipality=str(world.municipality.pk),
        encryption_key=KEY.lower(),
    )
    response = http.post(f"{LIST}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = AlarmUnit.objects.get(serial_number="NY-1")
    assert (unit.dc09_account, unit.encryption_key) == ("ABC1", KEY)
    assert (unit.last_seen_at, unit.supervision_due_at) == (None, None)


# The demo --------------------------------------------------------------------------------


def test_the_demo_units_are_placed_once(world: World) -> None:
    from trygg.alarms.demo import DC09_DEMO_KEY, seed_demo

    seed_core()
    municipality = Municipality.objects.get(code=DEMO_CODE)
    assert seed_demo(municipality) == 24
    assert seed_demo(municipality) == 0
    units = AlarmUnit.objects.filter(municipality=municipality)
    assert sorted(units.exclude(dc09_account="").values_list("dc09_account", flat=True)) == [
        *(str(n) for n in range(1001, 1011)),
        "2001",
        "3001",
        "3002",
        "3003",
    ]
    assert sorted(
        units.exclude(scaip_controller_id="").values_list("scaip_controller_id", flat=True)
    ) == [str(4600000000 + n) for n in range(1, 11)]
    assert units.get(dc09_account="2001").encryption_key == DC09_DEMO_KEY
    assert not units.exclude(dc09_account="2001").exclude(encryption_key="").exists()
    for unit in units:
        unit.full_clean()
    lines = services.active_alarm_customers(municipality, municipality.today())
    assert len(lines) == 24
    emergency = [line for line in lines if line.is_emergency_alarm]
    assert len(emergency) == 3
    assert len({line.provider.pk for line in emergency}) == 3
    clients = [line.client for line in lines if line.client is not None]
    assert len(set(clients)) == 21
    assert len({c.provider_id for c in clients}) >= 2
    assert all(isinstance(c, Client) and c.is_active_on(municipality.today()) for c in clients)
