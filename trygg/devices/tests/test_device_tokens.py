"""Device tokens: issued once and kept as a digest, rotated and revoked through the
services, the admin and `trygg token`; a token in use posts to the Device API."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from trygg.core.models import ApiToken
from trygg.core.tokens import digest
from trygg.devices import services
from trygg.devices.models import AlarmUnit
from trygg.receivers.tests.device_api import api_unit, fresh, message, post

from .places import Place

pytestmark = pytest.mark.django_db

UNITS = "/admin/devices/alarmunit/"


@pytest.fixture
def unit(place: Place) -> AlarmUnit:
    return api_unit(place)


@pytest.fixture
def plain(place: Place, unit: AlarmUnit) -> str:
    _token, plain = services.issue_device_token(place.tech, unit)
    return plain


# Tokens ----------------------------------------------------------------------------------------


def test_a_token_is_issued_once_and_only_its_digest_kept(
    place: Place, unit: AlarmUnit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, plain = services.issue_device_token(place.tech, unit)
    assert plain.startswith("trg_")
    assert len(plain) > 40
    assert fresh(unit).api_token == token
    assert (token.scopes, token.municipality, token.provider) == (
        "device",
        place.municipality,
        None,
    )
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] == digest(plain)
    assert not [name for name, value in row.items() if plain in str(value)]
    assert token.prefix in caplog.text  # issuing is logged, by prefix only
    post(message(), plain)
    assert plain not in caplog.text


def test_issuing_again_needs_a_rotation_which_revokes_the_old_token(
    place: Place, unit: AlarmUnit, plain: str
) -> None:
    with pytest.raises(services.DeviceTokenError, match="rotate"):
        services.issue_device_token(place.tech, unit)
    token, new = services.rotate_device_token(place.tech, unit)
    assert post(message("m-1"), plain).status_code == 401
    assert post(message("m-1"), new).status_code == 201
    assert fresh(unit).api_token == token
    assert ApiToken.objects.filter(scopes="device", revoked_at__isnull=True).count() == 1


def test_revoking_keeps_the_link_and_a_new_token_can_follow(
    place: Place, unit: AlarmUnit, plain: str
) -> None:
    token = fresh(unit).api_token
    assert services.revoke_device_token(place.tech, unit) is True
    assert services.revoke_device_token(place.tech, unit) is False
    assert fresh(unit).api_token == token
    _token, new = services.issue_device_token(place.tech, unit)  # no rotation needed
    assert post(message(), new).status_code == 201


def test_only_the_units_team_issues_tokens_and_only_for_api_units(
    place: Place, unit: AlarmUnit
) -> None:
    for outsider in (place.foreign_tech, place.care_worker, place.manager):
        with pytest.raises(PermissionError):
            services.issue_device_token(outsider, unit)
        with pytest.raises(PermissionError):
            services.revoke_device_token(outsider, unit)
    with pytest.raises(services.DeviceTokenError):
        services.issue_device_token(place.admin, place.unit())  # a DC-09 unit
    assert not ApiToken.objects.exists()


def test_trygg_token_creates_and_rotates_a_units_token(place: Place, unit: AlarmUnit) -> None:
    def create(*extra: str) -> str:
        out = io.StringIO()
        call_command(
            "token",
            "create",
            "--municipality",
            place.municipality.code,
            "--unit",
            unit.serial_number,
            *extra,
            stdout=out,
        )
        return out.getvalue().split()[-1]

    first = create()
    assert post(message("m-1"), first).status_code == 201
    with pytest.raises(CommandError, match="--rotate"):
        create()
    second = create("--rotate")
    assert post(message("m-2"), first).status_code == 401
    assert post(message("m-2"), second).status_code == 201
    with pytest.raises(CommandError, match="No alarm unit"):
        call_command(
            "token", "create", "--municipality", place.elsewhere.code, "--unit", unit.serial_number
        )
    with pytest.raises(CommandError, match="--unit"):
        call_command(
            "token", "create", "--name", "x", "--municipality", place.municipality.code,
            "--scopes", "device",
        )  # fmt: skip


# The admin -------------------------------------------------------------------------------------


def admin_client(place: Place) -> HttpClient:
    http = HttpClient()
    http.force_login(place.admin)
    http.cookies["trygg_language"] = "en"
    return http


def act(http: HttpClient, action: str, units: list[AlarmUnit], **extra: str) -> Any:
    data = {"action": action, "_selected_action": [str(u.pk) for u in units], **extra}
    if "confirm" not in extra:
        data["index"] = "0"
    return http.post(UNITS, data)


def test_the_admin_issues_a_token_shown_once_and_confirms_a_rotation(
    place: Place, unit: AlarmUnit
) -> None:
    http = admin_client(place)
    response = act(http, "issue_device_tokens", [unit])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = response.text.split("<code>")[1].split("</code>")[0]
    assert post(message("m-1"), plain).status_code == 201
    token = fresh(unit).api_token
    assert token is not None
    assert f"{token.prefix}… in use" in http.get(f"{UNITS}{unit.pk}/change/").text
    assert plain not in http.get(f"{UNITS}{unit.pk}/change/").text

    # A unit with a live token: first a confirmation, nothing changed yet.
    asked = act(http, "issue_device_tokens", [unit])
    assert "Replace the tokens" in asked.text
    assert post(message("m-2"), plain).status_code == 201
    confirmed = act(http, "issue_device_tokens", [unit], confirm="yes")
    new = confirmed.text.split("<code>")[1].split("</code>")[0]
    assert post(message("m-3"), plain).status_code == 401
    assert post(message("m-3"), new).status_code == 201


def test_the_admin_revokes_tokens_and_refuses_other_protocols(
    place: Place, unit: AlarmUnit, plain: str
) -> None:
    http = admin_client(place)
    response = act(http, "revoke_device_tokens", [unit])
    assert response.status_code == 302
    assert "1 device token revoked" in http.get(UNITS).text
    assert post(message(), plain).status_code == 401
    dc09 = place.unit()
    refused = act(http, "issue_device_tokens", [dc09])
    assert refused.status_code == 302
    assert "Only units on the HTTPS API" in http.get(UNITS).text
    assert fresh(dc09).api_token is None
