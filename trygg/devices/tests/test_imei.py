"""IMEI parsing with its Luhn check digit, and uniqueness per municipality."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from trygg.devices import services
from trygg.devices.identifiers import InvalidIdentifier, luhn_check_digit, make_imei, parse_imei
from trygg.devices.models import Phone

from .conftest import World


def test_it_accepts_a_valid_imei_in_printed_forms() -> None:
    assert parse_imei("490154203237518") == "490154203237518"
    assert parse_imei("49-015420-323751-8") == "490154203237518"
    assert parse_imei(" 49 015420 323751 8 ") == "490154203237518"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("490154203237517", "last digit"),
        ("49015420323751", "15 digits"),
        ("4901542032375180", "IMEISV"),
        ("49015420323751X", "digits only"),
        ("", "digits only"),
        ("٤٩٠١٥٤٢٠٣٢٣٧٥١٨", "digits only"),
    ],
)
def test_it_rejects_bad_imeis_with_a_message(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        parse_imei(text)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_a_made_imei_parses_and_any_other_last_digit_does_not(payload: str) -> None:
    imei = make_imei(payload)
    assert parse_imei(imei) == imei
    wrong = (luhn_check_digit(payload) + 1) % 10
    with pytest.raises(InvalidIdentifier):
        parse_imei(payload + str(wrong))


@pytest.mark.django_db
def test_one_imei_once_per_municipality(world: World) -> None:
    phone = world.phone()
    with pytest.raises(services.PhoneError, match="already registered"):
        services.register_phone(
            world.tech, world.other_provider, imei=phone.imei, model_name="Other"
        )
    assert Phone.objects.count() == 1


@pytest.mark.django_db
def test_model_clean_checks_the_imei(world: World) -> None:
    phone = Phone(
        municipality=world.municipality, provider=world.provider, model_name="X", imei="123"
    )
    with pytest.raises(ValidationError) as info:
        phone.full_clean()
    assert "imei" in info.value.message_dict
