"""Who is offered an alarm on the phone and may take it: the members of the team it was
routed to while that team is on shift, the backup team once escalation names it, whoever
the alarm centre sends, whoever already took it. Everyone else who may see it follows it
read-only on the console; a step they try is refused with 403 and nothing changes.

The case that started it: a day-team leader's phone offered the night patrol's alarm at
01:26 with a "Ta larmet" button."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncRequestFactory
from django.test import Client as HttpClient
from django.urls import reverse

from trygg.alarms import dispatch, phone, steps, views
from trygg.alarms.models import Alarm, AlarmAction, AlarmCause, AlarmStatus, EscalationLevel
from trygg.core.constants import Role
from trygg.core.models import User
from trygg.core.tests.factories import make_staff

from .conftest import DAY, STOCKHOLM, Duty, Place, actions, raise_alarm

# Wednesday 01:26: the night patrol's shift (Tuesday 22-07); the day team starts at 07:00.
AT_0126 = dt.datetime(2026, 11, 25, 1, 26, tzinfo=STOCKHOLM)


@contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """The pages' and the API's `now` (timezone.now) stands at `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


def login(user: User, language: str = "sv") -> HttpClient:
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    return http


def main(response: object) -> str:
    body = response.content.decode()  # type: ignore[attr-defined]
    return body[body.index("<main") : body.index("</main>")]


@pytest.fixture
def day_leader(duty: Duty, place: Place) -> User:
    """A team leader in the day team, watching the provider's alarms on the console."""
    return make_staff(
        Role.TEAM_LEADER, provider=place.provider, teams=[duty.day_team], first_name="Dagny"
    )


def unchanged(alarm: Alarm) -> None:
    before = actions(alarm)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.assigned_to_id is None
    assert alarm.acknowledged_by_id is None
    assert alarm.on_site_at is None
    assert actions(alarm) == before == [AlarmAction.RAISED, AlarmAction.ROUTED]


# The night alarm at 01:26 ----------------------------------------------------------------


def test_the_day_team_leader_at_0126_is_not_offered_the_night_alarm(
    duty: Duty, day_leader: User
) -> None:
    alarm = raise_alarm(duty, AT_0126)
    assert alarm.team == duty.night_team
    with clock(AT_0126):
        http = login(day_leader)
        page = main(http.get(reverse("alarms:phone")))
        assert f'id="alarm-{alarm.pk}"' not in page
        assert "Ta larmet" not in page
        assert reverse("alarms:accept", args=[alarm.pk]) not in page
        # Told plainly, in Swedish, and when the day team starts.
        assert "Du har inget patrullpass just nu" in page
        assert "Nästa pass för Norr dag börjar i dag kl. 07:00." in page
        # The console still shows it to the leader, read-only.
        console = main(http.get(reverse("alarms:console")))
        assert f'id="alarm-{alarm.pk}"' in console
        assert reverse("alarms:acknowledge", args=[alarm.pk]) not in console
        detail = main(http.get(reverse("alarms:detail", args=[alarm.pk])))
        assert reverse("alarms:accept", args=[alarm.pk]) not in detail
        assert reverse("alarms:close", args=[alarm.pk]) not in detail
        assert "Du kan följa larmet här" in detail
    assert phone.offered(day_leader, AT_0126) == []


def test_the_day_team_leader_cannot_accept_the_night_alarm_on_the_page(
    duty: Duty, day_leader: User
) -> None:
    alarm = raise_alarm(duty, AT_0126)
    with clock(AT_0126):
        http = login(day_leader)
        for name, data in (
            ("accept", {}),
            ("acknowledge", {}),
            ("on_site", {}),
            ("close", {"cause": AlarmCause.BY_MISTAKE}),
            ("note", {"note": "Jag tar det"}),
        ):
            response = http.post(reverse(f"alarms:{name}", args=[alarm.pk]), data)
            assert response.status_code == 403, name
            why = (
                "Du har inget patrullpass för det här larmet och kan inte ta det."
                if name == "accept"
                else "Du kan följa larmet men inte hantera det"
            )
            assert why in main(response), name
    unchanged(alarm)


def test_the_night_patrol_member_is_offered_the_alarm_and_accepts_it(duty: Duty) -> None:
    alarm = raise_alarm(duty, AT_0126)
    with clock(AT_0126):
        http = login(duty.night_worker)
        page = main(http.get(reverse("alarms:phone")))
        assert f'id="alarm-{alarm.pk}"' in page
        assert reverse("alarms:accept", args=[alarm.pk]) in page
        assert "Nattpatrullen till 07:00" in page
        response = http.post(reverse("alarms:accept", args=[alarm.pk]))
        assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.assigned_to == duty.night_worker
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    # From the phone's "Details" the way back is to the phone, and it says back, not
    # "Alarms" (the console).
    with clock(AT_0126):
        detail = main(http.get(f"/alarms/{alarm.pk}/", {"next": reverse("alarms:phone")}))
    assert '<a href="/alarms/phone/">← Tillbaka</a>' in detail


def test_the_night_patrol_member_by_day_is_off_shift_and_told_when_the_night_starts(
    duty: Duty,
) -> None:
    day_alarm = raise_alarm(duty, DAY)
    with clock(DAY):
        page = main(login(duty.night_worker).get(reverse("alarms:phone")))
    assert f'id="alarm-{day_alarm.pk}"' not in page
    assert "Nästa pass för Nattpatrullen börjar i dag kl. 22:00." in page


# Escalation and the alarm centre's choice ----------------------------------------------------


def test_after_escalation_the_backup_team_is_offered_the_alarm(duty: Duty) -> None:
    alarm = raise_alarm(duty, DAY)
    assert alarm.backup_team == duty.backup_team
    early = DAY + dt.timedelta(seconds=30)
    assert phone.offered(duty.backup_worker, early) == []
    with pytest.raises(steps.AlarmRefused):
        steps.accept_alarm(duty.backup_worker, alarm.pk, now=early)
    later = DAY + dt.timedelta(seconds=121)
    dispatch.escalate_due(later)
    alarm.refresh_from_db()
    assert alarm.escalation_level == EscalationLevel.BACKUP_TEAM
    assert [a.pk for a in phone.offered(duty.backup_worker, later)] == [alarm.pk]
    # The day team still has it too: escalation adds a team, it takes none away.
    assert [a.pk for a in phone.offered(duty.day_worker, later)] == [alarm.pk]
    steps.accept_alarm(duty.backup_worker, alarm.pk, now=later)
    alarm.refresh_from_db()
    assert alarm.assigned_to == duty.backup_worker


def test_a_person_the_operator_sends_is_offered_the_alarm_across_a_shift_change(
    duty: Duty, place: Place
) -> None:
    """Raised at 06:55 to the night patrol and acknowledged by the operator; at 07:05 the
    night patrol has gone home, so the operator sends someone from the day team on shift
    now. The person sent has it; the night patrol no longer does."""
    raised = dt.datetime(2026, 11, 25, 6, 55, tzinfo=STOCKHOLM)
    alarm = raise_alarm(duty, raised)
    assert alarm.team == duty.night_team
    steps.acknowledge_alarm(place.alarm_operator, alarm.pk, now=raised + dt.timedelta(minutes=1))
    after = dt.datetime(2026, 11, 25, 7, 5, tzinfo=STOCKHOLM)
    alarm.refresh_from_db()
    assert duty.day_worker in steps.responders(alarm, after)
    assert phone.offered(duty.night_worker, after) == []
    steps.assign_responder(place.alarm_operator, alarm.pk, duty.day_worker, now=after)
    with clock(after):
        http = login(duty.day_worker)
        page = main(http.get(reverse("alarms:phone")))
        assert f'id="alarm-{alarm.pk}"' in page
        assert reverse("alarms:on_site", args=[alarm.pk]) in page
        assert http.post(reverse("alarms:on_site", args=[alarm.pk])).status_code == 302
        # Still theirs after their own shift ends, until they close it.
    evening = dt.datetime(2026, 11, 25, 17, 0, tzinfo=STOCKHOLM)
    steps.close_alarm(duty.day_worker, alarm.pk, AlarmCause.HELP_GIVEN, now=evening)
    alarm.refresh_from_db()
    assert alarm.on_site_at is not None
    assert alarm.status == AlarmStatus.CLOSED


def test_a_team_member_whose_shift_has_ended_is_told_so(duty: Duty, place: Place) -> None:
    """Raised at 15:50 to the day team and acknowledged by the operator: at 16:10 the day
    team has gone off shift, and a member of it may no longer take it."""
    raised = DAY.replace(hour=15, minute=50)
    alarm = raise_alarm(duty, raised)
    steps.acknowledge_alarm(place.alarm_operator, alarm.pk, now=raised)
    after = DAY.replace(hour=16, minute=10)
    assert phone.offered(duty.day_worker, after) == []
    with clock(after):
        response = login(duty.day_worker).post(reverse("alarms:accept", args=[alarm.pk]))
    assert response.status_code == 403
    assert "Norr dag har inget patrullpass just nu" in main(response)
    alarm.refresh_from_db()
    assert alarm.assigned_to_id is None


# The API ----------------------------------------------------------------------------------


def test_the_api_refuses_an_accept_by_someone_not_entitled(duty: Duty, day_leader: User) -> None:
    alarm = raise_alarm(duty, AT_0126)
    with clock(AT_0126):
        http = login(day_leader)
        listed = http.get("/api/v1/alarms/phone").json()
        assert listed["items"] == []
        assert listed["headline"] == "Du har inget patrullpass just nu"
        assert listed["next_shift"]["team"] == "Norr dag"
        for path, body in (
            ("accept", {}),
            ("on-site", {}),
            ("close", {"cause": AlarmCause.BY_MISTAKE, "note": ""}),
        ):
            response = http.post(
                f"/api/v1/alarms/{alarm.pk}/{path}", body, content_type="application/json"
            )
            assert response.status_code == 403, path
            why = "inget patrullpass" if path == "accept" else "men inte hantera det"
            assert why in response.json()["detail"], path
    unchanged(alarm)


def test_the_api_offers_and_accepts_for_the_night_patrol(duty: Duty, place: Place) -> None:
    alarm = raise_alarm(duty, AT_0126)
    with clock(AT_0126):
        http = login(duty.night_worker)
        listed = http.get("/api/v1/alarms/phone").json()
        assert [item["id"] for item in listed["items"]] == [alarm.pk]
        assert listed["items"][0]["can_accept"] is True
        assert listed["items"][0]["client"]["street"] == place.client.street
        assert listed["on_shift"][0]["team"] == "Nattpatrullen"
        response = http.post(f"/api/v1/alarms/{alarm.pk}/accept")
        assert response.status_code == 200
        assert response.json()["assigned_to_id"] == duty.night_worker.pk
        # A colleague on the same shift is told who was first.
        colleague = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[duty.night_team])
        second = login(colleague).post(f"/api/v1/alarms/{alarm.pk}/accept")
        assert second.status_code == 409
    # The alarm centre sees every alarm but does not "go": it sends someone instead.
    with clock(AT_0126):
        refused = login(place.alarm_operator).post(f"/api/v1/alarms/{alarm.pk}/accept")
    assert refused.status_code == 403


# The live feeds ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_phone_feed_carries_only_offered_alarms_and_the_console_feed_the_rest(
    duty: Duty, day_leader: User
) -> None:
    night_alarm = raise_alarm(duty, AT_0126)

    def listen(user: User, on_phone: bool) -> list[dict[str, object]]:
        async def run() -> list[dict[str, object]]:
            url = reverse("alarms:phone_stream" if on_phone else "alarms:stream")
            request = AsyncRequestFactory().get(url)

            async def auser() -> User:
                return user

            request.auser = auser  # type: ignore[attr-defined]
            response = await views.stream(request, phone=on_phone)
            chunks = aiter(response.streaming_content)  # type: ignore[union-attr,arg-type]
            await anext(chunks)  # retry
            await anext(chunks)  # ready
            await sync_to_async(_announce)(night_alarm, "reminded")
            await sync_to_async(_announce)(night_alarm, "assigned", assigned_to=user.pk)
            got = []
            for _ in range(2):
                try:
                    chunk = await asyncio.wait_for(anext(chunks), 2)
                except TimeoutError:
                    break
                text = chunk.decode() if isinstance(chunk, bytes) else chunk
                if text.startswith("event: alarm"):
                    got.append(json.loads(text.split("data: ", 1)[1]))
            await chunks.aclose()  # type: ignore[attr-defined]
            return got

        with clock(AT_0126):
            return asyncio.run(run())

    # The night patrol's phone hears both; the day leader's phone only the alarm sent to
    # them; the day leader's console hears both (it shows the provider's alarms).
    assert [e["action"] for e in listen(duty.night_worker, on_phone=True)] == [
        "reminded",
        "assigned",
    ]
    assert [e["action"] for e in listen(day_leader, on_phone=True)] == ["assigned"]
    assert [e["action"] for e in listen(day_leader, on_phone=False)] == [
        "reminded",
        "assigned",
    ]


def _announce(alarm: Alarm, action: str, assigned_to: int | None = None) -> None:
    from django.db import connections

    try:
        alarm.assigned_to_id = assigned_to
        dispatch.announce(alarm, action)
    finally:
        connections.close_all()
