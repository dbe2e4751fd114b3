"""Staff-phone statuses and the transitions between them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The routine: phones are configured within 3 working days of hand-in.
CONFIGURATION_WORKING_DAYS = 3


class PhoneStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    HANDED_IN = "handed_in_for_configuration", _("Handed in for configuration")
    CONFIGURING = "configuring", _("Being configured")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    IN_USE = "in_use", _("In use")
    LOST = "lost", _("Lost")
    WIPE_REQUESTED = "wipe_requested", _("Wipe requested")
    WIPED = "wiped", _("Wiped")
    RETIRED = "retired", _("Retired")


# Waiting on the welfare-technology team: these count against the ready-by date.
AWAITING_CONFIGURATION = frozenset({PhoneStatus.HANDED_IN, PhoneStatus.CONFIGURING})
# A new phone enters the register in one of these.
INITIAL_STATUSES = (PhoneStatus.IN_STOCK, PhoneStatus.HANDED_IN, PhoneStatus.IN_USE)


class PhoneAction(models.TextChoices):
    REGISTER = "register", _("Registered")
    HAND_IN = "hand_in", _("Hand in for configuration")
    START_CONFIGURING = "start_configuring", _("Start configuring")
    MARK_READY = "mark_ready", _("Ready for pickup")
    PICK_UP = "pick_up", _("Picked up")
    REPORT_LOST = "report_lost", _("Report lost")
    FOUND = "found", _("Found again")
    REQUEST_WIPE = "request_wipe", _("Request remote wipe")
    MARK_WIPED = "mark_wiped", _("Wipe done")
    RETURN_TO_STOCK = "return_to_stock", _("Return to stock")
    RETIRE = "retire", _("Retire")


@dataclass(frozen=True)
class Transition:
    action: PhoneAction
    sources: frozenset[PhoneStatus]
    target: PhoneStatus
    # Shown to the person about to do it, on the confirmation page.
    explanation: Promise


S = PhoneStatus
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            PhoneAction.HAND_IN,
            frozenset({S.IN_STOCK, S.IN_USE}),
            S.HANDED_IN,
            _("The welfare-technology team configures it within 3 working days."),
        ),
        Transition(
            PhoneAction.START_CONFIGURING,
            frozenset({S.HANDED_IN}),
            S.CONFIGURING,
            _("The phone is on the bench."),
        ),
        Transition(
            PhoneAction.MARK_READY,
            frozenset({S.HANDED_IN, S.CONFIGURING}),
            S.READY_FOR_PICKUP,
            _("The staff member and whoever handed it in are told it can be picked up."),
        ),
        Transition(
            PhoneAction.PICK_UP,
            frozenset({S.READY_FOR_PICKUP}),
            S.IN_USE,
            _("The staff member has the phone."),
        ),
        Transition(
            PhoneAction.REPORT_LOST,
            frozenset({S.IN_USE, S.READY_FOR_PICKUP}),
            S.LOST,
            _("Report it as soon as you miss it: the phone holds digital keys."),
        ),
        Transition(
            PhoneAction.FOUND,
            frozenset({S.LOST}),
            S.IN_USE,
            _("Only before a wipe is requested; after that the wipe goes ahead."),
        ),
        Transition(
            PhoneAction.REQUEST_WIPE,
            frozenset({S.LOST}),
            S.WIPE_REQUESTED,
            _("The welfare-technology team is told to wipe the phone remotely."),
        ),
        Transition(
            PhoneAction.MARK_WIPED,
            frozenset({S.WIPE_REQUESTED}),
            S.WIPED,
            _("The remote wipe has been carried out."),
        ),
        Transition(
            PhoneAction.RETURN_TO_STOCK,
            frozenset({S.IN_USE, S.READY_FOR_PICKUP, S.WIPED}),
            S.IN_STOCK,
            _("The phone is back with the welfare-technology team, assigned to nobody."),
        ),
        Transition(
            PhoneAction.RETIRE,
            frozenset({S.IN_STOCK, S.IN_USE, S.WIPED}),
            S.RETIRED,
            _("The phone leaves service for good."),
        ),
    )
}
del S


class TagDoor(models.TextChoices):
    """Which of the client's doors a tag is put up at: one tag per door at a time."""

    MAIN = "main", _("Front door")
    BACK = "back", _("Back or patio door")
    OTHER = "other", _("Another door")


class TagRetireReason(models.TextChoices):
    """Why an NFC tag was taken down from a client's door."""

    BROKEN = "broken", _("Broken or cannot be read")
    LOST = "lost", _("Lost or removed")
    MOVED = "moved", _("The client has moved")
    ENDED = "ended", _("The service has ended")
    WRONG_PLACE = "wrong_place", _("Put up in the wrong place")
    REPLACED = "replaced", _("Replaced by a new tag")
    OTHER = "other", _("Other")
