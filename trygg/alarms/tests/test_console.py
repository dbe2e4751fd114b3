"""The alarm console, one alarm's page and the phone: who sees which alarms, what is logged,
the steps as forms, and the live stream that tells each person only about their alarms."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncRequestFactory
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from trygg.alarms import dispatch, steps, views
from trygg.alarms.models import (
    Alarm,
    AlarmCategory,
    AlarmCause,
    AlarmKind,
    AlarmStatus,
    EscalationLevel,
    ResponderShift,
)
from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry, Team, User
from trygg.core.tests.factories import ClientFactory, TeamFactory, make_staff
from trygg.devices.models import AlarmUnit

from .conftest import Place


@pytest.fixture
def night_team(place: Place) -> Team:
    """The municipal night patrol, at the client's provider's neighbour."""
    return TeamFactory(provider=place.other_provider, name="Nattpatrullen")


def on_duty(team: Team, place: Place) -> Team:
    """The team on a shift around the clock: its members answer its alarms whenever the
    test runs (test_shifts.py is about the times)."""
    ResponderShift.objects.create(
        municipality=place.municipality,
        name="Alltid",
        team=team,
        starts=dt.time(0),
        ends=dt.time(0),
    )
    return team


def make_alarm(
    place: Place,
    *,
    client: Any = None,
    team: Team | None = None,
    kind: str = AlarmKind.ALARM,
    category: str = AlarmCategory.CARE,
    unit: AlarmUnit | None = None,
    **fields: Any,
) -> Alarm:
    client = client if client is not None else place.client
    return Alarm.objects.create(
        municipality=place.municipality,
        unit=unit or place.unit(),
        client=client,
        provider=client.provider,
        kind=kind,
        category=category,
        team=team,
        routed_at=timezone.now(),
        **fields,
    )


def login(user: User, language: str = "en") -> HttpClient:
    """A browser session; in English unless a test is about what Swedes read."""
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    http.force_login(user)
    return http


def logged(user: User, action: str) -> list[int]:
    return list(
        AccessLogEntry.objects.filter(user=user, action=action).values_list("client_id", flat=True)
    )


# Who sees what ---------------------------------------------------------------------------


def test_the_operator_sees_every_alarm_by_priority_and_age(place: Place) -> None:
    older = make_alarm(place, created_at=timezone.now() - dt.timedelta(minutes=5))
    fire = make_alarm(place, client=place.other_client, kind=AlarmKind.FIRE)
    taken = make_alarm(
        place,
        client=place.neighbour,
        status=AlarmStatus.ACKNOWLEDGED,
        created_at=timezone.now() - dt.timedelta(minutes=9),
    )
    tech = make_alarm(place, kind=AlarmKind.LOW_BATTERY, category=AlarmCategory.TECHNICAL)
    make_alarm(place, status=AlarmStatus.CLOSED, closed_at=timezone.now() - dt.timedelta(days=2))
    queues = views.queues(place.alarm_operator)
    assert [a.pk for a in queues["care"]] == [fire.pk, older.pk, taken.pk]
    assert [a.pk for a in queues["technical"]] == [tech.pk]
    response = login(place.alarm_operator).get(reverse("alarms:console"))
    assert response.status_code == 200
    body = response.content.decode()
    assert place.client.last_name in body
    assert place.other_client.last_name in body
    # The page in the queue's order (by row: a staff member may share a client's surname).
    rows = [body.index(f'id="alarm-{a.pk}"') for a in (fire, older, taken)]
    assert rows == sorted(rows)


def test_a_team_sees_the_alarms_sent_to_it_and_a_backup_team_only_once_escalated(
    place: Place, night_team: Team
) -> None:
    day_team = TeamFactory(provider=place.provider)
    worker = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[day_team])
    patrol = make_staff(Role.CARE_WORKER, provider=place.other_provider, teams=[night_team])
    alarm = make_alarm(place, team=day_team, backup_team=night_team)
    assert list(views.queues(worker)["care"]) == [alarm]
    assert views.queues(patrol)["care"] == []
    assert login(patrol).get(reverse("alarms:detail", args=[alarm.pk])).status_code == 404
    Alarm.objects.filter(pk=alarm.pk).update(escalation_level=EscalationLevel.BACKUP_TEAM)
    assert [a.pk for a in views.queues(patrol)["care"]] == [alarm.pk]
    assert login(patrol).get(reverse("alarms:detail", args=[alarm.pk])).status_code == 200


def test_another_providers_staff_and_the_auditor_see_no_alarms(place: Place) -> None:
    alarm = make_alarm(place)
    outsider = make_staff(Role.TEAM_LEADER, provider=place.other_provider)
    assert login(outsider).get(reverse("alarms:detail", args=[alarm.pk])).status_code == 404
    assert views.queues(outsider)["care"] == []
    assert login(place.auditor).get(reverse("alarms:console")).status_code == 403
    # The provider's own manager sees the alarms of the provider's clients.
    assert [a.pk for a in views.queues(place.manager)["care"]] == [alarm.pk]


def test_the_welfare_technology_team_sees_the_technical_queue_only(place: Place) -> None:
    make_alarm(place)
    tech = make_alarm(place, kind=AlarmKind.TAMPER, category=AlarmCategory.TECHNICAL)
    queues = views.queues(place.tech)
    assert queues["care"] == []
    assert [a.pk for a in queues["technical"]] == [tech.pk]


# The access log --------------------------------------------------------------------------


def test_the_queue_logs_each_listed_client_once_per_session(place: Place) -> None:
    make_alarm(place)
    make_alarm(place, client=place.other_client)
    http = login(place.alarm_operator)
    http.get(reverse("alarms:console"))
    for _ in range(3):
        http.get(reverse("alarms:queue"))
    listed = logged(place.alarm_operator, AccessAction.LIST)
    assert sorted(listed) == sorted([place.client.pk, place.other_client.pk])
    make_alarm(place)  # a new alarm from the same client is a new read
    http.get(reverse("alarms:queue"))
    assert logged(place.alarm_operator, AccessAction.LIST).count(place.client.pk) == 2


def test_the_alarm_page_is_logged_and_the_door_code_only_on_request(place: Place) -> None:
    place.client.door_code = "1234"
    place.client.key_location = "Nyckelgömma vid dörren"
    place.client.save()
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    page = http.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    assert "Nyckelgömma vid dörren" in page
    assert "1234" not in page
    assert logged(place.alarm_operator, AccessAction.DETAIL) == [place.client.pk]
    shown = http.post(reverse("alarms:door_code", args=[alarm.pk]))
    assert "1234" in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert logged(place.alarm_operator, AccessAction.DOOR_CODE) == [place.client.pk]


def test_the_night_patrol_gets_another_providers_door_code_only_while_it_handles_the_alarm(
    place: Place, night_team: Team
) -> None:
    place.client.door_code = "1234"
    place.client.save()
    patrol = make_staff(Role.NIGHT_SUPERVISOR, provider=place.other_provider, teams=[night_team])
    alarm = make_alarm(place, team=on_duty(night_team, place))
    http = login(patrol)
    assert "1234" in http.post(reverse("alarms:door_code", args=[alarm.pk])).content.decode()
    steps.close_alarm(patrol, alarm.pk, AlarmCause.HELP_GIVEN)
    assert http.post(reverse("alarms:door_code", args=[alarm.pk])).status_code == 403
    # And the client's own record stays out of reach.
    assert http.get(reverse("core:client_detail", args=[place.client.pk])).status_code == 404


# Steps through the pages ------------------------------------------------------------------


def test_acknowledge_from_the_console_returns_to_it(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    console = reverse("alarms:console")
    response = http.post(reverse("alarms:acknowledge", args=[alarm.pk]), {"next": console})
    assert response.status_code == 302
    assert response["Location"] == console
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    assert alarm.acknowledged_by == place.alarm_operator


def test_a_second_acknowledgement_is_told_who_was_first(place: Place) -> None:
    alarm = make_alarm(place)
    other = make_staff(Role.ALARM_OPERATOR, municipality=place.municipality, first_name="Stina")
    steps.acknowledge_alarm(other, alarm.pk)
    http = login(place.alarm_operator)
    response = http.post(reverse("alarms:acknowledge", args=[alarm.pk]), follow=True)
    assert "acknowledged the alarm" in response.content.decode()
    swedish = login(place.alarm_operator, "sv")
    response = swedish.post(reverse("alarms:acknowledge", args=[alarm.pk]), follow=True)
    assert "kvitterade larmet" in response.content.decode()
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == other


def test_closing_without_a_cause_is_a_form_error_that_keeps_the_note(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    response = http.post(
        reverse("alarms:close", args=[alarm.pk]), {"cause": "", "note": "Ringde upp"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose the cause" in body
    assert "Ringde upp" in body
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN


def test_closing_with_a_cause_and_a_note(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    response = http.post(
        reverse("alarms:close", args=[alarm.pk]),
        {"cause": AlarmCause.WORRY, "note": "Pratade en stund."},
    )
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED
    assert alarm.cause == AlarmCause.WORRY
    page = http.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    assert "Pratade en stund." in page


def test_a_responder_accepts_on_the_phone_and_marks_on_site(place: Place) -> None:
    team = on_duty(TeamFactory(provider=place.provider), place)
    worker = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[team])
    alarm = make_alarm(place, team=team)
    http = login(worker)
    phone = http.get(reverse("alarms:phone")).content.decode()
    assert place.client.street in phone
    assert reverse("alarms:accept", args=[alarm.pk]) in phone
    assert 'rel="manifest"' in phone
    http.post(reverse("alarms:accept", args=[alarm.pk]))
    http.post(reverse("alarms:on_site", args=[alarm.pk]), {"next": reverse("alarms:phone")})
    alarm.refresh_from_db()
    assert alarm.assigned_to == worker
    assert alarm.on_site_at is not None


def test_an_unknown_responder_is_refused(place: Place) -> None:
    team = TeamFactory(provider=place.provider)
    alarm = make_alarm(place, team=team)
    response = login(place.alarm_operator).post(
        reverse("alarms:assign", args=[alarm.pk]), {"responder": "not-a-number"}
    )
    assert response.status_code == 400
    alarm.refresh_from_db()
    assert alarm.assigned_to is None


# The live stream -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_stream_tells_each_person_only_about_their_alarms(
    place: Place, night_team: Team
) -> None:
    day_team = TeamFactory(provider=place.provider)
    worker = make_staff(Role.CARE_WORKER, provider=place.provider, teams=[day_team])
    mine = make_alarm(place, team=day_team)
    theirs = make_alarm(place, client=ClientFactory(provider=place.other_provider), team=night_team)

    async def listen() -> list[str]:
        request = AsyncRequestFactory().get(reverse("alarms:stream"))

        async def auser() -> User:
            return worker

        request.auser = auser  # type: ignore[attr-defined]
        response = await views.stream(request)
        assert response["Content-Type"] == "text/event-stream"
        chunks = aiter(response.streaming_content)  # type: ignore[union-attr,arg-type]
        received = [await anext(chunks), await anext(chunks)]  # retry, ready
        await sync_to_async(_announce)(theirs, "raised")
        await sync_to_async(_announce)(mine, "raised")
        received.append(await asyncio.wait_for(anext(chunks), 5))
        await chunks.aclose()  # type: ignore[attr-defined]
        return [c.decode() if isinstance(c, bytes) else c for c in received]

    retry, ready, event = asyncio.run(listen())
    assert retry.startswith("retry:")
    assert ready.startswith("event: ready")
    assert event.startswith("event: alarm\n")
    data = json.loads(event.split("data: ", 1)[1])
    assert data["alarm"] == mine.pk
    assert place.client.last_name not in event


def _announce(alarm: Alarm, action: str) -> None:
    from django.db import connections

    try:
        dispatch.announce(alarm, action)
    finally:
        connections.close_all()


def test_the_stream_wants_a_login(place: Place) -> None:
    response = HttpClient().get(reverse("alarms:stream"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert login(place.auditor).get(reverse("alarms:stream")).status_code == 403


def test_the_stream_is_refused_at_once_through_wsgi(place: Place) -> None:
    """Through WSGI the endless stream would be read to its end before a byte is sent,
    holding the worker (and a test process) for good: refused at once, saying why."""
    for name in ("alarms:stream", "alarms:phone_stream"):
        response = login(place.alarm_operator).get(reverse(name))
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        assert "trygg serve" in response.content.decode()


# Broken input ----------------------------------------------------------------------------


def test_a_next_address_elsewhere_is_ignored(place: Place) -> None:
    alarm = make_alarm(place)
    response = login(place.alarm_operator).post(
        reverse("alarms:acknowledge", args=[alarm.pk]), {"next": "https://evil.example/x"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alarms:detail", args=[alarm.pk])


def test_a_responder_outside_the_teams_is_refused_on_the_page(place: Place) -> None:
    team = TeamFactory(provider=place.provider)
    alarm = make_alarm(place, team=team)
    outsider = make_staff(Role.CARE_WORKER, provider=place.other_provider)
    http = login(place.alarm_operator)
    for value in (str(outsider.pk), "999999", "-1", ""):
        response = http.post(reverse("alarms:assign", args=[alarm.pk]), {"responder": value})
        assert response.status_code == 400, value
    alarm.refresh_from_db()
    assert alarm.assigned_to is None
    assert alarm.status == AlarmStatus.OPEN


def test_an_empty_or_overlong_note_is_a_form_error(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    assert http.post(reverse("alarms:note", args=[alarm.pk]), {"note": "  "}).status_code == 400
    long_note = "x" * 2001
    response = http.post(reverse("alarms:note", args=[alarm.pk]), {"note": long_note})
    assert response.status_code == 400
    assert "at most 2,000 characters" in response.content.decode()
    response = http.post(
        reverse("alarms:close", args=[alarm.pk]), {"cause": AlarmCause.FALL, "note": long_note}
    )
    assert response.status_code == 400
    assert not alarm.events.exists()
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN


def test_an_unknown_cause_is_a_form_error(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    for cause in ("nonsense", AlarmCause.TECHNICAL_FIXED):
        response = http.post(reverse("alarms:close", args=[alarm.pk]), {"cause": cause})
        assert response.status_code == 400, cause
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN


def test_steps_are_posted_and_a_closed_alarm_takes_none(place: Place) -> None:
    alarm = make_alarm(place)
    http = login(place.alarm_operator)
    assert http.get(reverse("alarms:acknowledge", args=[alarm.pk])).status_code == 405
    steps.close_alarm(place.alarm_operator, alarm.pk, AlarmCause.BY_MISTAKE)
    response = http.post(reverse("alarms:on_site", args=[alarm.pk]), follow=True)
    assert "The alarm was closed by" in response.content.decode()
    alarm.refresh_from_db()
    assert alarm.on_site_at is None
