"""The visits back office in Chromium: a team leader opens the team's day, corrects a flagged
visit with a reason (the original kept and shown), works a flag and approves the period; a
care worker sees and corrects only their own visits; after the lock date a correction is
refused with a message that says why."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from trygg.core.constants import Role
from trygg.core.models import Client, Provider, Team, User
from trygg.core.tests.factories import (
    ClientFactory,
    GrantedServiceFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    make_staff,
)
from trygg.devices.tags import place_tag
from trygg.lib import tagcodes
from trygg.visits import periods
from trygg.visits.models import FlagKind, Visit, VisitApproval, VisitCorrection
from trygg.visits.services import Registrar
from trygg.visits.sync import sync

from .support import Session

pytestmark = pytest.mark.browser


@dataclass
class Office:
    provider: Provider
    team: Team
    leader: User
    worker: User
    colleague: User
    admin: User
    day: dt.date
    short: Visit  # the worker's, two minutes: flagged very short
    untagged: Visit  # the worker's, without the tag: flagged
    theirs: Visit  # the colleague's


def _register(
    staff: User, client: Client, start: dt.datetime, minutes: int, code: str | None
) -> Visit:
    end = start + dt.timedelta(minutes=minutes)
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "client_id": client.pk,
        "tasks": ["PERS"],
        "arrival": {"at": start.isoformat(), "by": "tag", "tag": code},
        "departure": {"at": end.isoformat(), "by": "tag", "tag": code},
    }
    if code is None:
        item["arrival"] = {"at": start.isoformat(), "by": "none"}
        item["departure"] = {"at": end.isoformat(), "by": "none"}
        item["no_tag_reason"] = "tag_missing"
    received = end + dt.timedelta(minutes=5)
    [answer] = sync(Registrar.for_user(staff), received, [item], received_at=received).items
    assert answer.status == "accepted", answer.reason
    return Visit.objects.get(pk=answer.visit_id)


@pytest.fixture
def office(transactional_db: None) -> Office:
    provider = ProviderFactory(name="Hemtjänst Väst")
    municipality = provider.municipality
    team = TeamFactory(provider=provider, name="Väster")
    care = ServiceTypeFactory(municipality=municipality, code="PERS", name="Personlig omvårdnad")
    tech = make_staff(Role.WELFARE_TECH, municipality=municipality)
    clients = []
    for n, (first, last) in enumerate(
        [("Greta", "Gustavsson"), ("Harald", "Holmqvist"), ("Ingrid", "Isaksson")]
    ):
        client = ClientFactory(
            provider=provider,
            team=team,
            first_name=first,
            last_name=last,
            street=f"Västergatan {n + 1}",
            start_date=dt.date(2024, 1, 1),
        )
        GrantedServiceFactory(client=client, service_type=care, provider=provider)
        clients.append(client)
    codes = []
    for client in clients[:2]:
        code = tagcodes.generate()
        place_tag(tech, client, code=code, placed_on=dt.date(2024, 2, 1))
        codes.append(code)
    worker = make_staff(
        Role.CARE_WORKER, provider=provider, teams=[team], first_name="Vera", last_name="Ek"
    )
    colleague = make_staff(
        Role.CARE_WORKER, provider=provider, teams=[team], first_name="Kim", last_name="Ås"
    )
    # Two days ago, whatever the weekday: a day the team leader reviews and approves.
    day = municipality.today() - dt.timedelta(days=2)
    at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=municipality.zone)
    return Office(
        provider=provider,
        team=team,
        leader=make_staff(
            Role.TEAM_LEADER, provider=provider, teams=[team], first_name="Lena", last_name="Lund"
        ),
        worker=worker,
        colleague=colleague,
        admin=make_staff(Role.MUNICIPAL_ADMIN, municipality=municipality),
        day=day,
        short=_register(worker, clients[0], at, 2, codes[0]),
        untagged=_register(worker, clients[2], at + dt.timedelta(hours=1), 30, None),
        theirs=_register(colleague, clients[1], at + dt.timedelta(hours=2), 25, codes[1]),
    )


def flags(visit: Visit) -> set[str]:
    return set(visit.flags.filter(cleared_at__isnull=True).values_list("kind", flat=True))


def test_a_team_leader_corrects_works_the_flags_and_approves_the_day(
    browser_session: Session, office: Office
) -> None:
    assert flags(office.short) == {FlagKind.SHORT}
    assert FlagKind.NO_TAG in flags(office.untagged)
    page = browser_session.new_page()
    browser_session.login(page, office.leader)
    day = office.day.isoformat()
    browser_session.goto(
        page, f"/visits/list/?team={office.team.pk}&first={day}&last={day}", "team-day"
    )
    short_row = page.locator(f"#visit-{office.short.pk}")
    expect(short_row).to_contain_text("Mycket kort besök")
    expect(page.locator(f"#visit-{office.theirs.pk}")).to_contain_text("Kim Ås")

    # The visit was longer than the phone says: the leader corrects the time of leaving.
    short_row.get_by_role("link", name="Rätta").click()
    expect(page.get_by_role("heading", name="Rätta besöket")).to_be_visible()
    page.locator("#id_left").fill("09:25")
    page.locator("#id_reason").select_option("forgot_scan")
    page.locator("#id_note").fill("Glömde skanna vid hemgång")
    browser_session.shot(page, "correcting")
    page.get_by_role("button", name="Spara rättelsen").click()
    expect(page.locator(".messages")).to_contain_text("Besöket är rättat.")
    history = page.locator("#history").locator("..")
    expect(history).to_contain_text("Glömde skanna vid hemgång")
    # The original is kept and shown beside the new time.
    expect(history.locator("del").first).to_contain_text("09:02")
    expect(history.locator("ins").first).to_contain_text("09:25")
    browser_session.shot(page, "corrected-visit")
    office.short.refresh_from_db()
    assert office.short.minutes == 25
    assert flags(office.short) == set()  # no longer short: the correction settled it
    correction = VisitCorrection.objects.get(visit=office.short)
    assert correction.by == office.leader

    # The visit without a tag: the leader checked with the care worker and clears the flag.
    browser_session.goto(
        page, f"/visits/review/?team={office.team.pk}&first={day}&last={day}", "review"
    )
    rows = page.locator("tr[id^=flag-]")
    expect(rows).to_have_count(len(flags(office.untagged)))
    for row in rows.all():
        row.locator("input[type=checkbox]").check()
    page.locator("input[name=note]").fill("Taggen satt löst, ny beställd")
    page.get_by_role("button", name="Kvittera valda flaggor").click()
    expect(page.locator(".messages")).to_contain_text("kvitterade")
    expect(page.locator("tr[id^=flag-]")).to_have_count(0)
    assert flags(office.untagged) == set()

    # The day is reviewed: approve it.
    page.goto(f"/visits/approvals/?team={office.team.pk}&first={day}&last={day}")
    page.get_by_role("button", name="Attestera 3 besök").click()
    expect(page.locator(".messages")).to_contain_text("Väster")
    browser_session.shot(page, "approved")
    approval = VisitApproval.objects.get(team=office.team)
    assert (approval.first_day, approval.last_day, approval.approved_by) == (
        office.day,
        office.day,
        office.leader,
    )
    assert set(Visit.objects.filter(approval=approval).values_list("pk", flat=True)) == {
        office.short.pk,
        office.untagged.pk,
        office.theirs.pk,
    }


def test_a_care_worker_corrects_only_their_own_and_not_after_the_lock_date(
    browser_session: Session, office: Office
) -> None:
    page = browser_session.new_page(phone=True)
    browser_session.login(page, office.worker)
    browser_session.goto(page, f"/visits/mine/?day={office.day.isoformat()}", "my-visits")
    expect(page.locator(f"#visit-{office.short.pk}")).to_be_visible()
    expect(page.locator(f"#visit-{office.untagged.pk}")).to_be_visible()
    expect(page.locator(f"#visit-{office.theirs.pk}")).to_have_count(0)

    # A colleague's visit is not theirs to correct.
    response = page.goto(f"/visits/{office.theirs.pk}/correct/")
    assert response is not None
    assert response.status in (403, 404)

    browser_session.goto(page, f"/visits/{office.untagged.pk}/correct/", "correct-own")
    page.locator("#id_arrived").fill("10:05")
    page.locator("#id_reason").select_option("wrong_time")
    page.get_by_role("button", name="Spara rättelsen").click()
    expect(page.locator(".messages")).to_contain_text("Besöket är rättat.")
    browser_session.shot(page, "own-corrected")
    office.untagged.refresh_from_db()
    assert office.untagged.started_at.astimezone(office.provider.municipality.zone).time() == (
        dt.time(10, 5)
    )

    # The form is open when the provider's lock date passes the day: saving is refused.
    browser_session.goto(page, f"/visits/{office.short.pk}/correct/", "correct-before-lock")
    page.locator("#id_left").fill("09:20")
    page.locator("#id_reason").select_option("wrong_time")
    periods.set_lock_date(office.admin, office.provider, office.day)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Spara rättelsen").click()
    assert answer.value.status == 400
    refusal = page.locator("main .notice.bad")
    expect(refusal).to_contain_text(f"till och med {office.day.isoformat()} är låsta")
    expect(refusal).to_contain_text("Kommunens administratör kan öppna perioden igen")
    browser_session.shot(page, "refused-after-lock")
    office.short.refresh_from_db()
    assert office.short.minutes == 2
    assert not VisitCorrection.objects.filter(visit=office.short).exists()

    # Opened again, the page says the day is locked and offers no form.
    browser_session.goto(page, f"/visits/{office.short.pk}/correct/", "locked")
    expect(page.locator("main .notice.bad")).to_contain_text("låsta")
    expect(page.get_by_role("button", name="Spara rättelsen")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
