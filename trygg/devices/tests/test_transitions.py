"""Status changes: only along allowed transitions, by the right roles, and never twice."""

from __future__ import annotations

import pytest

from trygg.devices import services
from trygg.devices.constants import TRANSITIONS, PhoneAction, PhoneStatus
from trygg.devices.models import Phone, PhoneEvent

from .conftest import World

pytestmark = pytest.mark.django_db
A = PhoneAction
S = PhoneStatus


def test_the_whole_configuration_round(world: World) -> None:
    phone = world.phone(status=S.IN_STOCK)
    phone = services.change_phone(world.manager, phone, A.HAND_IN, assigned_to=world.colleague)
    phone = services.change_phone(world.tech, phone, A.START_CONFIGURING, note="on the bench")
    phone = services.change_phone(world.tech, phone, A.MARK_READY)
    phone = services.change_phone(world.tech, phone, A.PICK_UP)
    assert phone.status == S.IN_USE
    assert phone.assigned_to == world.colleague
    assert phone.configured_on is not None
    assert phone.picked_up_on is not None
    history = list(phone.events.order_by("at", "id").values_list("from_status", "to_status"))
    assert history == [
        ("", S.IN_STOCK),
        (S.IN_STOCK, S.HANDED_IN),
        (S.HANDED_IN, S.CONFIGURING),
        (S.CONFIGURING, S.READY_FOR_PICKUP),
        (S.READY_FOR_PICKUP, S.IN_USE),
    ]
    assert phone.events.get(action=A.START_CONFIGURING).note == "on the bench"
    assert phone.events.get(action=A.HAND_IN).actor == world.manager


def test_lost_wipe_requested_wiped(world: World) -> None:
    phone = world.phone()
    phone = services.change_phone(world.care_worker, phone, A.REPORT_LOST)
    phone = services.change_phone(world.team_leader, phone, A.REQUEST_WIPE)
    phone = services.change_phone(world.tech, phone, A.MARK_WIPED)
    assert phone.status == S.WIPED
    assert phone.lost_reported_by == world.care_worker
    assert phone.wipe_requested_by == world.team_leader
    assert phone.wiped_by == world.tech
    assert phone.lost_reported_at <= phone.wipe_requested_at <= phone.wiped_at


def test_a_manager_reports_lost_and_requests_the_wipe_at_once(world: World) -> None:
    phone = services.report_lost(world.manager, world.phone(), request_wipe=True)
    assert phone.status == S.WIPE_REQUESTED
    assert phone.events.count() == 3


def test_a_care_worker_cannot_request_the_wipe_with_the_report(world: World) -> None:
    phone = services.report_lost(world.care_worker, world.phone(), request_wipe=True)
    assert phone.status == S.LOST


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.IN_STOCK, A.MARK_READY),
        (S.IN_STOCK, A.REPORT_LOST),
        (S.IN_USE, A.MARK_WIPED),
        (S.IN_USE, A.PICK_UP),
        (S.HANDED_IN, A.HAND_IN),
    ],
)
def test_it_refuses_actions_the_status_does_not_allow(
    world: World, status: str, action: str
) -> None:
    phone = world.phone(status=status)
    with pytest.raises(services.PhoneConflict):
        services.change_phone(world.admin, phone, action)
    phone.refresh_from_db()
    assert phone.status == status
    assert phone.events.count() == 1


def test_a_wipe_request_is_final(world: World) -> None:
    phone = services.report_lost(world.manager, world.phone(), request_wipe=True)
    with pytest.raises(services.PhoneConflict):
        services.change_phone(world.manager, phone, A.FOUND)


@pytest.mark.parametrize(
    ("persona", "action"),
    [
        ("care_worker", A.REQUEST_WIPE),
        ("care_worker", A.RETIRE),
        ("colleague", A.REPORT_LOST),  # not their phone
        ("manager", A.MARK_READY),
        ("team_leader", A.MARK_WIPED),
        ("other_manager", A.REPORT_LOST),
        ("alarm_operator", A.REPORT_LOST),
        ("auditor", A.HAND_IN),
        ("foreign_tech", A.RETIRE),
    ],
)
def test_roles_may_only_do_their_part(world: World, persona: str, action: str) -> None:
    phone = world.phone()
    if action == A.REQUEST_WIPE:
        phone = services.change_phone(world.care_worker, phone, A.REPORT_LOST)
    if action in (A.MARK_READY,):
        phone = services.change_phone(world.manager, phone, A.HAND_IN)
    if action == A.MARK_WIPED:
        phone = services.report_lost(world.manager, phone, request_wipe=True)
    before = phone.status
    with pytest.raises(PermissionError):
        services.change_phone(getattr(world, persona), phone, action)
    phone.refresh_from_db()
    assert phone.status == before


def test_the_second_of_two_racing_changes_is_refused(world: World) -> None:
    phone = world.phone()
    # Two people opened the page while the phone was in use: both copies say IN_USE, so
    # both pass the status check before the update; only the database can tell them apart.
    seen_by_worker = Phone.objects.get(pk=phone.pk)
    seen_by_tech = Phone.objects.get(pk=phone.pk)
    services.change_phone(world.care_worker, seen_by_worker, A.REPORT_LOST)
    with pytest.raises(services.PhoneConflict, match="Someone else"):
        services.change_phone(world.tech, seen_by_tech, A.RETIRE)
    phone.refresh_from_db()
    assert phone.status == S.LOST
    assert PhoneEvent.objects.filter(phone=phone, action=A.REPORT_LOST).count() == 1
    assert not PhoneEvent.objects.filter(phone=phone, action=A.RETIRE).exists()


def test_the_same_change_twice_records_it_once(world: World) -> None:
    phone = world.phone(status=S.IN_STOCK)
    services.change_phone(world.manager, phone, A.HAND_IN)
    stale = Phone.objects.get(pk=phone.pk)
    stale.status = S.IN_STOCK  # what the second tab still shows
    with pytest.raises(services.PhoneConflict):
        services.change_phone(world.team_leader, stale, A.HAND_IN)
    assert PhoneEvent.objects.filter(phone=phone, action=A.HAND_IN).count() == 1


def test_hand_in_only_to_staff_of_the_provider(world: World) -> None:
    phone = world.phone(status=S.IN_STOCK)
    with pytest.raises(services.PhoneError, match="does not work for"):
        services.change_phone(world.manager, phone, A.HAND_IN, assigned_to=world.other_care_worker)
    phone.refresh_from_db()
    assert phone.status == S.IN_STOCK


def test_return_to_stock_unassigns(world: World) -> None:
    phone = services.change_phone(world.tech, world.phone(), A.RETURN_TO_STOCK)
    assert phone.assigned_to is None


def test_every_action_is_reachable_and_leads_somewhere_else() -> None:
    for transition in TRANSITIONS.values():
        assert transition.target not in transition.sources
    reached = {S.IN_STOCK} | {t.target for t in TRANSITIONS.values()}
    assert reached == set(S)
