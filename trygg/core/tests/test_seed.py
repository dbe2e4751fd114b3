"""`trygg seed --demo` and `--scale`: the promised data, a login per role, idempotent."""

from __future__ import annotations

import io
import socket
import time

from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import call_command
from django.db.models import F, Q
from django.test import TestCase, override_settings
from django.utils import timezone

from trygg.core import demo, scale
from trygg.core.constants import Role
from trygg.core.models import (
    AccessLogEntry,
    ApiToken,
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
from trygg.core.tokens import authenticate as authenticate_token
from trygg.devices.models import Phone
from trygg.lib import national_ids
from trygg.notifications.models import Notification
from trygg.outages.models import Outage
from trygg.servicedesk.models import Order
from trygg.support.models import SupportLine

from .factories import ProviderFactory

# Class-wide, so that setUpTestData hashes with the same fast hasher the tests check with.
FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


@FAST_HASHING
class DemoSeedTests(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = seed("--demo")

    def municipality(self) -> Municipality:
        return Municipality.objects.get(code=demo.DEMO_CODE)

    def test_it_creates_the_promised_organisation(self) -> None:
        municipality = self.municipality()
        providers = Provider.objects.filter(municipality=municipality)
        assert providers.count() == 3
        assert providers.filter(kind="municipal").count() == 1
        teams = Team.objects.filter(provider__municipality=municipality)
        # Four home-care teams, and the municipality's evening and night alarm patrols.
        assert teams.count() == 6
        assert teams.filter(provider__kind="municipal").count() == 4
        assert set(teams.filter(code__in=["KVALL", "NATT"]).values_list("code", flat=True)) == {
            "KVALL",
            "NATT",
        }
        for provider in providers:
            assert national_ids.parse_org_number(provider.org_number, "SE") == provider.org_number

    def test_it_creates_the_promised_people(self) -> None:
        municipality = self.municipality()
        clients = Client.objects.filter(municipality=municipality)
        assert clients.count() == demo.DEMO_CLIENTS
        assert demo.DEMO_CLIENTS == 400
        staff = User.objects.filter(role_assignments__municipality=municipality).distinct()
        assert staff.count() == demo.DEMO_STAFF
        assert demo.DEMO_STAFF >= 55
        today = timezone.localdate()
        assert clients.filter(end_date__lt=today).count() == demo.DEMO_ENDED_CLIENTS
        assert clients.filter(start_date__gt=today).count() == demo.DEMO_STARTING_CLIENTS
        assert clients.exclude(door_code="").exists()
        languages = set(clients.values_list("languages", flat=True))
        assert {"sv", "ar", "so"} <= languages
        assert all(c.city == demo.DEMO_CITY for c in clients)

    def test_every_client_has_granted_services_from_the_catalogue(self) -> None:
        municipality = self.municipality()
        assert ServiceType.objects.filter(municipality=municipality).count() == len(demo.CATALOGUE)
        without = Client.objects.filter(municipality=municipality, granted_services=None)
        assert not without.exists()
        services = GrantedService.objects.filter(client__municipality=municipality)
        assert not services.exclude(provider=F("client__provider")).exists()
        assert not services.exclude(service_type__municipality=municipality).exists()

    def test_some_consents_are_due_for_review(self) -> None:
        today = timezone.localdate()
        consents = Consent.objects.filter(client__municipality=self.municipality())
        due = consents.filter(review_on__lte=today, withdrawn_on__isnull=True).count()
        assert due > 0
        assert due < consents.count() // 4
        technologies = set(consents.values_list("technology", flat=True))
        assert {"safety_alarm", "camera_supervision", "digital_lock"} <= technologies

    def test_every_role_has_a_demo_login_with_the_shared_password(self) -> None:
        roles_with_login = set()
        for login in demo.demo_logins():
            user = authenticate(username=login.username, password=demo.DEMO_PASSWORD)
            assert user is not None, login.username
            roles_with_login.update(
                RoleAssignment.objects.filter(user=user).values_list("role", flat=True)
            )
            assert login.username in self.output
        assert roles_with_login == set(Role.values)

    def test_national_ids_are_valid_and_unique(self) -> None:
        municipality = self.municipality()
        ids = list(
            Client.objects.filter(municipality=municipality).values_list("national_id", flat=True)
        )
        assert len(ids) == len(set(ids))
        coordination = 0
        for value in ids:
            parsed = national_ids.parse_national_id(value, "SE")
            assert parsed.canonical == value
            coordination += parsed.kind == national_ids.IdKind.SAMORDNINGSNUMMER
        assert coordination > 0
        for value in User.objects.filter(role_assignments__municipality=municipality).values_list(
            "national_id", flat=True
        ):
            national_ids.parse_national_id(value, "SE")

    def test_some_staff_are_clients_and_the_access_log_flags_reads(self) -> None:
        municipality = self.municipality()
        staff_ids = set(
            User.objects.filter(role_assignments__municipality=municipality).values_list(
                "national_id", flat=True
            )
        )
        shared = Client.objects.filter(municipality=municipality, national_id__in=staff_ids)
        assert shared.count() == demo.DEMO_STAFF_WHO_ARE_CLIENTS
        log = AccessLogEntry.objects.filter(client__municipality=municipality)
        assert log.count() > 200
        assert log.filter(colleague_record=True).exists()
        assert log.filter(own_record=True).exists()
        assert log.filter(outside_teams=True).exists()
        assert log.filter(action="door_code").exists()

    def test_it_makes_one_import_token_and_prints_it_once(self) -> None:
        tokens = ApiToken.objects.filter(municipality=self.municipality())
        assert tokens.count() == 1
        token = tokens.get()
        assert token.has_scope("import")
        plain = next(w for w in self.output.split() if w.startswith("trg_"))
        assert authenticate_token(plain) == token

    def test_a_second_run_adds_nothing_and_prints_the_logins_again(self) -> None:
        models = (
            User,
            Client,
            GrantedService,
            Consent,
            AccessLogEntry,
            ApiToken,
            Order,
            Phone,
            Outage,
            SupportLine,
            Notification,
        )
        counts = [m.objects.count() for m in models]
        output = seed("--demo")
        assert counts == [m.objects.count() for m in models]
        assert "revisor" in output
        assert "trg_" not in output

    def test_serve_shows_the_logins_again_once_the_server_answers(self) -> None:
        # `make demo` seeds, then serves: by the time the server is up, the logins `seed`
        # printed have scrolled away under its start-up lines.
        from trygg.management.commands.serve import Command as Serve

        out = io.StringIO()
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            port = server.getsockname()[1]
            Serve(stdout=out)._announce_when_up("127.0.0.1", port)
            time.sleep(0.5)
            assert out.getvalue() == ""  # not listening yet: nothing said
            server.listen()
            deadline = time.monotonic() + 10
            while "revisor" not in out.getvalue() and time.monotonic() < deadline:
                time.sleep(0.05)
        text = out.getvalue()
        assert f"Trygg is up: http://127.0.0.1:{port}/" in text
        assert f"password {demo.DEMO_PASSWORD!r}" in text
        assert all(login.username in text for login in demo.demo_logins())

    def test_every_app_fills_in_its_part(self) -> None:
        municipality = self.municipality()
        orders = Order.objects.filter(municipality=municipality)
        assert orders.count() >= 20
        assert orders.filter(provider__kind="private").exists()  # private providers order too
        assert Phone.objects.filter(municipality=municipality).count() >= 30
        assert Outage.objects.filter(municipality=municipality).exists()
        assert SupportLine.objects.filter(municipality=municipality).exists()
        assert "orders" in self.output
        assert "phones" in self.output

    def test_no_e_mail_leaves_for_the_made_up_addresses(self) -> None:
        assert not mail.outbox
        assert "Content-Type:" not in self.output
        # ... while the in-app messages are there to look at.
        assert Notification.objects.filter(recipient__username="teamledare").exists()

    def test_the_care_worker_login_sees_only_their_providers_clients(self) -> None:
        assert self.client.login(username="omsorg", password=demo.DEMO_PASSWORD)
        response = self.client.get("/clients/")
        assert response.status_code == 200
        other = Client.objects.filter(
            municipality=self.municipality(), provider__kind="private"
        ).first()
        assert other is not None
        assert self.client.get(f"/clients/{other.pk}/").status_code == 404


@FAST_HASHING
class ScaleSeedTests(TestCase):
    def test_a_small_scale_run_creates_what_it_says_and_only_once(self) -> None:
        size = scale.SCALES["small"].with_(clients=120, staff=40, log_rows=1500)
        output = seed("--scale", "small", "--clients", "120", "--staff", "40", "--log-rows", "1500")
        municipality = Municipality.objects.get(code=size.code)
        assert Client.objects.filter(municipality=municipality).count() == 120
        staff = User.objects.filter(role_assignments__municipality=municipality).distinct()
        assert staff.count() == 40
        assert Provider.objects.filter(municipality=municipality).count() == 3
        assert Team.objects.filter(provider__municipality=municipality).count() == 6
        log = AccessLogEntry.objects.filter(client__municipality=municipality)
        assert log.count() == 1500
        assert log.filter(Q(outside_teams=True) | Q(colleague_record=True)).exists()
        assert GrantedService.objects.filter(
            client__municipality=municipality, period="week"
        ).exists()
        for persona in scale.PERSONAS.values():
            username = scale.persona(size, persona)
            assert username in output
            assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None
        before = Client.objects.count()
        assert "already there" in seed("--scale", "small")
        assert Client.objects.count() == before


@FAST_HASHING
class TokenCommandTests(TestCase):
    def test_it_creates_a_provider_token_and_prints_it_once(self) -> None:
        provider = ProviderFactory()
        out = io.StringIO()
        call_command(
            "token",
            "create",
            "--name",
            "Norrsken import",
            "--municipality",
            provider.municipality.code,
            "--provider",
            provider.org_number.replace("-", ""),
            "--scopes",
            "import, read",
            stdout=out,
        )
        plain = out.getvalue().split()[-1]
        token = authenticate_token(plain)
        assert token is not None
        assert (token.provider, token.scopes) == (provider, "import read")
        listing = io.StringIO()
        call_command("token", "list", stdout=listing)
        assert token.prefix in listing.getvalue()
        assert plain not in listing.getvalue()
