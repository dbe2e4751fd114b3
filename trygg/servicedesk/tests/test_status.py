"""Orders move only along the allowed transitions, and the orderer is told once when done."""

from __future__ import annotations

import pytest
from django.core import mail

from trygg.notifications.models import Notification
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import Order, OrderEvent
from trygg.servicedesk.services import (
    OrderConflict,
    OrderError,
    add_comment,
    allowed_transitions,
    change_status,
    complete_step,
)

from .conftest import Desk

pytestmark = pytest.mark.django_db


def test_the_team_takes_an_order_through_to_done(desk: Desk) -> None:
    order = desk.phone_order()
    change_status(desk.welfare, order, OrderStatus.ACCEPTED)
    assert order.assigned_to == desk.welfare
    change_status(desk.welfare, order, OrderStatus.IN_PROGRESS, "Telefonen mottagen")
    change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE
    assert order.done_at is not None
    assert order.assigned_to == desk.welfare
    history = list(order.events.values_list("from_status", "to_status", "note"))
    assert history == [
        ("", OrderStatus.SUBMITTED, ""),
        (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, ""),
        (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, "Telefonen mottagen"),
        (OrderStatus.IN_PROGRESS, OrderStatus.DONE, ""),
    ]


def test_done_notifies_the_orderer_once_with_a_link(
    desk: Desk, django_capture_on_commit_callbacks
) -> None:
    order = desk.phone_order()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    notes = Notification.objects.filter(recipient=desk.leader_a)
    assert notes.count() == 1
    assert order.number in notes[0].subject
    assert notes[0].url == f"/orders/{order.pk}/"
    assert len(mail.outbox) == 1
    with pytest.raises(OrderError):
        change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    assert Notification.objects.filter(recipient=desk.leader_a).count() == 1


@pytest.mark.parametrize(
    ("country", "subject"),
    [("SE", "Din beställning {} är klar"), ("NO", "Bestillingen din {} er utført")],
)
def test_an_orderer_without_a_language_is_told_in_the_municipalitys(
    desk: Desk, django_capture_on_commit_callbacks, country: str, subject: str
) -> None:
    desk.municipality.country = country
    desk.municipality.save(update_fields=["country"])
    desk.leader_a.preferred_language = ""
    desk.leader_a.save(update_fields=["preferred_language"])
    order = desk.phone_order()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    [note] = Notification.objects.filter(recipient=desk.leader_a)
    assert note.subject == subject.format(order.number)
    [email] = mail.outbox
    assert email.subject == subject.format(order.number)


def test_an_orderers_own_language_wins(desk: Desk, django_capture_on_commit_callbacks) -> None:
    desk.leader_a.preferred_language = "en"
    desk.leader_a.save(update_fields=["preferred_language"])
    order = desk.phone_order()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    [note] = Notification.objects.filter(recipient=desk.leader_a)
    assert note.subject == f"Your order {order.number} is done"


def test_two_people_completing_at_once_complete_it_once(desk: Desk) -> None:
    order = desk.phone_order()
    mine = Order.objects.get(pk=order.pk)
    theirs = Order.objects.get(pk=order.pk)
    change_status(desk.welfare, desk.tick_all(mine), OrderStatus.DONE)
    with pytest.raises(OrderConflict):
        change_status(desk.admin, theirs, OrderStatus.DONE)  # still thinks it is submitted
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.DONE).count() == 1
    assert Notification.objects.filter(recipient=desk.leader_a).count() == 1


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([OrderStatus.DONE], OrderStatus.IN_PROGRESS),
        ([OrderStatus.CANCELLED], OrderStatus.ACCEPTED),
        ([OrderStatus.ACCEPTED], OrderStatus.SUBMITTED),
        ([OrderStatus.IN_PROGRESS], OrderStatus.ACCEPTED),
    ],
)
def test_it_refuses_transitions_that_are_not_allowed(
    desk: Desk, path: list[str], refused: str
) -> None:
    order = desk.tick_all(desk.phone_order())
    for status in path:
        change_status(desk.welfare, order, status)
    with pytest.raises(OrderError):
        change_status(desk.welfare, order, refused)
    order.refresh_from_db()
    assert order.status == path[-1]


def test_the_orderer_may_cancel_only_before_work_starts(desk: Desk) -> None:
    order = desk.phone_order()
    assert allowed_transitions(desk.leader_a, order) == [OrderStatus.CANCELLED]
    assert allowed_transitions(desk.colleague_a, order) == [OrderStatus.CANCELLED]
    assert allowed_transitions(desk.manager_b, order) == []
    change_status(desk.welfare, order, OrderStatus.IN_PROGRESS)
    assert allowed_transitions(desk.leader_a, order) == []
    with pytest.raises(OrderError):
        change_status(desk.leader_a, order, OrderStatus.CANCELLED)
    change_status(desk.welfare, order, OrderStatus.WAITING_FOR_ORDERER)
    change_status(desk.leader_a, order, OrderStatus.CANCELLED, "Behövs inte längre")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_the_orderer_cannot_mark_their_own_order_done(desk: Desk) -> None:
    order = desk.phone_order()
    with pytest.raises(OrderError):
        change_status(desk.leader_a, order, OrderStatus.DONE)


def test_steps_are_ticked_once_and_frozen_when_closed(desk: Desk) -> None:
    order = desk.phone_order()
    step = order.steps.first()
    assert step is not None
    complete_step(desk.welfare, step)
    complete_step(desk.admin, step)  # a second tick keeps who did it first
    step.refresh_from_db()
    assert step.done_by == desk.welfare
    complete_step(desk.welfare, step, done=False)
    step.refresh_from_db()
    assert step.done_at is None
    change_status(desk.welfare, desk.tick_all(order), OrderStatus.DONE)
    step.order.refresh_from_db()
    with pytest.raises(OrderError):
        complete_step(desk.welfare, step)


def test_only_the_team_writes_internal_notes(desk: Desk) -> None:
    order = desk.phone_order()
    assert add_comment(desk.welfare, order, "Ring leverantören", internal=True).internal
    with pytest.raises(OrderError):
        add_comment(desk.leader_a, order, "Hemligt", internal=True)
    with pytest.raises(OrderError):
        add_comment(desk.leader_a, order, "   ")
