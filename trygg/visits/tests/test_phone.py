"""The staff phone's visit app as the server serves it: a page without client data that the
service worker keeps for offline use, the link on every tag, the menu entry, the alarm's
"Register visit" link and what the day's list tells the phone."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind, AlarmStatus
from trygg.core.constants import Role
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    ServiceTypeFactory,
    make_staff,
)
from trygg.devices.models import AlarmProtocol
from trygg.devices.services import register_alarm_unit

from .conftest import Place

pytestmark = pytest.mark.django_db
APP = "/visits/phone/"


def login(user: object, language: str = "sv") -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)  # type: ignore[arg-type]
    return http


def strings(page: str) -> dict[str, str]:
    found = re.search(r'<script id="visit-strings" type="application/json">(.*?)</script>', page)
    assert found, "the page carries its words for the script"
    return dict(json.loads(found.group(1)))


def main(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_app_page_is_kept_for_offline_use_and_holds_no_client_data(place: Place) -> None:
    response = login(place.worker).get(APP)
    assert response.status_code == 200
    assert response["X-Trygg-Offline"] == "keep"
    assert response["X-Trygg-Offline-Also"] == "/t/"
    assert response["Cache-Control"] == "private, no-cache"
    page = response.content.decode()
    assert f'data-user="{place.worker.pk}"' in page
    assert 'data-day-url="/api/v1/visits/day"' in page
    assert 'data-sync-url="/api/v1/visits/sync"' in page
    assert '<meta name="trygg-offline" content="keep">' in page
    # Nothing about the clients: names, streets and tag codes come from the API alone.
    for client in (place.client, place.second_client):
        assert client.last_name not in main(page)
        assert client.street not in main(page)
    assert place.tag.code not in page


def test_the_app_speaks_the_person_s_language(place: Place) -> None:
    swedish = login(place.worker, "sv").get(APP).content.decode()
    assert strings(swedish)["waiting"] == "Väntar: {count}"
    assert "Skanna taggen" in swedish
    norwegian = login(place.worker, "nb").get(APP).content.decode()
    assert strings(norwegian)["waiting"] == "Venter: {count}"
    english = login(place.worker, "en").get(APP).content.decode()
    assert strings(english)["waiting"] == "Waiting: {count}"
    assert "Scan the tag" in english


def test_the_reasons_for_no_tag_are_offered(place: Place) -> None:
    page = login(place.worker, "en").get(APP).content.decode()
    for value in ("tag_missing", "phone_fault", "outside_home", "forgot", "other"):
        assert f'value="{value}"' in page


def test_only_staff_of_a_provider_open_the_app(place: Place) -> None:
    assert login(place.leader).get(APP).status_code == 200
    assert login(place.manager).get(APP).status_code == 200
    assert login(place.welfare_tech).get(APP).status_code == 403
    anonymous = HttpClient().get(APP)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")


def test_the_menu_offers_the_app_next_to_my_alarms(place: Place) -> None:
    page = login(place.worker, "en").get("/").content.decode()
    menu = page.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{APP}"' in menu
    assert menu.index("My alarms") < menu.index("Register visits") < menu.index("Clients")
    tech = login(place.welfare_tech, "en").get("/").content.decode()
    assert f'href="{APP}"' not in tech


@override_settings(DEBUG=False)
def test_pretending_to_scan_is_for_the_demo_only(place: Place) -> None:
    assert 'id="demo-form"' not in login(place.worker).get(APP).content.decode()
    place.municipality.code = "9999"  # the demo municipality's (core.demo.DEMO_CODE)
    place.municipality.save(update_fields=["code"])
    assert 'id="demo-form"' in login(place.worker).get(APP).content.decode()


@override_settings(DEBUG=True)
def test_a_developer_may_pretend_to_scan(place: Place) -> None:
    assert 'id="demo-form"' in login(place.worker).get(APP).content.decode()


# The link on the tag -------------------------------------------------------------------


def test_the_tag_s_link_opens_the_app_with_the_tag_scanned(place: Place) -> None:
    typed = place.tag.code.replace("-", "").lower()
    response = login(place.worker).get(f"/t/{typed}")
    assert response.status_code == 302
    assert response["Location"] == f"{APP}?tag={place.tag.code}"


def test_the_tag_s_link_asks_a_stranger_to_log_in_first(place: Place) -> None:
    response = HttpClient().get(f"/t/{place.tag.code}")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/t/{place.tag.code}"


def test_a_mistyped_link_still_lands_in_the_app_which_says_what_is_wrong(place: Place) -> None:
    response = login(place.worker).get("/t/7K3M-Q9XA")
    assert response["Location"] == f"{APP}?tag=7K3M-Q9XA"


def test_someone_who_registers_no_visits_learns_what_the_tag_is(place: Place) -> None:
    http = login(place.welfare_tech, "en")
    response = http.get(f"/t/{place.tag.code}", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "a Trygg tag at a client's door" in html.unescape(response.content.decode())


# The alarm's "Register visit" ------------------------------------------------------------


def _alarm(place: Place, **fields: object) -> Alarm:
    unit = register_alarm_unit(
        place.welfare_tech,
        place.municipality,
        serial_number="SN-1",
        model_name="Testlarm",
        protocol=AlarmProtocol.DC09,
        heartbeat_interval=300,
        dc09_account="A123",
    )
    return Alarm.objects.create(
        municipality=place.municipality,
        unit=unit,
        client=place.client,
        provider=place.provider,
        team=place.north,
        kind=AlarmKind.ALARM,
        category=AlarmCategory.CARE,
        routed_at=timezone.now(),
        **fields,
    )


def test_the_alarm_the_person_took_links_to_its_visit(place: Place) -> None:
    alarm = _alarm(place, status=AlarmStatus.ACKNOWLEDGED, assigned_to=place.worker)
    link = f"{APP}?alarm={alarm.pk}&amp;client={place.client.pk}"
    phone = login(place.worker, "en").get(reverse("alarms:phone")).content.decode()
    assert link in phone
    assert "Register visit" in phone
    detail = login(place.worker, "en").get(reverse("alarms:detail", args=[alarm.pk]))
    assert link in detail.content.decode()


def test_an_alarm_nobody_took_or_someone_else_took_has_no_visit_link(place: Place) -> None:
    _alarm(place)
    phone = login(place.worker, "en").get(reverse("alarms:phone")).content.decode()
    assert "?alarm=" not in phone
    Alarm.objects.update(status=AlarmStatus.ACKNOWLEDGED, assigned_to=place.colleague)
    phone = login(place.worker, "en").get(reverse("alarms:phone")).content.decode()
    assert "?alarm=" not in phone


# What the day's list tells the phone ---------------------------------------------------


def test_the_day_names_its_person_and_the_colleagues_to_go_with(place: Place) -> None:
    elsewhere = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[place.south])
    body = login(place.worker).get("/api/v1/visits/day").json()
    assert body["user"] == {"id": place.worker.pk, "name": place.worker.get_full_name()}
    ids = {person["id"] for person in body["colleagues"]}
    assert place.colleague.pk in ids
    assert place.leader.pk in ids
    assert place.worker.pk not in ids
    assert elsewhere.pk not in ids  # another team
    assert place.stranger.pk not in ids  # another provider


def test_the_day_leaves_out_clients_who_have_left(place: Place) -> None:
    gone = ClientFactory(
        provider=place.provider,
        team=place.north,
        start_date=dt.date(2020, 1, 1),
        end_date=place.municipality.today() - dt.timedelta(days=3),
    )
    GrantedServiceFactory(client=gone, service_type=place.personal_care, provider=place.provider)
    ids = {c["id"] for c in login(place.worker).get("/api/v1/visits/day").json()["clients"]}
    assert place.client.pk in ids
    assert gone.pk not in ids


# The service worker ----------------------------------------------------------------------


def test_the_worker_forgets_the_session_s_data_on_logout() -> None:
    script = HttpClient().get(reverse("front:service_worker")).content.decode()
    assert f'LOGOUT_URL = "{reverse("logout")}"' in script
    assert 'SESSION_DATABASES = "trygg-session-"' in script
    assert 'headers.get("X-Trygg-Offline") === "keep"' in script
    assert 'STATIC_PREFIX = "/static/"' in script


def test_the_safety_alarm_is_the_task_of_a_visit_after_an_alarm_only(place: Place) -> None:
    alarm_service = ServiceTypeFactory(
        municipality=place.municipality, code="LARM", name="Trygghetslarm", category="safety_alarm"
    )
    GrantedServiceFactory(client=place.client, service_type=alarm_service, provider=place.provider)
    clients = login(place.worker).get("/api/v1/visits/day").json()["clients"]
    services = {
        s["code"]: s for s in next(c for c in clients if c["id"] == place.client.pk)["services"]
    }
    assert (services["PERS"]["planned"], services["PERS"]["on_alarm"]) == (True, False)
    assert (services["LARM"]["planned"], services["LARM"]["on_alarm"]) == (False, True)
