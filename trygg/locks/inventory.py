"""Door locks in the inventory: registering one, placing it on a door, taking it down, and
its bearer token on the lock API. The welfare-technology team and the municipality's
administrators do these (`access.can_manage_locks`); `actor` None is the command line.

Placing and taking down change who may hold keys, so each reconciles the lock's keys once
committed: a lock taken down ends its keys and lists those whose tokens are about.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core import tokens
from trygg.core.models import ApiToken, Client, Municipality, User
from trygg.devices.models import DoorKind, DoorLock

from . import access, battery
from .keys import reconcile_keys

logger = logging.getLogger(__name__)

LOCK_SCOPE = "lock"


class LockError(ValueError):
    """Input a person can correct; the message says how."""


def _check(actor: User | None, municipality_id: int) -> None:
    if actor is not None and not access.can_manage_locks(actor, municipality_id):
        raise PermissionError("You may not manage door locks in this municipality.")


def _reconcile_after_commit(lock: DoorLock) -> None:
    lock_pk = lock.pk
    transaction.on_commit(lambda: reconcile_keys(lock_ids=[lock_pk]))


def register_lock(
    actor: User | None,
    municipality: Municipality,
    *,
    serial_number: str,
    model_name: str,
    firmware: str = "",
    notes: str = "",
) -> DoorLock:
    """Add a lock to the inventory, not yet on any door."""
    _check(actor, municipality.pk)
    serial_number = serial_number.strip()
    if not serial_number:
        raise LockError(_("Give the lock's serial number."))
    try:
        with transaction.atomic():
            return DoorLock.objects.create(
                municipality=municipality,
                serial_number=serial_number,
                model_name=model_name.strip(),
                firmware=firmware.strip(),
                notes=notes.strip(),
            )
    except IntegrityError as exc:
        raise LockError(_("A lock with this serial number is already registered.")) from exc


def _check_clients(lock: DoorLock, clients: list[Client], day: dt.date) -> None:
    for client in clients:
        if client.municipality_id != lock.municipality_id:
            raise LockError(_("The client belongs to another municipality."))
        if client.end_date is not None and client.end_date < day:
            raise LockError(
                _("The care of %(name)s ended before that day.") % {"name": client.full_name}
            )


def place_lock(
    actor: User | None,
    lock: DoorLock,
    *,
    on: dt.date,
    client: Client | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    entrance_clients: Iterable[Client] = (),
) -> DoorLock:
    """Mount the lock on a door from `on`: a client's own door (`client`), or a building
    entrance (its address and the clients behind it). A lock in service on a door is
    taken down first; one taken down may be placed again, on any door."""
    _check(actor, lock.municipality_id)
    behind = list(entrance_clients)
    if (client is None) == (not behind):
        raise LockError(
            _("Place the lock on a client's own door or on an entrance with its clients.")
        )
    if client is not None:
        fields = {
            "door_kind": DoorKind.FLAT,
            "client": client,
            "street": "",
            "postal_code": "",
            "city": "",
        }
        _check_clients(lock, [client], on)
    else:
        if not street.strip():
            raise LockError(_("Give the entrance's street address."))
        fields = {
            "door_kind": DoorKind.ENTRANCE,
            "client": None,
            "street": street.strip(),
            "postal_code": postal_code.strip(),
            "city": city.strip(),
        }
        _check_clients(lock, behind, on)
    with transaction.atomic():
        current = DoorLock.objects.select_for_update().get(pk=lock.pk)
        if current.placed_on is not None and (
            current.removed_on is None or current.removed_on > on
        ):
            raise LockError(
                _("The lock is on a door since %(day)s; take it down first.")
                % {"day": current.placed_on.isoformat()}
            )
        DoorLock.objects.filter(pk=lock.pk).update(
            placed_on=on, removed_on=None, updated_at=timezone.now(), **fields
        )
        current.refresh_from_db()
        current.entrance_clients.set(behind)
        _reconcile_after_commit(current)
    logger.info("Door lock %s placed (%s)", lock.pk, fields["door_kind"])
    return current


def set_entrance_clients(actor: User | None, lock: DoorLock, clients: Iterable[Client]) -> DoorLock:
    """Change who lives behind an entrance (someone moved in or out)."""
    _check(actor, lock.municipality_id)
    behind = list(clients)
    if lock.door_kind != DoorKind.ENTRANCE:
        raise LockError(_("Only an entrance's lock has clients behind it."))
    if not behind:
        raise LockError(_("An entrance's lock has at least one client behind it."))
    _check_clients(lock, behind, timezone.localdate())
    with transaction.atomic():
        lock.entrance_clients.set(behind)
        _reconcile_after_commit(lock)
    return lock


def remove_lock(actor: User | None, lock: DoorLock, *, on: dt.date) -> DoorLock:
    """Take the lock down on `on`: from that day it opens for nobody, its keys end (with the
    reason "the lock was taken down", once committed) and its open battery task is
    cancelled with the reason. A lock taken down ahead of time keeps its keys and task until
    that day; the worker's passes end them then."""
    _check(actor, lock.municipality_id)
    with transaction.atomic():
        current = DoorLock.objects.select_for_update().get(pk=lock.pk)
        if current.placed_on is None:
            raise LockError(_("The lock is not on any door."))
        if current.removed_on is not None and current.removed_on <= on:
            raise LockError(
                _("The lock was taken down on %(day)s.") % {"day": current.removed_on.isoformat()}
            )
        if on < current.placed_on:
            raise LockError(_("A lock comes down after it was placed."))
        DoorLock.objects.filter(pk=lock.pk).update(removed_on=on, updated_at=timezone.now())
        current.refresh_from_db()
        if on <= current.municipality.today():
            battery.cancel_for_lock(current, actor=actor)
        _reconcile_after_commit(current)
    logger.info("Door lock %s taken down", lock.pk)
    return current


# The lock's bearer token --------------------------------------------------------------------
# As for alarm units on the HTTPS API (devices.services.issue_device_token): one live token
# per lock, linked from it, its plain text shown once and never stored or logged.


def issue_lock_token(
    actor: User | None, lock: DoorLock, *, rotate: bool = False
) -> tuple[ApiToken, str]:
    """A new bearer token for the lock API: (token, plain text to show once). Refused when
    the lock has a live one, unless `rotate`, which revokes that one at once."""
    _check(actor, lock.municipality_id)
    with transaction.atomic():
        locked = (
            DoorLock.objects.select_for_update(of=("self",))
            .select_related("api_token", "municipality")
            .get(pk=lock.pk)
        )
        old = locked.api_token
        replaced = old is not None and old.revoked_at is None
        if replaced and not rotate:
            raise LockError(_("The lock already has a device token; rotate it to replace it."))
        if replaced:
            assert old is not None
            ApiToken.objects.filter(pk=old.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        token, plain = tokens.create_token(
            f"Door lock {locked.serial_number}"[:100], locked.municipality, scopes=LOCK_SCOPE
        )
        DoorLock.objects.filter(pk=lock.pk).update(api_token=token)
    lock.api_token = token
    logger.info(
        "Lock token %s… %s for door lock %s",
        token.prefix,
        "rotated" if replaced else "issued",
        lock.pk,
    )
    return token, plain


def lock_for_token(token: ApiToken) -> DoorLock | None:
    """The lock a live token speaks for; None for any other token."""
    if token.revoked_at is not None or not token.has_scope(LOCK_SCOPE):
        return None
    return DoorLock.objects.filter(api_token=token).select_related("municipality").first()
