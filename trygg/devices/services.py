"""Domain operations on staff phones: register one, move it along its lifecycle.

Each operation owns its transaction. A status change is a conditional update
(`UPDATE … WHERE status = old`), so two people acting on the same phone at once cannot both
succeed: the second is told someone else changed it first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core import access
from trygg.core.constants import Role
from trygg.core.models import Municipality, Provider, RoleAssignment, User
from trygg.notifications.services import notify

from .constants import (
    CONFIGURATION_WORKING_DAYS,
    INITIAL_STATUSES,
    TRANSITIONS,
    PhoneAction,
    PhoneStatus,
)
from .identifiers import parse_imei
from .models import Phone, PhoneEvent
from .signals import phone_wipe_requested


class PhoneError(ValueError):
    """Input a person can correct; the message says how."""


class PhoneConflict(Exception):
    """The phone's status does not allow the action, or changed under the caller's feet."""


def local_today(municipality: Municipality) -> dt.date:
    """Today in the municipality's time zone: the day a hand-in counts from."""
    return timezone.localdate(timezone=ZoneInfo(municipality.time_zone))


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
    today = today or local_today(municipality)
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
    today = today or local_today(phone.municipality)
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
