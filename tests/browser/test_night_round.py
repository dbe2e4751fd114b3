"""The night round in Chromium: a look-in done by camera on a phone, one missed and raised
to the alarm console (escalated when nobody acknowledges it), and a camera session refused
outside the agreed window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from trygg.alarms import dispatch
from trygg.alarms.models import Alarm, AlarmPolicy, EscalationLevel, ResponderShift
from trygg.core.constants import Role
from trygg.core.models import Client, User
from trygg.core.tests.factories import ClientFactory, ProviderFactory, TeamFactory, make_staff
from trygg.devices.models import AlarmProtocol, AlarmUnitKind
from trygg.devices.services import place_unit, register_alarm_unit
from trygg.supervision.constants import LookInStatus, Outcome, RefusalReason
from trygg.supervision.models import CameraSession, LookIn, SupervisionPlan
from trygg.supervision.schedule import raise_missed

from .support import Session

pytestmark = pytest.mark.browser


@dataclass
class Ward:
    night_worker: User
    operator: User
    clients: list[Client]
    lookins: list[LookIn]  # due now, window closed, due in an hour


@pytest.fixture
def ward(transactional_db: None) -> Ward:
    provider = ProviderFactory(name="Hemtjänst Natt")
    municipality = provider.municipality
    team = TeamFactory(provider=provider, name="Nattpatrullen")
    ResponderShift.objects.create(
        municipality=municipality, name="Dygnet", team=team, starts=dt.time(0), ends=dt.time(0)
    )
    AlarmPolicy.objects.create(municipality=municipality, acknowledge_within=10, remind_every=10)
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    night_worker = make_staff(
        Role.NIGHT_SUPERVISOR, provider=provider, teams=[team], first_name="Nora", last_name="Natt"
    )
    operator = make_staff(Role.ALARM_OPERATOR, municipality=municipality)
    now = timezone.now()
    clients, lookins = [], []
    for n, (first, last, minutes) in enumerate(
        [("Astrid", "Ahlgren", -2), ("Bertil", "Berglöf", -40), ("Cecilia", "Cederholm", 60)]
    ):
        client = ClientFactory(provider=provider, team=team, first_name=first, last_name=last)
        camera = register_alarm_unit(
            tech,
            municipality,
            serial_number=f"KAM-{n}",
            model_name="Simulerad IR-kamera",
            protocol=AlarmProtocol.API,
            kind=AlarmUnitKind.SAFETY_CAMERA,
            heartbeat_interval=0,
        )
        placement = place_unit(tech, camera, client=client, active_from=dt.date(2026, 1, 1))
        plan = SupervisionPlan.objects.create(
            municipality=municipality,
            client=client,
            provider=provider,
            camera=camera,
            placement=placement,
            start_date=dt.date(2026, 1, 2),
            installed_on=dt.date(2026, 1, 1),
            installed_by=tech,
            journal_confirmed_at=now - dt.timedelta(days=30),
            decision="B-1",
            sign_placement="Hallen",
        )
        at = now + dt.timedelta(minutes=minutes)
        lookins.append(
            LookIn.objects.create(
                plan=plan,
                municipality=municipality,
                client=client,
                team=team,
                night=municipality.local_date(now),
                scheduled_at=at,
                window_ends_at=at + dt.timedelta(minutes=30),
            )
        )
        clients.append(client)
    return Ward(night_worker, operator, clients, lookins)


def test_a_night_round_done_missed_and_refused(browser_session: Session, ward: Ward) -> None:
    done, missed, later = ward.lookins
    phone = browser_session.new_page(phone=True)
    browser_session.login(phone, ward.night_worker)
    browser_session.goto(phone, "/supervision/round/", "round")
    expect(phone.locator(f"#lookin-{done.pk}")).to_be_visible()
    expect(phone.locator(f"#lookin-{later.pk}")).to_contain_text("Cecilia Cederholm")

    # Done: look in by camera, see the picture, record "seen and fine".
    phone.locator(f"#lookin-{done.pk}").get_by_role("button", name="Titta in med kamera").click()
    picture = phone.locator("img.camera-view")
    expect(picture).to_be_visible()
    # The picture is drawn for the session: it loads (an SVG with a width of its own).
    phone.wait_for_function("document.querySelector('img.camera-view').naturalWidth > 0")
    browser_session.shot(phone, "camera")
    phone.get_by_label("Sedd och mår bra").check()
    phone.get_by_role("button", name="Spara").click()
    expect(phone.locator("ul.messages")).to_contain_text("Tillsynen är registrerad")
    done.refresh_from_db()
    assert done.status == LookInStatus.DONE
    assert done.outcome == Outcome.SEEN_FINE

    # Refused: the 60-minutes-ahead look-in's window has not opened.
    browser_session.goto(phone, f"/supervision/lookins/{later.pk}/", "later")
    phone.get_by_role("button", name="Titta in med kamera").click()
    expect(phone.locator("ul.messages")).to_contain_text("överenskomna tidsfönstret")
    browser_session.shot(phone, "refused")
    attempt = CameraSession.objects.get(lookin=later)
    assert attempt.refused == RefusalReason.OUTSIDE_WINDOW

    # Missed: the worker's check raises it; it reaches the console and escalates.
    assert raise_missed() == 1
    dispatch.dispatch_pending()
    alarm = Alarm.objects.get(pk=LookIn.objects.get(pk=missed.pk).alarm_id)
    dispatch.escalate_due(now=timezone.now() + dt.timedelta(minutes=5))
    dispatch.escalate_due(now=timezone.now() + dt.timedelta(minutes=10))
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.ALARM_CENTRE
    desk = browser_session.new_page()
    browser_session.login(desk, ward.operator)
    browser_session.goto(desk, "/alarms/", "console")
    row = desk.locator(f"#alarm-{alarm.pk}")
    expect(row).to_contain_text("Bertil Berglöf")
    expect(row).to_contain_text("Tillsyn inte gjord i tid")
    browser_session.shot(desk, "console")


def test_a_plan_with_a_faulty_camera_fits_a_phone(browser_session: Session, ward: Ward) -> None:
    """The fault badge is a sentence ("Faulty since ...: look-ins are visits"): on a phone it
    wraps instead of pushing the page wider than the screen."""
    plan = ward.lookins[0].plan
    SupervisionPlan.objects.filter(pk=plan.pk).update(camera_faulty_since=timezone.now())
    phone = browser_session.new_page(phone=True)
    browser_session.login(phone, ward.night_worker)
    browser_session.goto(phone, f"/supervision/plans/{plan.pk}/", "plan-faulty-phone")
    badge = phone.locator("dl.facts .badge.bad")
    expect(badge).to_contain_text("Trasig sedan")
    width = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert width <= 0, "the plan page scrolls sideways on a phone"
    box = badge.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
