"""Approving a team's period, the provider's lock date, and a municipal administrator
opening a locked period again: who may, what is refused, what is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from trygg.core.constants import Role
from trygg.core.models import Provider
from trygg.core.tests.factories import make_staff
from trygg.notifications.models import Notification
from trygg.visits import corrections, periods
from trygg.visits.models import PeriodLock, PeriodUnlock, Visit, VisitApproval
from trygg.visits.periods import PeriodRefused
from trygg.visits.services import Registrar
from trygg.visits.sync import sync

from .conftest import NOON, Place
from .office import admin_of, register, south_leader

pytestmark = pytest.mark.django_db
MONDAY, SUNDAY = dt.date(2026, 11, 30), dt.date(2026, 12, 6)
TODAY = dt.date(2026, 12, 7)


def test_approving_stamps_the_teams_visits_in_the_period(place: Place) -> None:
    inside = register(place)
    struck = register(place, start=NOON + dt.timedelta(hours=2))
    corrections.strike_visit(place.worker, struck, "registered_twice")
    outside = register(place, start=NOON + dt.timedelta(days=6))  # Tuesday 8 December
    south = register(place, client=place.south_client, start=NOON + dt.timedelta(hours=4))
    south.flags.update(cleared_at=NOON)  # no tag at that door: cleared, not this test's point
    approval = periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    assert (approval.team, approval.approved_by, approval.first_day, approval.last_day) == (
        place.north,
        place.leader,
        MONDAY,
        SUNDAY,
    )
    stamped = set(Visit.objects.filter(approval=approval).values_list("pk", flat=True))
    assert stamped == {inside.pk, struck.pk}
    assert outside.pk not in stamped
    assert south.pk not in stamped


def test_open_flags_stop_the_approval_until_they_are_worked_through(place: Place) -> None:
    visit = register(place, minutes=200)
    with pytest.raises(PeriodRefused, match="1 flags are still open"):
        periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    corrections.clear_flags(place.leader, list(visit.flags.all()), "Dubbelbesök enligt plan")
    periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    visit.refresh_from_db()
    assert visit.approval is not None


def test_a_struck_out_visits_flags_do_not_stop_the_approval(place: Place) -> None:
    visit = register(place, minutes=200)
    corrections.strike_visit(place.worker, visit, "registered_twice")
    periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (SUNDAY, MONDAY, "ends before it starts"),
        (MONDAY, TODAY + dt.timedelta(days=1), "not yet happened"),
        (dt.date(2026, 9, 1), SUNDAY, "at most 62 days"),
    ],
)
def test_a_period_that_cannot_be_approved_is_refused(
    place: Place, first: dt.date, last: dt.date, message: str
) -> None:
    with pytest.raises(PeriodRefused, match=message):
        periods.approve_period(place.leader, place.north, first, last, today=TODAY)
    assert not VisitApproval.objects.exists()


def test_only_the_teams_leader_or_the_manager_approves(place: Place) -> None:
    for outsider in (place.worker, south_leader(place), place.stranger, admin_of(place)):
        with pytest.raises(PeriodRefused, match="do not approve"):
            periods.approve_period(outsider, place.north, MONDAY, SUNDAY, today=TODAY)
    periods.approve_period(place.manager, place.south, MONDAY, SUNDAY, today=TODAY)


def test_a_locked_period_is_not_approved(place: Place) -> None:
    register(place)
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 30), today=TODAY)
    with pytest.raises(PeriodRefused, match="locked through 2026-11-30"):
        periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    periods.approve_period(place.leader, place.north, dt.date(2026, 12, 1), SUNDAY, today=TODAY)


def test_a_visit_synced_late_into_an_approved_period_asks_for_renewal(place: Place) -> None:
    register(place)
    approval = periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    late = register(place, start=NOON + dt.timedelta(hours=3))
    assert periods.approval_of(late) == (approval, True)
    [listed] = periods.with_renewal(VisitApproval.objects.all())
    assert listed.changed == 1
    renewed = periods.approve_period(place.leader, place.north, MONDAY, SUNDAY, today=TODAY)
    assert periods.with_renewal(VisitApproval.objects.filter(pk=renewed.pk))[0].changed == 0
    late.refresh_from_db()
    assert periods.approval_of(late) == (renewed, False)


def test_the_summary_counts_what_the_period_holds(place: Place) -> None:
    register(place, minutes=200)
    register(place, start=NOON + dt.timedelta(hours=5))
    summary = periods.summarise(place.north, MONDAY, SUNDAY)
    assert (summary.visits, summary.approved, summary.open_flags) == (2, 0, 1)
    assert summary.locked_days == []


# The lock date ---------------------------------------------------------------------------


def test_the_manager_moves_the_providers_lock_date_forward_only(place: Place) -> None:
    lock = periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 30), today=TODAY)
    assert (lock.locked_through, lock.set_by) == (dt.date(2026, 11, 30), place.manager)
    with pytest.raises(PeriodRefused, match="only moves forward; it is 2026-11-30"):
        periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 15), today=TODAY)
    with pytest.raises(PeriodRefused, match="only moves forward"):
        periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 30), today=TODAY)
    with pytest.raises(PeriodRefused, match="at most yesterday"):
        periods.set_lock_date(place.manager, place.provider, TODAY, today=TODAY)
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 12, 6), today=TODAY)
    assert periods.lock_of(place.provider.pk).locked_through == dt.date(2026, 12, 6)
    # Nobody was told: the provider set its own lock date.
    assert not Notification.objects.exists()


def test_the_municipality_locks_any_provider_and_tells_its_managers(place: Place) -> None:
    admin = admin_of(place)
    periods.set_lock_date(admin, place.other_provider, dt.date(2026, 11, 30), today=TODAY)
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=place.other_provider)
    periods.set_lock_date(admin, place.provider, dt.date(2026, 11, 30), today=TODAY)
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert told == {place.manager.pk, place.leader.pk}
    assert other_manager.pk not in told
    assert Notification.objects.filter(
        recipient=place.manager,
        subject="Besök till och med 2026-11-30 är nu låsta av kommunen",  # their language
    ).exists()


def test_staff_team_leaders_and_other_providers_do_not_set_the_lock_date(place: Place) -> None:
    other_manager = make_staff(Role.PROVIDER_MANAGER, provider=place.other_provider)
    auditor = make_staff(Role.AUDITOR, municipality=place.municipality)
    for outsider in (place.worker, place.leader, other_manager, auditor):
        with pytest.raises(PeriodRefused, match="do not set"):
            periods.set_lock_date(outsider, place.provider, dt.date(2026, 11, 30), today=TODAY)
    assert not PeriodLock.objects.exists()


def test_the_sync_refuses_registrations_in_the_locked_period(place: Place) -> None:
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 12, 2), today=TODAY)
    result = sync(Registrar.for_user(place.worker), NOON, [place.item()], received_at=NOON)
    assert result.items[0].code == "locked"


# Opening a locked period again ---------------------------------------------------------


def test_an_administrator_opens_a_locked_period_with_a_reason_and_locks_it_again(
    place: Place,
) -> None:
    admin = admin_of(place)
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 12, 4), today=TODAY)
    unlock = periods.unlock_period(
        admin, place.provider, dt.date(2026, 12, 1), dt.date(2026, 12, 10), "Brukare saknas"
    )
    assert (unlock.first_day, unlock.last_day, unlock.reason, unlock.unlocked_by) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 4),  # clipped to the lock date
        "Brukare saknas",
        admin,
    )
    assert Notification.objects.filter(
        recipient=place.manager, subject="Besök 2026-12-01 till 2026-12-04 är öppna för rättelser"
    ).exists()
    accepted = sync(Registrar.for_user(place.worker), NOON, [place.item()], received_at=NOON)
    assert accepted.items[0].status == "accepted"

    periods.relock(admin, unlock)
    unlock.refresh_from_db()
    assert unlock.relocked_at is not None
    newest = periods.lock_of(place.provider.pk)
    assert (newest.locked_through, newest.set_by) == (dt.date(2026, 12, 4), admin)
    refused = sync(
        Registrar.for_user(place.worker),
        NOON,
        [place.item(start=NOON + dt.timedelta(hours=3))],
        received_at=NOON + dt.timedelta(hours=4),
    )
    assert refused.items[0].code == "locked"
    with pytest.raises(PeriodRefused, match="already locked again"):
        periods.relock(admin, unlock)


@pytest.mark.parametrize(
    ("first", "last", "reason", "message"),
    [
        (dt.date(2026, 12, 1), dt.date(2026, 12, 2), "  ", "Give the reason"),
        (dt.date(2026, 12, 2), dt.date(2026, 12, 1), "Fel datum", "ends before it starts"),
        (dt.date(2026, 12, 5), dt.date(2026, 12, 6), "Fel datum", "Nothing in the period"),
    ],
)
def test_an_unlock_that_cannot_be_made_is_refused(
    place: Place, first: dt.date, last: dt.date, reason: str, message: str
) -> None:
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 12, 4), today=TODAY)
    with pytest.raises(PeriodRefused, match=message):
        periods.unlock_period(admin_of(place), place.provider, first, last, reason)
    assert not PeriodUnlock.objects.exists()


def test_only_a_municipal_administrator_opens_a_locked_period(place: Place) -> None:
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 12, 4), today=TODAY)
    auditor = make_staff(Role.AUDITOR, municipality=place.municipality)
    for outsider in (place.manager, place.leader, auditor):
        with pytest.raises(PeriodRefused, match="Only a municipal administrator"):
            periods.unlock_period(
                outsider, place.provider, dt.date(2026, 12, 1), dt.date(2026, 12, 2), "Behövs"
            )
    unlock = periods.unlock_period(
        admin_of(place), place.provider, dt.date(2026, 12, 1), dt.date(2026, 12, 2), "Behövs"
    )
    with pytest.raises(PeriodRefused, match="Only a municipal administrator"):
        periods.relock(place.manager, unlock)


def test_the_lock_page_state_counts_what_is_not_yet_approved(place: Place) -> None:
    register(place, minutes=200)
    register(place, start=NOON + dt.timedelta(hours=5))
    periods.set_lock_date(place.manager, place.provider, dt.date(2026, 11, 30), today=TODAY)
    [state] = periods.lock_states(Provider.objects.filter(pk=place.provider.pk), TODAY)
    assert (state.locked_through, state.unapproved, state.open_flags) == (
        dt.date(2026, 11, 30),
        2,
        1,
    )
