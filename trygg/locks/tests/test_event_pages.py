"""The lock-event pages: a lock's log, a staff member's unlocks, the unlocks to review and
the client record's lock log, each unlock with its visit or flagged; access-logged; only
for those who see the keys. And the phone's doors page and the demo's doors."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from trygg.core.constants import AccessAction
from trygg.core.models import AccessLogEntry
from trygg.locks import demo_doors, services
from trygg.locks.models import LockEvent, UnlockReview
from trygg.locks.tokens import issue_tokens

from .conftest import Home, login
from .test_lock_events import visit

pytestmark = pytest.mark.django_db


def main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found, "the page has a <main>"
    return found.group(0)


def two_unlocks(home: Home) -> tuple[LockEvent, LockEvent]:
    """The worker opened the door this morning with a visit, and yesterday without one."""
    now = timezone.now().replace(microsecond=0)
    events = []
    for at in (now - dt.timedelta(hours=3), now - dt.timedelta(days=1)):
        tokens = issue_tokens(home.worker, now=at).doors[0].tokens
        lock = home.simulated(at=at)
        answer = lock.answer(tokens[0])
        services.record_lock_events(home.lock, services.reported_from_wire([answer["event"]]))
        events.append(LockEvent.objects.get(event_id=answer["event"]["id"]))
    visit(home, events[0].at - dt.timedelta(minutes=3))
    return events[0], events[1]


@pytest.fixture
def on_shift(home: Home) -> None:
    """The day team's shift covers every hour, so tokens can be issued at any test time."""
    from trygg.alarms.models import ResponderShift

    ResponderShift.objects.filter(team=home.team).update(starts=dt.time(0), ends=dt.time(0))


def test_the_locks_log_links_visits_and_flags_the_unaccounted(home: Home, on_shift: None) -> None:
    with_visit, without = two_unlocks(home)
    http = login(home.team_leader)
    page = main(http.get(f"/locks/{home.lock.pk}/").content.decode())
    row = re.search(rf'<tr id="lock-event-{with_visit.pk}".*?</tr>', page, re.S)
    assert row
    assert 'data-state="visit"' in row.group(0)
    assert "/visits/" in row.group(0)
    flagged = re.search(rf'<tr id="lock-event-{without.pk}".*?</tr>', page, re.S)
    assert flagged
    assert 'data-state="flagged"' in flagged.group(0)
    assert "To review" in flagged.group(0)
    assert AccessLogEntry.objects.filter(
        user=home.team_leader, client=home.client, action=AccessAction.DETAIL
    ).exists()
    only = main(http.get(f"/locks/{home.lock.pk}/?flagged=1").content.decode())
    assert f"lock-event-{without.pk}" in only
    assert f"lock-event-{with_visit.pk}" not in only
    # The review list has it, and saying what it was takes it off.
    review = main(http.get("/locks/review/").content.decode())
    assert f"lock-event-{without.pk}" in review
    empty = http.post(f"/locks/events/{without.pk}/review/", {"note": ""}, follow=True)
    assert "Say what the unlock was" in empty.content.decode()
    done = http.post(
        f"/locks/events/{without.pk}/review/",
        {"note": "Besöket registrerades på papper", "next": "/locks/review/"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/locks/review/"
    assert UnlockReview.objects.get(event=without).reviewed_by == home.team_leader
    assert f"lock-event-{without.pk}" not in main(http.get("/locks/review/").content.decode())


def test_a_staff_members_unlocks(home: Home, on_shift: None) -> None:
    with_visit, without = two_unlocks(home)
    http = login(home.place.manager)
    page = main(http.get(f"/locks/staff/{home.worker.pk}/").content.decode())
    assert f"lock-event-{with_visit.pk}" in page
    assert f"lock-event-{without.pk}" in page
    assert home.client.full_name in page
    assert AccessLogEntry.objects.filter(user=home.place.manager, client=home.client).exists()
    # Another provider's manager sees neither the person nor the door.
    other = login(home.other_worker)
    assert other.get(f"/locks/staff/{home.worker.pk}/").status_code == 403
    assert other.get(f"/locks/{home.lock.pk}/").status_code == 404
    assert login(home.place.manager).get(f"/locks/staff/{home.other_worker.pk}/").status_code == 404


def test_the_clients_record_shows_the_lock_log(home: Home, on_shift: None) -> None:
    with_visit, _without = two_unlocks(home)
    record = main(login(home.team_leader).get(f"/clients/{home.client.pk}/").content.decode())
    assert 'id="record-lock_events"' in record
    assert f"lock-event-{with_visit.pk}" in record
    entry = AccessLogEntry.objects.filter(user=home.team_leader, client=home.client).latest("at")
    assert "lock_events" in (entry.shown or {})
    worker_record = main(login(home.worker).get(f"/clients/{home.client.pk}/").content.decode())
    assert 'id="record-lock_events"' not in worker_record


def test_the_phone_doors_page_is_kept_for_offline_use(home: Home) -> None:
    page = login(home.worker).get("/locks/phone/")
    assert page.status_code == 200
    assert page["X-Trygg-Offline"] == "keep"
    html = page.content.decode()
    assert 'data-tokens-url="/api/v1/locks/tokens"' in html
    assert 'data-events-url="/api/v1/locks/phone/events"' in html
    assert "data-demo-door-url" not in html  # not the demo
    assert home.client.last_name not in main(html)  # the page holds no client data
    assert login(home.place.tech).get("/locks/phone/").status_code == 403


def test_the_demos_doors_answer_as_the_lock_would(
    home: Home, on_shift: None, settings: object
) -> None:
    demo_doors.forget()
    token = issue_tokens(home.worker).doors[0].tokens[0]
    http = login(home.worker)
    body = json.dumps({"lock_id": str(home.lock.lock_id), "token": token})
    url = "/locks/phone/demo-door/"
    assert http.post(url, body, content_type="application/json").status_code == 404
    settings.DEBUG = True  # type: ignore[attr-defined]
    try:
        first = http.post(url, body, content_type="application/json").json()
        assert first["opened"] is True
        assert first["event"]["kind"] == "unlocked"
        again = http.post(url, body, content_type="application/json").json()
        assert (again["opened"], again["refusal"]) == (False, "replayed")
        bad = http.post(url, json.dumps({"lock_id": "nej"}), content_type="application/json")
        assert bad.status_code == 404
    finally:
        demo_doors.forget()
