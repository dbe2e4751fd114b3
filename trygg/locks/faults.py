"""Lock faults reported from the phone (felanmälan låsfel): what to do now, and the ticket.

The reporter picks the door (a lock in service on the door of a client they may report for,
`keyaccess.fault_clients`) and says what happened. They are told what to do now:

1. First the backup key: where the client's backup keys are kept, from the register
   (`backupkeys`), and whether one is lent out.
2. Then whom to call, by the support directory's "who do I call now?" for keyless locks
   (`trygg.support`), at this moment, by the municipality's working-day calendar and the
   client's district: in the support line's opening hours the support line (the service
   desk); when it is closed, the line the municipality's routine for locks names after the
   backup key and that is open now (the lock-fault line, evenings 17-22 and weekends
   07-22), and otherwise the directory's own answer (the district's alarm organisation).
   No hours are written here: they are the directory's lines and opening rules.

The report becomes a ticket at once: a service-desk order of the lock-fault type
(`lock_fault`) naming the client, with the lock and what happened in its description. What
the reporter then did (the backup key, whom they called, whether they got in) is added to the
ticket (`record_steps`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.constants import PROVIDER_ROLES
from trygg.core.models import Client, Provider, User
from trygg.devices.models import DoorLock, DoorLockQuerySet
from trygg.servicedesk import hooks
from trygg.servicedesk import services as desk_services
from trygg.servicedesk.models import Order, OrderType
from trygg.support import access as support_access
from trygg.support import services as support_services
from trygg.support.constants import LineKind, StepKind, System
from trygg.support.routing import Answer, LineData

from . import backupkeys, keyaccess
from .backupkeys import KeyState
from .constants import BackupKeyOutcome, Symptom
from .models import LockFault

logger = logging.getLogger(__name__)

ORDER_TYPE_CODE = "lock_fault"
MAX_DESCRIPTION = 2000


class FaultError(ValueError):
    """Input a person can correct; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FaultRefused(FaultError):
    """The reporter may not report faults on this door."""


# The doors a reporter may choose ---------------------------------------------------------------


def reportable_locks(user: User, day: dt.date) -> DoorLockQuerySet:
    """Locks in service on `day` on a door of a client the user may report for."""
    condition = keyaccess.fault_clients(user)
    if condition is None:
        return DoorLock.objects.none()
    clients = Client.objects.filter(condition).active_on(day)
    ids = DoorLock.objects.in_service(day).filter(
        models.Q(client__in=clients.values("pk"))
        | models.Q(entrance_clients__in=clients.values("pk"))
    )
    return DoorLock.objects.filter(pk__in=ids.values("pk"))


def clients_behind(user: User, lock: DoorLock) -> list[Client]:
    """The clients behind the door that the user may report for."""
    return [c for c in lock.clients_behind() if keyaccess.can_report_fault(user, c)]


# What to do now -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallNow:
    line: LineData
    why: str


@dataclass(frozen=True)
class Advice:
    """What the reporter is told to do, in order."""

    at: dt.datetime
    backup_keys: list[KeyState]
    call: CallNow | None
    # Further lines if the first does not answer, and checks of the routine.
    then_call: list[LineData] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    support_open: bool = False
    why: str = ""

    def as_record(self) -> dict[str, object]:
        """What was said, for the fault's record: names and numbers, as they were then."""
        return {
            "at": self.at.isoformat(),
            "backup_keys": [
                {
                    "label": s.key.label,
                    "kept_at": s.key.kept_at,
                    "lent_out": s.loan is not None,
                }
                for s in self.backup_keys
            ],
            "call": {"name": self.call.line.name, "phone": self.call.line.phone}
            if self.call
            else None,
            "then_call": [{"name": line.name, "phone": line.phone} for line in self.then_call],
            "support_open": self.support_open,
        }


def _call_now(answer: Answer) -> tuple[CallNow | None, list[LineData]]:
    """The line to call first, and the others to try after it."""
    open_escalation = [
        step.line
        for step in answer.escalation
        if step.kind == StepKind.CALL
        and step.line is not None
        and step.status is not None
        and step.status.open
    ]
    first: LineData | None
    if not answer.out_of_hours:
        first = answer.line
        why = _("Office hours: the support line answers.")
    else:
        # Support is closed: the routine's own line for locks comes first when it is open
        # (the lock-fault line), then the directory's answer (the district's alarm
        # organisation, or the general out-of-hours line).
        routine = [line for line in open_escalation if line.kind == LineKind.VENDOR]
        first = routine[0] if routine else answer.line
        if first is not None and first.kind == LineKind.VENDOR:
            why = _("Support is closed: the lock-fault line answers now.")
        elif first is not None and first.kind == LineKind.OUT_OF_HOURS:
            why = _("Support and the lock-fault line are closed: the alarm organisation answers.")
        else:
            why = _("Support is closed.")
    then: list[LineData] = []
    for line in [answer.line, *open_escalation]:
        if line is not None and (first is None or line.id != first.id) and line not in then:
            then.append(line)
    return (CallNow(first, why) if first is not None else None), then


def advice_for(user: User, client: Client, *, at: dt.datetime | None = None) -> Advice:
    """What the user is to do now about a lock fault at the client's door."""
    at = at or timezone.now()
    municipality = client.municipality
    answer = support_services.answers(
        municipality,
        at,
        client.team_id,
        systems=[System.LOCKS],
        caller=support_access.caller(user, municipality),
    )[0]
    call, then = _call_now(answer)
    checks = [step.text for step in answer.escalation if step.kind == StepKind.CHECK and step.text]
    return Advice(
        at=answer.at,
        backup_keys=backupkeys.keys_for_client(client, at),
        call=call,
        then_call=then,
        checks=checks,
        support_open=not answer.out_of_hours,
        why=support_services.describe(answer),
    )


# The report -------------------------------------------------------------------------------------


def _order_type(client: Client) -> OrderType | None:
    return OrderType.objects.filter(
        municipality_id=client.municipality_id, code=ORDER_TYPE_CODE, active=True
    ).first()


def _reporter_provider(user: User, client: Client) -> Provider | None:
    """The provider the ticket is placed for: the client's, when the reporter works there in
    any role (a care worker reports faults though the desk takes other orders only from team
    leaders and managers, who then see the ticket); None for the municipality's own staff."""
    if client.provider_id in keyaccess.scope_for(user).providers_with(PROVIDER_ROLES):
        return client.provider
    return None


def _description(lock: DoorLock, symptom: str, description: str) -> str:
    lines = [f"{Symptom(symptom).label}."]
    if description:
        lines.append(description)
    lines.append(
        _("Lock: %(serial)s, %(door)s.")
        % {"serial": lock.serial_number, "door": lock.address or lock.get_door_kind_display()}
    )
    return "\n".join(lines)


def report_fault(
    user: User,
    lock: DoorLock,
    client: Client,
    *,
    symptom: str,
    description: str = "",
    now: dt.datetime | None = None,
) -> LockFault:
    """Record the fault and place its ticket (a lock-fault order naming the client), both or
    neither. The advice given is kept with the fault."""
    now = now or timezone.now()
    if not keyaccess.can_report_fault(user, client):
        raise FaultRefused(
            _("%(name)s is another provider's client: you cannot report faults at that door.")
            % {"name": client.full_name}
        )
    day = client.municipality.local_date(now)
    lock.refresh_from_db(fields=["placed_on", "removed_on", "door_kind", "client"])
    if lock.municipality_id != client.municipality_id or client not in lock.clients_behind():
        raise FaultError(_("The client does not live behind that door."), "lock")
    if not lock.is_in_service(day):
        raise FaultError(_("The lock is not on any door now."), "lock")
    if symptom not in Symptom.values:
        raise FaultError(_("Say what happened."), "symptom")
    description = description.strip()
    if symptom == Symptom.OTHER and not description:
        raise FaultError(_("Describe what happened."), "description")
    if len(description) > MAX_DESCRIPTION:
        raise FaultError(
            _("Describe it in at most %(n)s characters.") % {"n": MAX_DESCRIPTION}, "description"
        )
    advice = advice_for(user, client, at=now)
    order_type = _order_type(client)
    with transaction.atomic():
        order = None
        if order_type is not None:
            order = _place_ticket(user, order_type, lock, client, symptom, description, now)
        fault = LockFault.objects.create(
            municipality=client.municipality,
            lock=lock,
            client=client,
            provider=_reporter_provider(user, client),
            reported_by=user,
            reported_at=now,
            symptom=symptom,
            description=description,
            advice=advice.as_record(),
            order=order,
        )
    logger.info("Lock fault %s reported on lock %s", fault.pk, lock.pk)
    return fault


def _place_ticket(
    user: User,
    order_type: OrderType,
    lock: DoorLock,
    client: Client,
    symptom: str,
    description: str,
    now: dt.datetime,
) -> Order:
    names = {spec.name: spec for spec in order_type.field_specs}
    data: dict[str, str] = {}
    for spec in names.values():
        if spec.kind == "client":
            data[spec.name] = str(client.pk)
    text = _description(lock, symptom, description)
    if "fault" in names:
        data["fault"] = text
    if "lock" in names:
        data["lock"] = lock.serial_number
    try:
        order = desk_services.place_order(
            user,
            order_type,
            data,
            provider=_reporter_provider(user, client),
            clients=Client.objects.filter(pk=client.pk),
            now=now,
        )
    except desk_services.InvalidOrder as exc:
        problems = "; ".join(m for messages in exc.errors.values() for m in messages)
        raise FaultError(
            _("The ticket could not be placed: %(problems)s") % {"problems": problems}
        ) from exc
    except desk_services.OrderError as exc:
        raise FaultError(str(exc)) from exc
    if "fault" not in names:
        desk_services.add_comment(user, order, text)
    return order


def can_record_steps(user: User, fault: LockFault) -> bool:
    return fault.reported_by_id == user.pk or (
        keyaccess.can_report_fault(user, fault.client)
        and fault.municipality_id
        in keyaccess.scope_for(user).municipalities_with(keyaccess.FAULT_MUNICIPAL_ROLES)
    )


def record_steps(
    user: User,
    fault: LockFault,
    *,
    backup_key: str,
    called: str = "",
    door_opened: bool | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> LockFault:
    """Add what the reporter did to the fault and its ticket."""
    if not can_record_steps(user, fault):
        raise FaultRefused(_("Only the one who reported the fault adds what was done."))
    if backup_key not in BackupKeyOutcome.values:
        raise FaultError(_("Say whether you used the backup key."), "backup_key")
    called = called.strip()[:200]
    note = note.strip()[:1000]
    now = now or timezone.now()
    parts = [
        _("Steps taken: %(backup)s.") % {"backup": BackupKeyOutcome(backup_key).label},
        _("Called: %(line)s.") % {"line": called} if called else _("Called nobody."),
    ]
    if door_opened is not None:
        parts.append(_("Got in: yes.") if door_opened else _("Got in: no."))
    if note:
        parts.append(note)
    with transaction.atomic():
        LockFault.objects.filter(pk=fault.pk).update(
            backup_key=backup_key, called=called, door_opened=door_opened, steps_noted_at=now
        )
        if fault.order_id is not None:
            order = Order.objects.select_for_update().get(pk=fault.order_id)
            if order.is_open:
                desk_services.add_comment(user, order, " ".join(parts))
                if "backup_key_used" in order.values:
                    # The ticket's own field says so too, as the service desk reads it.
                    used = backup_key in (BackupKeyOutcome.WORKED, BackupKeyOutcome.FAILED)
                    Order.objects.filter(pk=order.pk).update(
                        values={**order.values, "backup_key_used": used}
                    )
    fault.refresh_from_db()
    return fault


def order_panel(order: Order, user: User) -> dict[str, object] | None:
    """The ticket's backup-key card: for each fault on it, where the client's backup keys
    are kept now, whether one is out (to whom, since when), and the loans taken for the
    fault. Only for those who may see the client's backup keys (the ticket's page logs the
    client's reading)."""
    now = timezone.now()
    items = []
    for fault in order.lock_faults.select_related("client", "municipality"):
        if not keyaccess.can_see_backup_keys_of(user, fault.client):
            continue
        items.append(
            {
                "fault": fault,
                "keys": backupkeys.keys_for_client(fault.client, now),
                "loans": backupkeys.loans_for_fault(fault),
                "keeper": keyaccess.can_keep(user, fault.municipality_id),
                "fault_open": keyaccess.can_report_fault(user, fault.client),
            }
        )
    return {"items": items} if items else None


# The ticket's page shows the fault (the lock, the client, the advice and the steps) and
# the backup key's whereabouts now.
hooks.register(
    ORDER_TYPE_CODE,
    hooks.OrderTypeHooks(
        summary_template="locks/faults/order_fault.html",
        panel=order_panel,
        panel_template="locks/faults/order_backup_keys.html",
    ),
)
