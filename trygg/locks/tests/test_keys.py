"""Digital keys follow the people responsible for the client behind a door: a team's
members hold keys to its clients' doors, a responder to the door of the alarm they answer
(until it is closed and a margin has passed); a key ends when that stops being true, and
a manager's revocation stands until lifted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.alarms.models import AlarmStatus
from trygg.core.constants import Role
from trygg.core.tests.factories import TeamFactory, make_staff
from trygg.locks import inventory, services
from trygg.locks.constants import ALARM_KEY_MARGIN, KeyEnd, KeyReason
from trygg.locks.keys import reconcile_keys
from trygg.locks.models import DigitalKey

from .conftest import DAY, Home, new_client

pytestmark = pytest.mark.django_db


def holders(lock: Any) -> set[int]:
    return set(DigitalKey.objects.open().filter(lock=lock).values_list("holder_id", flat=True))


def test_the_teams_members_hold_keys_to_their_clients_doors(home: Home) -> None:
    result = reconcile_keys(now=DAY)
    assert holders(home.lock) == {home.worker.pk, home.colleague.pk, home.team_leader.pk}
    assert holders(home.other_lock) == {home.other_worker.pk}
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert (key.reason, key.team, key.client, key.provider, key.starts_at) == (
        KeyReason.TEAM,
        home.team,
        home.client,
        home.place.provider,
        DAY,
    )
    assert result.started == 4
    assert reconcile_keys(now=DAY).started == 0  # nothing changes a second time


def test_a_manager_in_the_team_holds_no_key(home: Home) -> None:
    manager = make_staff(Role.PROVIDER_MANAGER, provider=home.place.provider, teams=[home.team])
    reconcile_keys(now=DAY)
    assert manager.pk not in holders(home.lock)


def test_leaving_the_team_ends_the_key(home: Home) -> None:
    reconcile_keys(now=DAY)
    home.worker.role_assignments.get().teams.set([home.night_team])
    later = DAY + dt.timedelta(minutes=1)
    reconcile_keys(now=later)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert (key.ended_at, key.end_reason, key.ended_by) == (later, KeyEnd.LEFT_TEAM, None)
    assert home.worker.pk not in holders(home.lock)


def test_a_team_change_reconciles_as_soon_as_it_is_saved(
    home: Home, django_capture_on_commit_callbacks: Any
) -> None:
    reconcile_keys()
    newcomer = make_staff(Role.CARE_WORKER, provider=home.place.provider)
    with django_capture_on_commit_callbacks(execute=True):
        newcomer.role_assignments.get().teams.add(home.team)
    assert newcomer.pk in holders(home.lock)
    with django_capture_on_commit_callbacks(execute=True):
        home.team.role_assignments.remove(home.colleague.role_assignments.get())
    assert home.colleague.pk not in holders(home.lock)
    with django_capture_on_commit_callbacks(execute=True):
        home.worker.role_assignments.get().delete()
    assert home.worker.pk not in holders(home.lock)


def test_someone_who_stops_working_here_loses_their_keys_at_once(
    home: Home, django_capture_on_commit_callbacks: Any
) -> None:
    reconcile_keys()
    with django_capture_on_commit_callbacks(execute=True):
        home.worker.is_active = False
        home.worker.save()
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert key.end_reason == KeyEnd.STAFF_INACTIVE


def test_a_client_moving_to_another_team_moves_the_keys(home: Home) -> None:
    reconcile_keys(now=DAY)
    home.client.team = home.night_team
    home.client.save()
    reconcile_keys(now=DAY + dt.timedelta(minutes=5))
    assert holders(home.lock) == {home.night_worker.pk}
    ended = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    assert ended.end_reason == KeyEnd.CLIENT_CHANGED


def test_a_client_whose_care_ended_has_no_key_holders(home: Home) -> None:
    reconcile_keys(now=DAY)
    home.client.end_date = DAY.date() - dt.timedelta(days=1)
    home.client.save()
    reconcile_keys(now=DAY)
    assert holders(home.lock) == set()


def test_a_lock_taken_down_ends_its_keys(home: Home) -> None:
    reconcile_keys(now=DAY)
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    reconcile_keys(now=DAY)
    assert holders(home.lock) == set()
    assert set(DigitalKey.objects.filter(lock=home.lock).values_list("end_reason", flat=True)) == {
        KeyEnd.LOCK_REMOVED
    }


def test_an_entrance_is_opened_by_the_teams_of_every_client_behind_it(home: Home) -> None:
    upstairs = new_client(home, team=home.night_team)
    entrance = home.new_lock(
        street="Storgatan 12",
        postal_code="123 45",
        city="Teststad",
        entrance_clients=[home.client, upstairs, home.other_client],
    )
    reconcile_keys(now=DAY)
    assert holders(entrance) == {
        home.worker.pk,
        home.colleague.pk,
        home.team_leader.pk,
        home.night_worker.pk,
        home.other_worker.pk,
    }
    other_key = DigitalKey.objects.get(holder=home.other_worker, lock=entrance)
    assert (other_key.client, other_key.provider) == (home.other_client, home.place.other_provider)
    # The other provider's client moves out: their staff's key to the entrance ends.
    inventory.set_entrance_clients(home.place.tech, entrance, [home.client, upstairs])
    reconcile_keys(now=DAY)
    assert home.other_worker.pk not in holders(entrance)


def test_a_responder_holds_the_key_while_answering_the_alarm(home: Home) -> None:
    patrol = make_staff(Role.NIGHT_SUPERVISOR, provider=home.place.provider)
    alarm = home.alarm(patrol)
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=patrol, lock=home.lock, ended_at__isnull=True)
    assert (key.reason, key.alarm, key.provider) == (KeyReason.ALARM, alarm, home.place.provider)
    closed = DAY + dt.timedelta(minutes=20)
    alarm.status, alarm.closed_at = AlarmStatus.CLOSED, closed
    alarm.save()
    reconcile_keys(now=closed + ALARM_KEY_MARGIN - dt.timedelta(seconds=1))
    assert patrol.pk in holders(home.lock)
    reconcile_keys(now=closed + ALARM_KEY_MARGIN)
    key.refresh_from_db()
    assert key.end_reason == KeyEnd.ALARM_CLOSED


def test_an_alarm_not_yet_taken_gives_nobody_a_key(home: Home) -> None:
    home.alarm(None)
    reconcile_keys(now=DAY)
    assert holders(home.lock) == {home.worker.pk, home.colleague.pk, home.team_leader.pk}


def test_a_team_member_answering_an_alarm_keeps_one_key(home: Home) -> None:
    home.alarm(home.worker)
    reconcile_keys(now=DAY)
    (key,) = DigitalKey.objects.filter(holder=home.worker, lock=home.lock)
    assert key.reason == KeyReason.TEAM


def test_a_revocation_stands_until_a_manager_lifts_it(
    home: Home, django_capture_on_commit_callbacks: Any
) -> None:
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    services.revoke_key(home.place.manager, key, note="Utredning pågår", now=DAY)
    key.refresh_from_db()
    assert (key.end_reason, key.ended_by, key.end_note) == (
        KeyEnd.REVOKED,
        home.place.manager,
        "Utredning pågår",
    )
    assert key.listed_until is not None
    reconcile_keys()
    assert home.worker.pk not in holders(home.lock)
    with django_capture_on_commit_callbacks(execute=True):
        services.lift_revocation(home.place.manager, key)
    new = DigitalKey.objects.open().get(holder=home.worker, lock=home.lock)
    assert new.pk != key.pk
    with pytest.raises(services.KeyActionError, match="not revoked"):
        services.lift_revocation(home.place.manager, key)


def test_revoking_needs_a_reason_and_an_open_key(home: Home) -> None:
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    with pytest.raises(services.KeyActionError, match="Say why"):
        services.revoke_key(home.place.manager, key, note="  ")
    services.revoke_key(home.place.manager, key, note="Slutat")
    with pytest.raises(services.KeyActionError, match="already ended"):
        services.revoke_key(home.place.manager, key, note="Igen")


def test_who_may_revoke(home: Home) -> None:
    reconcile_keys(now=DAY)
    key = DigitalKey.objects.get(holder=home.worker, lock=home.lock)
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=home.place.other_provider)
    other_leader = make_staff(
        Role.TEAM_LEADER,
        provider=home.place.provider,
        teams=[TeamFactory(provider=home.place.provider)],
    )
    for refused in (
        home.worker,
        other_manager,
        other_leader,
        home.place.auditor,
        home.place.alarm_operator,
        home.place.foreign_tech,
    ):
        with pytest.raises(PermissionError):
            services.revoke_key(refused, key, note="Nej")
    services.revoke_key(home.team_leader, key, note="Gruppledaren återkallar")


def test_the_worker_reconciles_every_key(home: Home) -> None:
    from trygg import worker

    assert "locks.keys" in {job.name for job in worker.jobs()}
    assert services.reconcile_all() == 4
    assert services.reconcile_all() == 0
