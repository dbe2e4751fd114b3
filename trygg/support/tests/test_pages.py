"""The pages: who do I call now, the service catalogue and the call-out register, per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from trygg.core.models import User
from trygg.core.tests.factories import TeamFactory, UserFactory
from trygg.support.models import CallOut, Service

from .conftest import STOCKHOLM, TUESDAY_EVENING, Place

pytestmark = pytest.mark.django_db

Login = Callable[[User], HttpClient]
Freeze = Callable[[dt.datetime], None]
WHO = "/support/"
SERVICES = "/support/services/"
CALL_OUTS = "/support/call-outs/"
NEW_CALL_OUT = "/support/call-outs/new/"


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    for url in (WHO, SERVICES, CALL_OUTS, NEW_CALL_OUT):
        response = HttpClient().get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "who",
    [
        "care_worker",
        "team_leader",
        "provider_manager",
        "night_supervisor",
        "alarm_operator",
        "welfare_tech",
        "municipal_admin",
        "auditor",
    ],
)
def test_everyone_with_a_role_sees_who_to_call(place: Place, login: Login, who: str) -> None:
    response = login(place.people[who]).get(WHO)
    assert response.status_code == 200
    for system in ("visit_app", "locks", "alarms", "cameras"):
        assert f'id="system-{system}"' in response.text
    assert 'href="tel:' in response.text


def test_the_menu_has_support(place: Place, login: Login) -> None:
    response = login(place.people["care_worker"]).get(WHO)
    assert 'href="/support/" aria-current="page"' in response.text


def test_in_the_evening_the_care_worker_gets_their_districts_line(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    http = login(place.people["care_worker"])
    frozen_now(TUESDAY_EVENING)
    response = http.get(WHO)
    locks = response.text.split('id="system-locks"')[1].split("</section>")[0]
    assert "Larmorganisation Norr" in locks
    assert 'href="tel:07017406' in locks
    assert "Använd reservnyckeln." in locks  # the backup key first
    # Then the lock fault line, its step's words with its number, its name not repeated.
    assert "Ring låsfellinjen <a" in locks
    assert "Ring låsfellinjen: Låsfellinjen" not in locks


def test_a_district_can_be_chosen(place: Place, login: Login, frozen_now: Freeze) -> None:
    http = login(place.people["care_worker"])
    frozen_now(TUESDAY_EVENING)
    response = http.get(WHO, {"district": place.soder.pk})
    locks = response.text.split('id="system-locks"')[1].split("</section>")[0]
    assert "Larmorganisation Söder" in locks


def test_no_district_gives_the_general_line(place: Place, login: Login, frozen_now: Freeze) -> None:
    http = login(place.people["care_worker"])
    frozen_now(TUESDAY_EVENING)
    response = http.get(WHO, {"district": ""})
    locks = response.text.split('id="system-locks"')[1].split("</section>")[0]
    assert "Nattpatrullen" in locks


def test_another_municipalitys_district_is_refused(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    elsewhere = TeamFactory(name="Annanstans")
    http = login(place.people["care_worker"])
    frozen_now(TUESDAY_EVENING)
    response = http.get(WHO, {"district": elsewhere.pk})
    assert response.status_code == 200
    assert 'class="form-error"' in response.text
    assert "Nattpatrullen" in response.text


def test_the_camera_card_shows_the_call_out_fee_out_of_hours(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    http = login(place.people["night_supervisor"])
    frozen_now(TUESDAY_EVENING)
    response = http.get(WHO)
    cameras = response.text.split('id="system-cameras"')[1].split("</section>")[0]
    assert "Nattöga service" in cameras
    # Money as Swedes write it, on one line: "9 800 kr", not "SEK 9 800".
    assert "Utryckningsavgift utanför kontorstid: 9\u00a0800\u00a0kr" in cameras
    assert "SEK" not in cameras
    assert 'class="badge bad wrap fee"' in cameras  # the badge that wraps instead of clipping


def test_during_opening_hours_the_support_line_answers(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    http = login(place.people["care_worker"])
    frozen_now(dt.datetime(2025, 3, 11, 10, 0, tzinfo=STOCKHOLM))
    response = http.get(WHO)
    locks = response.text.split('id="system-locks"')[1].split("</section>")[0]
    assert "Support besöksapp och lås" in locks
    assert "12:00" in locks  # open until lunch


def test_someone_without_a_role_sees_an_explanation(db: None, login: Login) -> None:
    response = login(UserFactory()).get(WHO)
    assert response.status_code == 200
    assert "Du har ingen roll i någon kommun" in response.text  # Swedish by default


def test_the_page_runs_a_bounded_number_of_queries(
    place: Place, login: Login, django_assert_max_num_queries: object
) -> None:
    http = login(place.people["care_worker"])
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        assert http.get(WHO).status_code == 200


# The catalogue --------------------------------------------------------------------------


def test_the_catalogue_shows_roles_hours_levels_and_fees(place: Place, login: Login) -> None:
    response = login(place.people["care_worker"]).get(SERVICES)
    assert response.status_code == 200
    text = response.text
    assert "Digital tillsyn (kamera och sensor)" in text
    assert "<dd>9\u00a0800\u00a0kr</dd>" in text
    assert "SEK" not in text
    assert "Nattöga AB driftcenter" in text
    assert str(place.people["welfare_tech"].get_full_name()) in text
    assert "07:00\u201316:00" in text
    assert "12:00\u201313:00" in text
    assert CALL_OUTS not in text  # no link for those who may not read the register


def test_the_catalogue_links_the_register_for_the_welfare_technology_team(
    place: Place, login: Login
) -> None:
    assert CALL_OUTS in login(place.people["welfare_tech"]).get(SERVICES).text


# The call-out register ----------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    ["care_worker", "team_leader", "provider_manager", "night_supervisor", "alarm_operator"],
)
def test_others_may_not_open_the_register(place: Place, login: Login, who: str) -> None:
    http = login(place.people[who])
    assert http.get(CALL_OUTS).status_code == 403
    assert http.get(NEW_CALL_OUT).status_code == 403


def test_auditors_read_the_register_but_do_not_record(place: Place, login: Login) -> None:
    http = login(place.people["auditor"])
    response = http.get(CALL_OUTS)
    assert response.status_code == 200
    assert "Kamera utan nätverk" in response.text
    assert NEW_CALL_OUT not in response.text
    assert http.get(NEW_CALL_OUT).status_code == 403
    assert http.post(NEW_CALL_OUT, {}).status_code == 403


@pytest.mark.parametrize("who", ["welfare_tech", "municipal_admin"])
def test_the_register_shows_totals_and_the_record_button(
    place: Place, login: Login, who: str
) -> None:
    response = login(place.people[who]).get(CALL_OUTS)
    assert response.status_code == 200
    assert NEW_CALL_OUT in response.text
    # 9 800 + 4 500 + 9 800, written as Swedes write money.
    assert "<dt>Totalt</dt><dd>24\u00a0100\u00a0kr</dd>" in response.text
    assert "SEK" not in response.text.split("<table", 1)[1].split("</table>", 1)[0]


def _form(place: Place, **overrides: str) -> dict[str, str]:
    cameras = Service.objects.get(municipality=place.municipality, system="cameras")
    data = {
        "service": str(cameras.pk),
        "at": "2025-03-10T23:15",
        "vendor": "Nattöga AB",
        "reason": "Kamera ur funktion under natten",
        "cost": "9 800,00",
        "currency": "SEK",
        "ordered_by": str(place.people["night_supervisor"].pk),
        "approved_by": str(place.people["welfare_tech"].pk),
        "note": "",
    }
    data.update(overrides)
    return data


def test_the_welfare_technology_team_records_a_call_out(place: Place, login: Login) -> None:
    http = login(place.people["welfare_tech"])
    assert http.get(NEW_CALL_OUT).status_code == 200
    before = CallOut.objects.count()
    response = http.post(NEW_CALL_OUT, _form(place))
    assert response.status_code == 302
    assert CallOut.objects.count() == before + 1
    call_out = CallOut.objects.order_by("-pk").first()
    assert call_out is not None
    assert call_out.cost == Decimal("9800.00")
    assert call_out.recorded_by == place.people["welfare_tech"]
    # Typed in Stockholm time: 23:15 CET is 22:15 UTC.
    assert call_out.at == dt.datetime(2025, 3, 10, 22, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cost", "-100"),
        ("cost", "tio tusen"),
        ("cost", "12.345"),
        ("currency", "EUR"),
        ("vendor", " "),
        ("at", "2099-01-01T10:00"),
        ("service", "999999"),
    ],
)
def test_bad_input_is_rejected(place: Place, login: Login, field: str, value: str) -> None:
    http = login(place.people["welfare_tech"])
    before = CallOut.objects.count()
    response = http.post(NEW_CALL_OUT, _form(place, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert CallOut.objects.count() == before


def test_a_service_of_another_municipality_cannot_be_chosen(place: Place, login: Login) -> None:
    from trygg.core.tests.factories import MunicipalityFactory
    from trygg.support import demo

    other = MunicipalityFactory(name="Annan kommun")
    demo.seed_demo(other)
    foreign = Service.objects.get(municipality=other, system="cameras")
    http = login(place.people["welfare_tech"])
    response = http.post(NEW_CALL_OUT, _form(place, service=str(foreign.pk)))
    assert response.status_code == 400
    assert "service" in response.context["form"].errors


def test_a_private_providers_staff_are_not_sent_to_the_municipal_on_call(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    http = login(place.people["care_worker"])  # the conftest's provider is private
    frozen_now(dt.datetime(2025, 3, 15, 23, 0, tzinfo=STOCKHOLM))
    response = http.get(WHO, HTTP_ACCEPT_LANGUAGE="sv")
    assert "070-174 06 21" not in response.text  # the on-call's number nowhere
    phones = response.text.split('id="system-phones"')[1].split("</section>")[0]
    assert "gäller bara kommunens egen personal" in phones
    assert "eget företags IT-support" in phones
    assert "Ingen linje är öppen nu" not in phones
    locks = response.text.split('id="system-locks"')[1].split("</section>")[0]
    assert "Larmorganisation Norr" in locks
    # The on-call is not theirs: said once above the cards, with where to turn instead.
    assert response.text.count("egen chef i beredskap") == 1
    assert 'class="card small not-for-caller"' in response.text


def test_municipal_staff_see_the_on_call_and_that_it_does_not_unlock_accounts(
    place: Place, login: Login, frozen_now: Freeze
) -> None:
    http = login(place.people["welfare_tech"])
    frozen_now(dt.datetime(2025, 3, 15, 23, 0, tzinfo=STOCKHOLM))
    response = http.get(WHO, HTTP_ACCEPT_LANGUAGE="sv")
    phones = response.text.split('id="system-phones"')[1].split("</section>")[0]
    assert "070-174 06 21" in phones
    assert "låser inte upp konton och byter inte lösenord" in phones
    assert "IT- och telefonisupport" in phones
    assert "mån 07:00" in phones


def test_the_catalogue_says_which_lines_serve_municipal_staff_only(
    place: Place, login: Login
) -> None:
    response = login(place.people["care_worker"]).get(SERVICES, HTTP_ACCEPT_LANGUAGE="sv")
    it_service = response.text.split("IT- och telefonisupport")[1].split("</dd>")[0]
    assert "Bara kommunens egen personal" in it_service
    assert "eget företags IT-support" in it_service
    assert "Låser inte upp konton och byter inte lösenord." in response.text


def test_an_out_of_hours_line_is_not_said_to_be_open_around_the_clock(
    place: Place, login: Login
) -> None:
    text = login(place.people["care_worker"]).get(SERVICES).text
    # The district's alarm organisation answers day and night but is offered only while
    # support is closed: tagged out-of-hours, it must not say "Dygnet runt".
    line = text.split("Larmorganisation Norr", 1)[1].split("</div>", 1)[0]
    assert "Jourlinje (utanför kontorstid)" in line
    assert "När supportlinjen är stängd" in line
    assert "Dygnet runt" not in line
    # A vendor line open around the clock still says so, once, not also in its name.
    vendor = text.split("Nattöga service", 1)[1].split("</div>", 1)[0]
    assert "Dygnet runt" in vendor
    assert "(dygnet runt)" not in text


def test_the_chooser_that_lists_teams_is_called_a_team_chooser(place: Place, login: Login) -> None:
    text = login(place.people["care_worker"]).get(WHO).text
    assert "Ditt arbetslag" in text
    assert "Inget arbetslag: de allmänna linjerna" in text
    assert "Distrikt" not in text
