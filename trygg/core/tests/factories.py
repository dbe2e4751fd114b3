"""factory_boy factories for tests: synthetic people with valid-format test national ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from trygg.core.constants import (
    ConsentRelation,
    Country,
    Period,
    ProviderKind,
    Role,
    ServiceCategory,
    Technology,
)
from trygg.core.models import (
    Client,
    Consent,
    GrantedService,
    Municipality,
    Provider,
    RoleAssignment,
    ServiceType,
    Team,
    User,
)
from trygg.lib.national_ids import luhn_check_digit, make_swedish

TEST_PASSWORD = "trygg-test-password"


def swedish_org_number(n: int) -> str:
    nine = f"55{n:07d}"
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Testkommun {n}")
    # 9000-9899, round again after 900: a code has four digits, a whole test run makes
    # more municipalities than that (each test rolls back its own), and 99xx is left for
    # the demo and the city-scale seed.
    code = factory.Sequence(lambda n: f"{9000 + n % 900:04d}")
    country = Country.SWEDEN
    time_zone = "Europe/Stockholm"


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Omsorg {n} AB")
    org_number = factory.Sequence(swedish_org_number)
    kind = ProviderKind.PRIVATE


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    code = factory.Sequence(lambda n: f"T{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.django.Password(TEST_PASSWORD)


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    provider = factory.SubFactory(ProviderFactory)
    municipality = factory.SelfAttribute("provider.municipality")
    case_system_id = factory.Sequence(lambda n: f"CS{n:06d}")
    national_id = factory.Sequence(
        lambda n: make_swedish(dt.date(1930, 1, 1) + dt.timedelta(days=n * 7), n % 1000)
    )
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    street = factory.Sequence(lambda n: f"Testgatan {n + 1}")
    postal_code = "123 45"
    city = "Teststad"
    phone = "070-000 00 00"
    door_code = "1234"
    start_date = dt.date(2024, 1, 1)


class ServiceTypeFactory(DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("municipality", "code")

    municipality = factory.SubFactory(MunicipalityFactory)
    code = "PERS"
    name = "Personlig omvårdnad"
    category = ServiceCategory.PERSONAL_CARE


class GrantedServiceFactory(DjangoModelFactory):
    class Meta:
        model = GrantedService

    client = factory.SubFactory(ClientFactory)
    service_type = factory.SubFactory(
        ServiceTypeFactory, municipality=factory.SelfAttribute("..client.municipality")
    )
    provider = factory.SelfAttribute("client.provider")
    case_system_id = factory.Sequence(lambda n: f"INS{n:06d}")
    granted_minutes = 120
    period = Period.WEEK
    valid_from = dt.date(2024, 1, 1)


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    technology = Technology.SAFETY_ALARM
    given_by = factory.LazyAttribute(lambda c: c.client.full_name)
    relation = ConsentRelation.CLIENT
    given_on = dt.date(2024, 1, 1)


def make_staff(
    role: Role,
    *,
    provider: Provider | None = None,
    municipality: Municipality | None = None,
    teams: list[Team] | None = None,
    **user_fields: Any,
) -> User:
    """A user holding one role, at a provider or at the municipality."""
    user = UserFactory(**user_fields)
    if municipality is None:
        assert provider is not None
        municipality = provider.municipality
    assignment = RoleAssignment.objects.create(
        user=user, role=role, municipality=municipality, provider=provider
    )
    if teams:
        assignment.teams.set(teams)
    return user
