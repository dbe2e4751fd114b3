"""The back office's pages: who opens which, what they show, that every client shown is
access-logged, that bad input is a 4xx with a message, and that providers never see each
other's visits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import make_staff
from trygg.visits import periods
from trygg.visits.models import FlagKind, PeriodLock, PeriodUnlock, Visit, VisitPolicy

from .conftest import NOON, Place
from .office import admin_of, auditor_of, flags_of, login, register

pytestmark = pytest.mark.django_db
CET = dt.timezone(dt.timedelta(hours=1))


def main(html: str) -> str:
    """The page's <main>: the header names the person logged in, not the page's data."""
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return found.group(1)


def logged(user_id: int, action: str) -> set[int]:
    return set(
        AccessLogEntry.objects.filter(user_id=user_id, action=action).values_list(
            "client_id", flat=True
        )
    )


# My visits ------------------------------------------------------------------------------


def test_my_visits_lists_the_week_by_day_and_logs_the_clients(place: Place) -> None:
    mine = register(place, minutes=2)
    theirs = register(place, staff=place.colleague, client=place.second_client)
    page = login(place.worker).get("/visits/mine/", {"day": "2026-12-02"})
    assert page.status_code == 200
    body = main(page.text)
    assert f'id="visit-{mine.pk}"' in body
    assert f'id="visit-{theirs.pk}"' not in body
    assert "Wednesday 2 December" in body
    assert "Very short visit" in body
    assert "Open and correct" in body
    assert logged(place.worker.pk, AccessAction.LIST) == {place.client.pk}


def test_a_week_without_visits_says_so_once(place: Place) -> None:
    """Seven headings each saying "no visits" tell nothing: an empty week says it once,
    and what the page is for."""
    register(place)
    page = login(place.worker).get("/visits/mine/", {"day": "2026-11-20"})
    body = main(page.text)
    assert 'id="week-empty"' in body
    assert "You registered no visits these seven days" in body
    assert "No visits registered." not in body
    week = login(place.worker).get("/visits/mine/", {"day": "2026-12-02"})
    assert 'id="week-empty"' not in main(week.text)


def test_my_visits_answers_a_bad_date_with_400(place: Place) -> None:
    page = login(place.worker).get("/visits/mine/", {"day": "9999-99-99"})
    assert page.status_code == 400
    assert "The filter was not understood" in page.text


def test_my_visits_is_for_provider_staff(place: Place) -> None:
    assert login(admin_of(place)).get("/visits/mine/").status_code == 403


# One visit ------------------------------------------------------------------------------


def test_a_visit_shows_its_history_and_is_logged(place: Place) -> None:
    visit = register(place)
    http = login(place.worker)
    response = http.post(
        f"/visits/{visit.pk}/correct/",
        {
            "action": "change",
            "client": place.client.pk,
            "day": "2026-12-02",
            "arrived": "12:00",
            "left": "12:45",
            "outcome": "performed",
            "tasks": ["PERS", "STAD"],
            "reason": "wrong_time",
            "note": "Glömde skanna ut",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/visits/{visit.pk}/"
    visit.refresh_from_db()
    assert (visit.minutes, visit.corrected) == (45, True)
    page = http.get(f"/visits/{visit.pk}/")
    body = main(page.text)
    assert "Wrong time" in body
    assert "Glömde skanna ut" in body
    assert "<del>2026-12-02 12:30</del> → <ins>2026-12-02 12:45</ins>" in body
    assert "<del>30</del> → <ins>45</ins>" in body
    assert place.client.pk in logged(place.worker.pk, AccessAction.DETAIL)


def test_a_correction_form_with_bad_input_is_a_400_with_the_reason(place: Place) -> None:
    visit = register(place)
    http = login(place.worker)
    data = {
        "action": "change",
        "client": place.client.pk,
        "day": "2026-12-02",
        "arrived": "12:00",
        "left": "12:30",
        "outcome": "performed",
        "tasks": ["PERS"],
        "reason": "wrong_time",
    }
    nothing = http.post(f"/visits/{visit.pk}/correct/", data)
    assert nothing.status_code == 400
    assert "Nothing was changed." in nothing.text
    no_tasks = http.post(f"/visits/{visit.pk}/correct/", {**data, "tasks": [], "left": "12:40"})
    assert no_tasks.status_code == 400
    assert "Tick at least one task that was performed." in no_tasks.text
    bad_time = http.post(f"/visits/{visit.pk}/correct/", {**data, "left": "25:99"})
    assert bad_time.status_code == 400
    other = http.post(
        f"/visits/{visit.pk}/correct/", {**data, "left": "12:40", "client": place.other_client.pk}
    )
    assert other.status_code == 400
    assert not visit.corrections.exists()


def test_a_visit_over_midnight_is_corrected_into_the_next_day(place: Place) -> None:
    visit = register(place, start=dt.datetime(2026, 12, 2, 23, 0, tzinfo=CET), minutes=20)
    response = login(place.worker).post(
        f"/visits/{visit.pk}/correct/",
        {
            "action": "change",
            "client": place.client.pk,
            "day": "2026-12-02",
            "arrived": "23:40",
            "left": "00:10",
            "outcome": "performed",
            "tasks": ["PERS"],
            "reason": "wrong_time",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.minutes == 30
    assert visit.ended_at == dt.datetime(2026, 12, 3, 0, 10, tzinfo=CET)


def test_striking_out_from_the_page(place: Place) -> None:
    visit = register(place)
    http = login(place.worker)
    response = http.post(
        f"/visits/{visit.pk}/correct/", {"action": "strike", "reason": "registered_twice"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.struck
    page = http.get(f"/visits/{visit.pk}/correct/")
    assert "Count the registration again" in page.text


def test_nobody_else_opens_or_corrects_a_visit(place: Place) -> None:
    visit = register(place)
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=place.other_provider)
    for outsider in (place.stranger, other_manager):
        http = login(outsider)
        assert http.get(f"/visits/{visit.pk}/").status_code == 404
        assert http.get(f"/visits/{visit.pk}/correct/").status_code == 404
        assert http.post(f"/visits/{visit.pk}/correct/", {"action": "strike"}).status_code == 404
    # A colleague in the same team does not see it; the auditor sees it but corrects nothing.
    assert login(place.colleague).get(f"/visits/{visit.pk}/").status_code == 404
    auditor = login(auditor_of(place))
    assert auditor.get(f"/visits/{visit.pk}/").status_code == 200
    assert auditor.get(f"/visits/{visit.pk}/correct/").status_code == 403


def test_a_locked_visit_shows_why_and_offers_no_correction(place: Place) -> None:
    visit = register(place)
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 31), set_by=place.manager
    )
    http = login(place.worker)
    page = main(http.get(f"/visits/{visit.pk}/").text)
    assert "Locked: the provider's visits through 2026-12-31 no longer change." in page
    assert f"/visits/{visit.pk}/correct/" not in page
    refused = http.post(
        f"/visits/{visit.pk}/correct/", {"action": "strike", "reason": "registered_twice"}
    )
    assert refused.status_code == 400
    assert "are locked and no longer change" in refused.text


def test_a_locked_visit_speaks_swedish_to_a_swedish_user(place: Place) -> None:
    visit = register(place)
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 31), set_by=place.manager
    )
    http = login(place.worker)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    refused = http.post(
        f"/visits/{visit.pk}/correct/", {"action": "strike", "reason": "registered_twice"}
    )
    assert refused.status_code == 400
    assert "Utförarens besök till och med 2026-12-31 är låsta" in refused.text


def test_the_team_leader_clears_a_flag_from_the_visit_page(place: Place) -> None:
    visit = register(place, minutes=200)
    flag = visit.flags.get()
    http = login(place.leader)
    missing_note = http.post(f"/visits/{visit.pk}/", {"flag": [flag.pk], "note": ""})
    assert missing_note.status_code == 400
    done = http.post(f"/visits/{visit.pk}/", {"flag": [flag.pk], "note": "Planerat långt besök"})
    assert done.status_code == 302
    assert flags_of(visit) == set()
    # The care worker sees the flag's note but no clearing form on their own visit.
    own = main(login(place.worker).get(f"/visits/{visit.pk}/").text)
    assert "Planerat långt besök" in own
    refused = login(place.worker).post(f"/visits/{visit.pk}/", {"flag": [flag.pk], "note": "x"})
    assert refused.status_code == 400


# The team's visits and the review --------------------------------------------------------


def test_the_team_leader_lists_the_teams_visits_with_filters(place: Place) -> None:
    north = register(place, minutes=200)
    colleague = register(place, staff=place.colleague, start=NOON + dt.timedelta(hours=2))
    south = register(place, client=place.south_client, start=NOON + dt.timedelta(hours=4))
    other = register(place, staff=place.stranger, client=place.other_client)
    http = login(place.leader)

    def listed(**query: object) -> set[int]:
        response = http.get("/visits/list/", query)
        assert response.status_code == 200
        return {visit.pk for visit in response.context["rows"]}

    assert listed() == {north.pk, colleague.pk}
    assert listed(staff=place.colleague.pk) == {colleague.pk}
    assert listed(flagged="on") == {north.pk}
    assert listed(first="2026-12-03") == set()
    assert south.pk not in listed(team=place.south.pk)
    assert other.pk not in listed()
    manager = login(place.manager).get("/visits/list/")
    assert {v.pk for v in manager.context["rows"]} == {north.pk, colleague.pk, south.pk}
    assert login(place.leader).get("/visits/list/", {"first": "x"}).status_code == 400


def test_the_list_answers_htmx_with_the_rows_only(place: Place) -> None:
    register(place)
    response = login(place.leader).get("/visits/list/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<table" in response.text


def test_the_list_takes_a_fixed_number_of_queries(
    place: Place, django_assert_max_num_queries: object
) -> None:
    for hour in range(8):
        register(place, start=NOON + dt.timedelta(hours=hour), minutes=20, tasks=["PERS", "STAD"])
    http = login(place.leader)
    http.get("/visits/list/")
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = http.get("/visits/list/")
    assert len(response.context["rows"]) == 8


def test_the_review_lists_open_flags_by_kind_and_clears_several_at_once(place: Place) -> None:
    long = register(place, minutes=200)
    short = register(place, client=place.second_client, start=NOON + dt.timedelta(hours=5))
    Visit.objects.filter(pk=short.pk).update(minutes=1)
    short.flags.create(kind=FlagKind.SHORT)
    south = register(place, client=place.south_client, start=NOON + dt.timedelta(hours=8))
    http = login(place.leader)
    page = http.get("/visits/review/")
    assert page.status_code == 200
    kinds = {kind: count for kind, _label, count in page.context["kinds"]}
    assert (kinds[FlagKind.LONG], kinds[FlagKind.SHORT], kinds[FlagKind.NO_TAG]) == (1, 1, 0)
    assert south.pk not in {flag.visit_id for flag in page.context["rows"]}
    only_long = http.get("/visits/review/", {"kind": FlagKind.LONG})
    assert [flag.visit_id for flag in only_long.context["rows"]] == [long.pk]
    assert f'href="/visits/{long.pk}/"' in only_long.text
    ids = [flag.pk for flag in page.context["rows"]]
    done = http.post("/visits/review/", {"flag": ids, "note": "Genomgånget med personalen"})
    assert done.status_code == 302
    assert flags_of(long) == set()
    assert flags_of(short) == set()
    assert logged(place.leader.pk, AccessAction.LIST) >= {place.client.pk, place.second_client.pk}


def test_the_review_filters_by_team_day_kind_and_staff(place: Place) -> None:
    register(place, minutes=200)
    register(place, client=place.south_client, start=NOON + dt.timedelta(hours=8))
    http = login(place.manager)

    def kinds(**query: object) -> dict[str, int]:
        response = http.get("/visits/review/", query)
        assert response.status_code == 200
        return {kind: n for kind, _label, n in response.context["kinds"] if n}

    assert kinds() == {FlagKind.LONG: 1, FlagKind.NO_TAG: 1}
    assert kinds(team=place.south.pk) == {FlagKind.NO_TAG: 1}
    assert kinds(staff=place.colleague.pk) == {}
    assert kinds(first="2026-12-03") == {}
    assert http.get("/visits/review/", {"kind": "bogus"}).status_code == 400


def test_a_care_worker_does_not_open_the_team_pages(place: Place) -> None:
    http = login(place.worker)
    for url in ("/visits/list/", "/visits/review/", "/visits/approvals/", "/visits/billing/"):
        assert http.get(url).status_code == 403, url


# Approval ---------------------------------------------------------------------------------


def test_the_team_leader_checks_and_approves_a_week(place: Place) -> None:
    register(place)
    http = login(place.leader)
    query = {"team": place.north.pk, "first": "2026-11-30", "last": "2026-12-06"}
    check = http.get("/visits/approvals/", query)
    assert check.status_code == 200
    assert check.context["summary"].visits == 1
    assert "Approve 1 visit" in check.text
    done = http.post("/visits/approvals/", query)
    assert done.status_code == 302
    assert Visit.objects.filter(approval__isnull=False).count() == 1
    listed = http.get("/visits/approvals/")
    assert "Approved" in main(listed.text)


def test_the_approval_page_opens_on_last_week(place: Place) -> None:
    page = login(place.leader).get("/visits/approvals/")
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary.team == place.north
    assert summary.first.weekday() == 0
    assert (summary.last - summary.first).days == 6


def test_an_approval_with_open_flags_is_refused_with_a_link_to_them(place: Place) -> None:
    register(place, minutes=200)
    http = login(place.leader)
    query = {"team": place.north.pk, "first": "2026-11-30", "last": "2026-12-06"}
    refused = http.post("/visits/approvals/", query)
    assert refused.status_code == 400
    assert "flags are still open" in refused.text
    assert "/visits/review/?team=" in refused.text


def test_an_approval_of_another_team_is_refused(place: Place) -> None:
    query = {"team": place.south.pk, "first": "2026-11-30", "last": "2026-12-06"}
    assert login(place.leader).post("/visits/approvals/", query).status_code == 400


def test_a_changed_approved_period_shows_it_needs_renewal(place: Place) -> None:
    visit = register(place)
    periods.approve_period(place.leader, place.north, dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    Visit.objects.filter(pk=visit.pk).update(approval=None)
    page = login(place.leader).get("/visits/approvals/")
    assert "Needs renewal: 1 visit changed" in page.text
    detail = login(place.worker).get(f"/visits/{visit.pk}/")
    assert "the period needs approving again" in detail.text


# Lock dates and rules ----------------------------------------------------------------


def test_the_lock_page_shows_the_current_lock_date_to_staff_who_lead(place: Place) -> None:
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 30))
    page = login(place.leader).get("/visits/locks/")
    assert page.status_code == 200
    row = re.search(rf'id="provider-{place.provider.pk}".*?</tr>', page.text, re.S)
    assert row
    assert "2026-11-30" in row.group(0)
    assert page.context["lock_form"] is None  # a team leader does not move it
    assert "Annan Omsorg" not in main(page.text)


def test_the_manager_locks_and_the_administrator_unlocks_and_locks_again(place: Place) -> None:
    manager = login(place.manager)
    response = manager.post(
        "/visits/locks/",
        {"action": "lock", "provider": place.provider.pk, "through": "2026-11-30"},
    )
    assert response.status_code == 302
    backwards = manager.post(
        "/visits/locks/",
        {"action": "lock", "provider": place.provider.pk, "through": "2026-11-01"},
    )
    assert backwards.status_code == 400
    assert "only moves forward" in backwards.text
    assert (
        manager.post(
            "/visits/locks/",
            {"action": "lock", "provider": place.other_provider.pk, "through": "2026-11-30"},
        ).status_code
        == 400
    )
    assert manager.post(
        "/visits/locks/",
        {
            "action": "unlock",
            "provider": place.provider.pk,
            "first": "2026-11-01",
            "last": "2026-11-02",
            "reason": "Behövs",
        },
    ).status_code in (400, 403)
    admin = login(admin_of(place))
    opened = admin.post(
        "/visits/locks/",
        {
            "action": "unlock",
            "provider": place.provider.pk,
            "first": "2026-11-10",
            "last": "2026-11-12",
            "reason": "Saknade besök från reservtelefon",
        },
    )
    assert opened.status_code == 302
    unlock = PeriodUnlock.objects.get()
    page = admin.get("/visits/locks/")
    assert "Saknade besök från reservtelefon" in page.text
    assert (
        admin.post("/visits/locks/", {"action": "relock", "unlock": unlock.pk}).status_code == 302
    )
    unlock.refresh_from_db()
    assert unlock.relocked_at is not None
    assert admin.post("/visits/locks/", {"action": "relock", "unlock": "x"}).status_code == 403


def test_the_administrator_sets_the_payment_basis_and_rounding(place: Place) -> None:
    admin = login(admin_of(place))
    page = admin.get("/visits/rules/")
    assert page.status_code == 200
    data = {
        "payment_basis": "granted",
        "rounding_minutes": "15",
        "short_visit_minutes": "2",
        "long_visit_minutes": "180",
        "late_sync_hours": "24",
        "clock_skew_limit": "300",
    }
    assert admin.post("/visits/rules/", data).status_code == 302
    policy = VisitPolicy.objects.get(municipality=place.municipality)
    assert (policy.payment_basis, policy.rounding_minutes) == ("granted", 15)
    bad = admin.post("/visits/rules/", {**data, "long_visit_minutes": "1"})
    assert bad.status_code == 400
    assert "must be longer" in bad.text
    assert admin.post("/visits/rules/", {**data, "rounding_minutes": "7"}).status_code == 400
    assert login(place.manager).get("/visits/rules/").status_code == 403


def test_an_unknown_action_is_a_400_not_an_error(place: Place) -> None:
    visit = register(place)
    answer = login(place.worker).post(f"/visits/{visit.pk}/correct/", {"action": "fly"})
    assert answer.status_code == 400
    assert "Unknown action." in answer.text
    admin = login(admin_of(place))
    assert admin.post("/visits/locks/", {"action": "fly"}).status_code == 400
    assert admin.post("/visits/locks/", {}).status_code == 400
