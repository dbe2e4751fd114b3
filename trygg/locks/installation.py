"""Installing a keyless lock is a service-desk order (`lock_installation`) that ends with the
lock placed on the client's door.

The provider (or the municipality) orders the installation for a client; the order is
refused when the client's own door has a lock in service already. The welfare-technology
team books and mounts the lock, then places it from the order's page: they pick a lock from
the inventory that is on no door (or register its serial number there and then), and the
day it went up. Placing it puts the lock on the client's door (`inventory.place_lock`, which
gives the team's staff their keys), marks the client as having a digital lock, records the
order's result (the lock and the day) and ticks the step "Registrera låset på dörren". The
hooks below are the service desk's contract for the order type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from trygg.core.models import Client, User
from trygg.devices.models import DoorKind, DoorLock, DoorLockQuerySet
from trygg.servicedesk import access as desk_access
from trygg.servicedesk import hooks
from trygg.servicedesk import services as desk_services
from trygg.servicedesk.hooks import ResultRequest
from trygg.servicedesk.models import Order, OrderResult, OrderType

from . import access, inventory

ORDER_TYPE_CODE = "lock_installation"
STEP_PLACED = "Registrera låset på dörren"
RESULT_KIND = "lock_placed"


class InstallationError(ValueError):
    """Input a person can correct; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def lock_on_door(client: Client, day: dt.date) -> DoorLock | None:
    """The lock in service on the client's own door on `day`, if any."""
    return (
        DoorLock.objects.in_service(day)
        .filter(door_kind=DoorKind.FLAT, client=client)
        .order_by("pk")
        .first()
    )


def check_installation_order(
    order_type: OrderType, values: Mapping[str, Any], day: dt.date
) -> dict[str, list[str]]:
    """Refuse an installation for a client whose door has a lock already, or whose care
    has ended."""
    client = next((v for v in values.values() if isinstance(v, Client)), None)
    if client is None:
        return {}
    problems: dict[str, list[str]] = {}
    field = next((name for name, value in values.items() if isinstance(value, Client)), "client")
    if client.end_date is not None and client.end_date < day:
        problems[field] = [_("The care of %(name)s has ended.") % {"name": client.full_name}]
    existing = lock_on_door(client, day)
    if existing is not None:
        problems[field] = [
            _("%(name)s has a digital lock on the door already (%(serial)s).")
            % {"name": client.full_name, "serial": existing.serial_number}
        ]
    return problems


def free_locks(order: Order, day: dt.date) -> DoorLockQuerySet:
    """The municipality's locks on no door on `day`: never placed, or taken down by then."""
    return (
        DoorLock.objects.filter(municipality_id=order.municipality_id)
        .exclude(pk__in=DoorLock.objects.in_service(day).values("pk"))
        .exclude(placed_on__gt=day)
        .order_by("serial_number")
    )


def can_install(user: User, order: Order) -> bool:
    return (
        order.order_type.code == ORDER_TYPE_CODE
        and order.is_open
        and desk_access.can_fulfil_orders(user, order.municipality_id)
        and access.can_manage_locks(user, order.municipality_id)
    )


def install_from_order(
    actor: User,
    order: Order,
    *,
    on: dt.date,
    lock: DoorLock | None = None,
    serial_number: str = "",
    model_name: str = "",
    remote_addr: str | None = None,
) -> OrderResult:
    """Place the lock (one from the inventory, or one registered now by its serial number)
    on the order's client's door from `on`, and record it as the order's result; all of it
    or nothing."""
    if order.order_type.code != ORDER_TYPE_CODE:
        raise InstallationError(_("This order is not a lock installation."))
    if not can_install(actor, order):
        if not order.is_open:
            raise InstallationError(_("The order is closed; nothing more is done for it."))
        raise PermissionError("Only the welfare-technology team places locks.")
    client = order.client
    if client is None:
        raise InstallationError(_("The order names no client."))
    today = order.municipality.today()
    if on > today:
        raise InstallationError(_("Place the lock when it is on the door, not before."), "on")
    if on < order.municipality.local_date(order.placed_at) - dt.timedelta(days=30):
        raise InstallationError(_("The day is long before the order was placed."), "on")
    if (lock is None) == (not serial_number.strip()):
        raise InstallationError(
            _("Choose a lock from the inventory or give a new lock's serial number."), "lock"
        )
    existing = lock_on_door(client, on)
    if existing is not None:
        raise InstallationError(
            _("%(name)s has a digital lock on the door already (%(serial)s).")
            % {"name": client.full_name, "serial": existing.serial_number}
        )
    try:
        with transaction.atomic():
            if lock is None:
                lock = inventory.register_lock(
                    actor,
                    order.municipality,
                    serial_number=serial_number,
                    model_name=model_name or _("Door lock"),
                )
            elif lock.municipality_id != order.municipality_id:
                raise InstallationError(_("The lock is another municipality's."), "lock")
            placed = inventory.place_lock(actor, lock, on=on, client=client)
            Client.objects.filter(pk=client.pk).update(digital_lock=True, key_location="")
            return desk_services.record_result(
                order,
                ResultRequest(made_by=actor, remote_addr=remote_addr),
                summary={
                    "lock": placed.pk,
                    "serial": placed.serial_number,
                    "model": placed.model_name,
                    "placed_on": on.isoformat(),
                },
                files=[],
                clients=[client],
                comment=_("The lock %(serial)s is on the door from %(day)s.")
                % {"serial": placed.serial_number, "day": on.isoformat()},
            )
    except inventory.LockError as exc:
        raise InstallationError(str(exc), "lock") from exc


hooks.register(
    ORDER_TYPE_CODE,
    hooks.OrderTypeHooks(
        validate=check_installation_order,
        steps_done=(STEP_PLACED,),
        summary_template="locks/installation/order_result.html",
    ),
)
