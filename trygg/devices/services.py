"""Domain operations on devices: staff phones (register one, move it along its lifecycle)
and alarm units (register, place with a client or provider, the register of alarm
customers on a date).

Each operation owns its transaction. A status change is a conditional update
(`UPDATE … WHERE status = old`), so two people acting on the same phone at once cannot both
succeed: the second is told someone else changed it first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core import tokens
from trygg.core.constants import Role
from trygg.core.models import ApiToken, Client, Municipality, Provider, RoleAssignment, User
from trygg.notifications.services import notify

from . import access
from .constants import (
    CONFIGURATION_WORKING_DAYS,
    INITIAL_STATUSES,
    TRANSITIONS,
    PhoneAction,
    PhoneStatus,
)
from .identifiers import parse_imei
from .models import (
    ALARM_CUSTOMER_KINDS,
    CAMERA_KINDS,
    AlarmPlacement,
    AlarmProtocol,
    AlarmUnit,
    AlarmUnitKind,
    Phone,
    PhoneEvent,
)
from .signals import phone_wipe_requested

logger = logging.getLogger(__name__)


class PhoneError(ValueError):
    """Input a person can correct; the message says how."""


class PhoneConflict(Exception):
    """The phone's status does not allow the action, or changed under the caller's feet."""


def ready_by(municipality: Municipality, handed_in_on: dt.date) -> dt.date:
    """The day a phone handed in on `handed_in_on` is due configured: 3 working days on, by
    the municipality's calendar (Easter, midsummer and Christmas, and its own closed days).

    Counted as a phone-configuration order's due date is: from the first working day on or
    after the hand-in, so a phone left on Good Friday is due when an order placed that day
    is, and a Saturday hand-in is due when a Monday one is."""
    received = municipality.add_working_days(handed_in_on, 0)
    return municipality.add_working_days(received, CONFIGURATION_WORKING_DAYS)


def _check_assignee(provider: Provider, user: User | None) -> None:
    if user is not None and not access.phone_assignable_staff(provider).filter(pk=user.pk).exists():
        raise PhoneError(
            _("%(name)s does not work for %(provider)s.")
            % {"name": user, "provider": provider.name}
        )


def register_phone(
    actor: User,
    provider: Provider,
    *,
    imei: str,
    model_name: str,
    assigned_to: User | None = None,
    serial_number: str = "",
    phone_number: str = "",
    notes: str = "",
    status: str = PhoneStatus.IN_STOCK,
    today: dt.date | None = None,
) -> Phone:
    """Add a phone to the register: new in stock, handed in today, or already in use."""
    if not access.phone_providers(actor).filter(pk=provider.pk).exists():
        raise PermissionError("You may not register phones for this provider.")
    if status not in INITIAL_STATUSES:
        raise PhoneError(_("A new phone is in stock, handed in or in use."))
    imei = parse_imei(imei)
    _check_assignee(provider, assigned_to)
    municipality = provider.municipality
    today = today or municipality.today()
    fields: dict[str, Any] = {}
    if status == PhoneStatus.HANDED_IN:
        fields = {
            "handed_in_on": today,
            "handed_in_by": actor,
            "ready_by": ready_by(municipality, today),
        }
    elif status == PhoneStatus.IN_USE:
        fields = {"picked_up_on": today}
    try:
        with transaction.atomic():
            phone = Phone.objects.create(
                municipality=municipality,
                provider=provider,
                assigned_to=assigned_to,
                imei=imei,
                model_name=model_name.strip(),
                serial_number=serial_number.strip(),
                phone_number=phone_number.strip(),
                notes=notes.strip(),
                status=status,
                **fields,
            )
            PhoneEvent.objects.create(
                phone=phone,
                at=timezone.now(),
                actor=actor,
                action=PhoneAction.REGISTER,
                to_status=status,
            )
    except IntegrityError as exc:
        if Phone.objects.filter(municipality=municipality, imei=imei).exists():
            raise PhoneError(_("A phone with this IMEI is already registered.")) from exc
        raise
    return phone


def change_phone(
    actor: User,
    phone: Phone,
    action: str,
    *,
    note: str = "",
    assigned_to: User | None = None,
    today: dt.date | None = None,
) -> Phone:
    """Move the phone along one transition and record it; returns the phone as it is now.

    `phone.status` is taken as the status the caller saw: if it has changed since, the
    conditional update matches nothing and PhoneConflict says so. `assigned_to` applies to
    a hand-in (the phone is configured for that staff member).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise PhoneError(_("Unknown action."))
    if not access.can_change_phone(actor, phone, action):
        raise PermissionError("You may not do that to this phone.")
    old = phone.status
    if old not in transition.sources:
        raise PhoneConflict(
            _("A phone that is %(status)s cannot be changed like that.")
            % {"status": PhoneStatus(old).label.lower()}
        )
    now = timezone.now()
    today = today or phone.municipality.today()
    fields = _fields_for(actor, phone, action, now, today, assigned_to)
    with transaction.atomic():
        changed = Phone.objects.filter(pk=phone.pk, status=old).update(
            status=transition.target, updated_at=now, **fields
        )
        if not changed:
            raise PhoneConflict(
                _("Someone else changed this phone just now. Reload the page and try again.")
            )
        phone.refresh_from_db()
        PhoneEvent.objects.create(
            phone=phone,
            at=now,
            actor=actor,
            action=action,
            from_status=old,
            to_status=transition.target,
            note=note.strip(),
        )
        _after(actor, phone, action)
    return phone


def _fields_for(
    actor: User,
    phone: Phone,
    action: str,
    now: dt.datetime,
    today: dt.date,
    assigned_to: User | None,
) -> dict[str, Any]:
    if action == PhoneAction.HAND_IN:
        _check_assignee(phone.provider, assigned_to)
        return {
            "handed_in_on": today,
            "handed_in_by": actor,
            "ready_by": ready_by(phone.municipality, today),
            "configured_on": None,
            "picked_up_on": None,
            "assigned_to": assigned_to or phone.assigned_to,
        }
    if action == PhoneAction.MARK_READY:
        return {"configured_on": today}
    if action == PhoneAction.PICK_UP:
        return {"picked_up_on": today}
    if action == PhoneAction.REPORT_LOST:
        return {"lost_reported_at": now, "lost_reported_by": actor}
    if action == PhoneAction.REQUEST_WIPE:
        return {"wipe_requested_at": now, "wipe_requested_by": actor}
    if action == PhoneAction.MARK_WIPED:
        return {"wiped_at": now, "wiped_by": actor}
    if action == PhoneAction.RETURN_TO_STOCK:
        return {"assigned_to": None}
    return {}


def _after(actor: User, phone: Phone, action: str) -> None:
    """Tell people, inside the transaction: a rolled-back change tells nobody anything."""
    url = reverse("devices:phone_detail", args=[phone.pk])
    topic = f"devices.phone:{phone.pk}:{action}"
    if action == PhoneAction.MARK_READY:
        recipients = [u for u in (phone.assigned_to, phone.handed_in_by) if u is not None]
        notify(
            recipients,
            _("Phone ready for pickup: %(phone)s") % {"phone": phone},
            _("The phone %(phone)s for %(staff)s is configured and can be picked up.")
            % {"phone": phone, "staff": phone.assigned_to or "—"},
            url=url,
            topic=topic,
        )
    elif action == PhoneAction.REPORT_LOST:
        # Managers decide on the wipe; at night a care worker's report must reach them.
        managers = _provider_people(phone.provider, {Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
        notify(
            [u for u in managers if u.pk != actor.pk],
            _("Phone reported lost: %(phone)s") % {"phone": phone},
            _(
                "%(actor)s reported the phone of %(staff)s lost. Request a remote wipe unless "
                "it turns up at once."
            )
            % {"actor": actor, "staff": phone.assigned_to or "—"},
            url=url,
            topic=topic,
        )
    elif action == PhoneAction.REQUEST_WIPE:
        team = User.objects.filter(
            role_assignments__municipality=phone.municipality,
            role_assignments__role=Role.WELFARE_TECH,
            role_assignments__provider__isnull=True,
            is_active=True,
        ).distinct()
        notify(
            team,
            _("Wipe a lost phone: %(phone)s") % {"phone": phone},
            _("%(actor)s asks for the lost phone %(phone)s (%(provider)s) to be wiped remotely.")
            % {"actor": actor, "phone": phone, "provider": phone.provider.name},
            url=url,
            topic=topic,
        )
        phone_wipe_requested.send(sender=Phone, phone=phone, actor=actor)


def _provider_people(provider: Provider, roles: set[Role]) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=RoleAssignment.objects.filter(provider=provider, role__in=roles).values(
                "user_id"
            ),
            is_active=True,
        )
    )


def report_lost(actor: User, phone: Phone, *, note: str = "", request_wipe: bool = False) -> Phone:
    """Report a phone lost and, when the actor may, request its wipe in the same breath:
    both happen or neither does."""
    with transaction.atomic():
        phone = change_phone(actor, phone, PhoneAction.REPORT_LOST, note=note)
        if request_wipe and access.can_change_phone(actor, phone, PhoneAction.REQUEST_WIPE):
            phone = change_phone(actor, phone, PhoneAction.REQUEST_WIPE)
    return phone


def available_actions(user: User, phone: Phone) -> list[str]:
    """Actions valid for the phone's status that the user's roles allow, in lifecycle order."""
    allowed = access.phone_actions(user, phone)
    return [
        action
        for action, transition in TRANSITIONS.items()
        if action in allowed and phone.status in transition.sources
    ]


# Alarm units and their placements ------------------------------------------------------
# The welfare-technology team and the municipality's administrators register alarm units
# and place them (`access.can_manage_alarm_units`).


class PlacementError(ValueError):
    """A placement that cannot be made as asked; the message says why."""


class PlacementConflict(PlacementError):
    """The unit is already placed on some of those days."""


def register_alarm_unit(
    actor: User,
    municipality: Municipality,
    *,
    serial_number: str,
    model_name: str,
    protocol: str,
    heartbeat_interval: int,
    heartbeat_grace: int = 60,
    kind: str = AlarmUnitKind.SAFETY_ALARM,
    dc09_account: str = "",
    scaip_controller_id: str = "",
    encryption_key: str = "",
    notes: str = "",
) -> AlarmUnit:
    """Add an alarm unit to the inventory. Raises ValidationError for bad or taken
    identifiers (the messages never quote the key). Supervision starts when the unit is
    first heard from."""
    if not access.can_manage_alarm_units(actor, municipality):
        raise PermissionError("You may not register alarm units in this municipality.")
    unit = AlarmUnit(
        municipality=municipality,
        serial_number=serial_number,
        model_name=model_name.strip(),
        protocol=protocol,
        kind=kind,
        dc09_account=dc09_account,
        scaip_controller_id=scaip_controller_id,
        encryption_key=encryption_key,
        heartbeat_interval=heartbeat_interval,
        heartbeat_grace=heartbeat_grace,
        notes=notes.strip(),
    )
    unit.full_clean()  # normalises the identifiers and the key, checks uniqueness
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:  # registered by someone else since full_clean
        raise ValidationError(_("An alarm unit with this identity is already registered.")) from exc
    return unit


def reschedule_supervision(unit: AlarmUnit) -> None:
    """Recompute when the unit counts as silent after its interval or grace changed.

    Reads and writes under the row lock the ingest takes, so a message arriving meanwhile
    is neither lost nor overwritten with an older deadline."""
    with transaction.atomic():
        current = AlarmUnit.objects.select_for_update().get(pk=unit.pk)
        due = current.due_after(current.last_seen_at) if current.last_seen_at else None
        AlarmUnit.objects.filter(pk=unit.pk).update(supervision_due_at=due)
    unit.supervision_due_at = due


def _lock_unit(unit: AlarmUnit) -> AlarmUnit:
    """The unit, locked until the transaction ends: placements of one unit are made one at
    a time. (SQLite has no row locks; its IMMEDIATE transactions serialise all writers.)"""
    return AlarmUnit.objects.select_for_update().get(pk=unit.pk)


def check_placement(
    unit: AlarmUnit,
    *,
    client: Client | None,
    provider: Provider | None,
    active_from: dt.date,
    active_to: dt.date | None,
) -> None:
    """Raise PlacementError if the unit cannot be placed so, leaving aside other placements
    of the unit (those are checked under the lock): for forms, before anything is saved."""
    if active_to is not None and active_to < active_from:
        raise PlacementError(_("The last day comes before the first."))
    _check_holder(unit, client, provider, active_from)


def _check_holder(
    unit: AlarmUnit, client: Client | None, provider: Provider | None, active_from: dt.date
) -> None:
    if (client is None) == (provider is None):
        raise PlacementError(_("Place the unit either with a client or with a provider."))
    if unit.kind == AlarmUnitKind.SAFETY_ALARM and client is None:
        raise PlacementError(_("A safety alarm is placed with a client."))
    if unit.kind in CAMERA_KINDS and client is None:
        raise PlacementError(_("A camera is placed with a client."))
    if unit.kind == AlarmUnitKind.EMERGENCY_ALARM and provider is None:
        raise PlacementError(_("An emergency alarm is held by a provider."))
    holder = client or provider
    assert holder is not None
    if holder.municipality_id != unit.municipality_id:
        raise PlacementError(_("The unit belongs to another municipality."))
    if client is not None and client.end_date is not None and client.end_date < active_from:
        raise PlacementError(_("The client's care ended before that day."))


def _check_free(
    unit: AlarmUnit, first: dt.date, last: dt.date | None, *, exclude: int | None = None
) -> None:
    taken = AlarmPlacement.objects.filter(unit=unit).overlapping(first, last)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    clash = taken.order_by("active_from").first()
    if clash is not None:
        end = clash.active_to.isoformat() if clash.active_to else _("further notice")
        raise PlacementConflict(
            _("The unit is already placed from %(start)s to %(end)s.")
            % {"start": clash.active_from.isoformat(), "end": end}
        )


def place_unit(
    actor: User,
    unit: AlarmUnit,
    *,
    client: Client | None = None,
    provider: Provider | None = None,
    active_from: dt.date,
    active_to: dt.date | None = None,
) -> AlarmPlacement:
    """Place a safety alarm with a client, or hand an emergency alarm to a provider, from
    `active_from` to `active_to` (the last day, inclusive; None: until further notice).

    Refused with PlacementConflict when the unit is placed on any of those days. The check
    and the insert happen under a lock on the unit, so two people placing the same unit at
    once cannot both succeed."""
    if not access.can_manage_alarm_units(actor, unit.municipality_id):
        raise PermissionError("You may not place alarm units in this municipality.")
    check_placement(
        unit, client=client, provider=provider, active_from=active_from, active_to=active_to
    )
    with transaction.atomic():
        _lock_unit(unit)
        _check_free(unit, active_from, active_to)
        try:
            with transaction.atomic():
                return AlarmPlacement.objects.create(
                    unit=unit,
                    client=client,
                    provider=provider,
                    active_from=active_from,
                    active_to=active_to,
                    created_by=actor,
                    ended_by=actor if active_to is not None else None,
                )
        except IntegrityError as exc:  # the open-ended backstop; the lock makes it rare
            raise PlacementConflict(_("The unit is already placed until further notice.")) from exc


def end_placement(actor: User, placement: AlarmPlacement, active_to: dt.date) -> AlarmPlacement:
    """Set the placement's last day (inclusive), or correct it. Returns it as it is now."""
    unit = placement.unit
    if not access.can_manage_alarm_units(actor, unit.municipality_id):
        raise PermissionError("You may not change this unit's placements.")
    with transaction.atomic():
        _lock_unit(unit)
        current = AlarmPlacement.objects.get(pk=placement.pk)
        if active_to < current.active_from:
            raise PlacementError(_("The last day comes before the first."))
        _check_free(unit, current.active_from, active_to, exclude=current.pk)
        AlarmPlacement.objects.filter(pk=current.pk).update(active_to=active_to, ended_by=actor)
    placement.refresh_from_db()
    return placement


def move_unit(
    actor: User,
    unit: AlarmUnit,
    on: dt.date,
    *,
    client: Client | None = None,
    provider: Provider | None = None,
) -> AlarmPlacement:
    """Move the unit to a new holder on `on`: the day is the new holder's, so the current
    placement ends the day before. Both changes happen or neither does."""
    if not access.can_manage_alarm_units(actor, unit.municipality_id):
        raise PermissionError("You may not place alarm units in this municipality.")
    with transaction.atomic():
        _lock_unit(unit)
        current = AlarmPlacement.objects.filter(unit=unit).active_on(on).first()
        if current is not None:
            if current.active_from >= on:
                raise PlacementConflict(_("The unit's current placement starts that very day."))
            end_placement(actor, current, on - dt.timedelta(days=1))
        return place_unit(actor, unit, client=client, provider=provider, active_from=on)


@dataclass(frozen=True)
class ActiveAlarmCustomer:
    """One line of the register of alarm customers (larmkunder) on a date."""

    placement_id: int
    client: Client | None  # None for an emergency alarm (akutlarm), held by `provider`
    provider: Provider  # responsible: the client's provider, or the holder of an akutlarm
    unit_serial: str
    kind: str  # AlarmUnitKind
    active_from: dt.date
    active_to: dt.date | None

    @property
    def is_emergency_alarm(self) -> bool:
        """Akutlarm appear on the log extract but earn no payment."""
        return self.kind == AlarmUnitKind.EMERGENCY_ALARM


def active_alarm_customers(
    municipality: Municipality,
    day: dt.date,
    *,
    providers: Iterable[Provider | int] | None = None,
) -> list[ActiveAlarmCustomer]:
    """Exactly the placements in force on `day`: active_from <= day and (active_to is null
    or active_to >= day). The end date is inclusive, the last day the customer had the
    alarm; a unit moved on a day counts for its new holder that day. Cameras are units
    too, but not alarm customers: they are left out.

    With `providers`, only the lines those providers are responsible for: their clients'
    safety alarms and the emergency alarms they hold (a provider's log extract).

    One line per placement (a client with two units has two lines; count distinct clients
    for the number of customers), safety alarms first, then by provider and name. The
    responsible provider is the client's provider as it is now: the core keeps no history
    of a client's provider. Returns personal data: the caller decides who may read it and
    logs the read (core/services.py, the access log)."""
    placements = AlarmPlacement.objects.active_on(day).filter(
        unit__municipality=municipality, unit__kind__in=sorted(ALARM_CUSTOMER_KINDS)
    )
    if providers is not None:
        ids = sorted({p if isinstance(p, int) else p.pk for p in providers})
        placements = placements.filter(Q(client__provider_id__in=ids) | Q(provider_id__in=ids))
    placements = placements.select_related("unit", "client__provider", "provider").order_by(
        Case(When(unit__kind=AlarmUnitKind.EMERGENCY_ALARM, then=1), default=0),
        Coalesce("client__provider__name", "provider__name"),
        "client__last_name",
        "client__first_name",
        "unit__serial_number",
    )
    lines = []
    for placement in placements:
        client = placement.client
        provider = client.provider if client is not None else placement.provider
        assert provider is not None  # the database requires a client or a provider
        lines.append(
            ActiveAlarmCustomer(
                placement_id=placement.pk,
                client=client,
                provider=provider,
                unit_serial=placement.unit.serial_number,
                kind=placement.unit.kind,
                active_from=placement.active_from,
                active_to=placement.active_to,
            )
        )
    return lines


# Device tokens ---------------------------------------------------------------------------
# A unit on the HTTPS API authenticates with a bearer token of its own: one live token per
# unit, linked from the unit (AlarmUnit.api_token), so a request can only ever post as the
# unit its token belongs to. The plain text is returned once to whoever issued it and never
# stored or logged; the token row keeps its digest. Rotating revokes the old token at once
# (a leaked token must stop working now), so the unit is silent until it has the new one.

DEVICE_SCOPE = "device"


class DeviceTokenError(ValueError):
    """A device token that cannot be issued as asked; the message says why."""


def _check_token_actor(actor: User | None, unit: AlarmUnit) -> None:
    # None: the command line, run by whoever operates the server.
    if actor is not None and not access.can_manage_alarm_units(actor, unit.municipality_id):
        raise PermissionError("You may not manage this alarm unit's token.")


def issue_device_token(
    actor: User | None, unit: AlarmUnit, *, rotate: bool = False
) -> tuple[ApiToken, str]:
    """A new bearer token for a unit on the HTTPS API: (token, plain text), the plain text
    to be shown once. If the unit has a live token, refused unless `rotate`, which revokes
    that one in the same transaction. `actor` None: from the command line."""
    _check_token_actor(actor, unit)
    if unit.protocol != AlarmProtocol.API:
        raise DeviceTokenError(_("Only a unit on the HTTPS API has a device token."))
    with transaction.atomic():
        # The lock makes issuing one at a time per unit: two people rotating at once end
        # with one live token, not two.
        locked = (
            AlarmUnit.objects.select_for_update(of=("self",))
            .select_related("api_token", "municipality")
            .get(pk=unit.pk)
        )
        old = locked.api_token
        replaced = old is not None and old.revoked_at is None
        if replaced and not rotate:
            raise DeviceTokenError(
                _("The unit already has a device token; rotate it to replace it.")
            )
        if replaced:
            assert old is not None
            ApiToken.objects.filter(pk=old.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        token, plain = tokens.create_token(
            f"Alarm unit {locked.serial_number}"[:100],
            locked.municipality,
            scopes=DEVICE_SCOPE,
        )
        AlarmUnit.objects.filter(pk=unit.pk).update(api_token=token)
    unit.api_token = token
    logger.info(
        "Device token %s… %s for alarm unit %s by %s",
        token.prefix,
        "rotated" if replaced else "issued",
        unit.pk,
        f"user {actor.pk}" if actor is not None else "the command line",
    )
    return token, plain


def rotate_device_token(actor: User | None, unit: AlarmUnit) -> tuple[ApiToken, str]:
    """Revoke the unit's token, if it has one, and issue a new one."""
    return issue_device_token(actor, unit, rotate=True)


def revoke_device_token(actor: User | None, unit: AlarmUnit) -> bool:
    """Revoke the unit's live token; False if it had none. The link stays, so the unit
    still shows its last token (and when it was revoked)."""
    _check_token_actor(actor, unit)
    token_id = AlarmUnit.objects.filter(pk=unit.pk).values_list("api_token", flat=True).first()
    if token_id is None:
        return False
    revoked = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        logger.info("Device token of alarm unit %s revoked", unit.pk)
    return bool(revoked)


def device_token_unit(token: ApiToken) -> AlarmUnit | None:
    """The unit a live token posts as: a device token linked to a unit on the HTTPS API.
    None for any other token (an integration's, or a unit moved to another protocol)."""
    if token.revoked_at is not None or not token.has_scope(DEVICE_SCOPE):
        return None
    return (
        AlarmUnit.objects.filter(api_token=token, protocol=AlarmProtocol.API)
        .only("municipality", "serial_number", "protocol", "api_token")
        .first()
    )
