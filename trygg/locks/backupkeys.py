"""The backup-key register (reservnyckelregister): where each backup key to a client's door is
kept, who borrowed it and when, when it came back, and what is overdue.

A key is lent to one person at a time and is to be back within the loan period
(`loan_period()`, setting `BACKUP_KEY_LOAN_HOURS`, default 8 hours: a shift), or by the time
the keeper sets when lending it. A key not back in time is overdue: the register shows it,
and the keepers (the municipality's alarm operators, who run the alarm organisation; the
welfare-technology team when there are none) and the borrower are told once (worker job
`locks.backup_keys_overdue`). Who may do what is `keyaccess`; each operation here owns its
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.alarms.models import District
from trygg.core.constants import Role
from trygg.core.languages import language_of
from trygg.core.models import Client, Municipality, User
from trygg.notifications.services import notify
from trygg.servicedesk import services as desk_services
from trygg.servicedesk.models import Order

from . import keyaccess
from .models import BackupKey, BackupKeyLoan, KeyReceipt, LockFault

logger = logging.getLogger(__name__)

DEFAULT_LOAN_HOURS = 8
# A keeper may give a longer time (a key kept by the patrol over a weekend), not longer.
MAX_LOAN = dt.timedelta(days=7)
# A return registered this far ahead of the server's clock is a typing mistake.
_CLOCK_LEEWAY = dt.timedelta(minutes=5)
OVERDUE_CHECK_EVERY = 300


class BackupKeyError(ValueError):
    """Input a person can correct; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def loan_period() -> dt.timedelta:
    """How long a backup key may be out: `BACKUP_KEY_LOAN_HOURS`, 8 unless configured."""
    hours = getattr(settings, "BACKUP_KEY_LOAN_HOURS", DEFAULT_LOAN_HOURS)
    return dt.timedelta(hours=max(1, int(hours)))


def _check_keeper(actor: User, municipality_id: int) -> None:
    if not keyaccess.can_keep(actor, municipality_id):
        raise PermissionError("You do not keep this municipality's backup keys.")


# The register ---------------------------------------------------------------------------------


def register_key(
    actor: User,
    client: Client,
    *,
    label: str,
    kept_at: str,
    district: District | None = None,
    receipt: KeyReceipt | None = None,
    note: str = "",
) -> BackupKey:
    """Add a backup key to the register."""
    _check_keeper(actor, client.municipality_id)
    label = label.strip()
    kept_at = kept_at.strip()
    if not label:
        raise BackupKeyError(_("Give the number or text on the key's tag."), "label")
    if not kept_at:
        raise BackupKeyError(_("Say where the key is kept."), "kept_at")
    if district is not None and district.municipality_id != client.municipality_id:
        raise BackupKeyError(_("The district is in another municipality."), "district")
    if receipt is not None and receipt.client_id != client.pk:
        raise BackupKeyError(_("The key receipt is another client's."), "receipt")
    try:
        with transaction.atomic():
            return BackupKey.objects.create(
                municipality=client.municipality,
                client=client,
                label=label,
                kept_at=kept_at,
                district=district,
                receipt=receipt,
                note=note.strip(),
                registered_by=actor,
            )
    except IntegrityError as exc:
        raise BackupKeyError(
            _("Another backup key in the register has the tag %(label)s.") % {"label": label},
            "label",
        ) from exc


def retire_key(actor: User, key: BackupKey, *, on: dt.date) -> BackupKey:
    """Take the key out of the register (given back to the client or discarded): only when
    it is not lent out."""
    _check_keeper(actor, key.municipality_id)
    with transaction.atomic():
        current = BackupKey.objects.select_for_update().get(pk=key.pk)
        if current.retired_on is not None:
            raise BackupKeyError(_("The key is already out of the register."))
        if current.loans.out().exists():
            raise BackupKeyError(_("The key is lent out; register its return first."))
        BackupKey.objects.filter(pk=key.pk).update(retired_on=on)
    key.refresh_from_db()
    return key


# Loans ------------------------------------------------------------------------------------------


def borrowers(municipality: Municipality | int) -> Q:
    """A condition on users who may borrow the municipality's backup keys: active staff with
    a role there."""
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    return Q(is_active=True, role_assignments__municipality_id=municipality_id)


def lend(
    actor: User,
    key: BackupKey,
    borrower: User,
    *,
    reason: str = "",
    due_at: dt.datetime | None = None,
    fault: LockFault | None = None,
    now: dt.datetime | None = None,
) -> BackupKeyLoan:
    """Lend the key to `borrower` until `due_at` (the loan period from now, by default).
    A key out already is not lent again: it is brought back first. `fault`: the lock fault
    at the key's client's door it is taken for (shown on the fault and its ticket)."""
    _check_keeper(actor, key.municipality_id)
    now = now or timezone.now()
    due_at = due_at or now + loan_period()
    if key.retired_on is not None:
        raise BackupKeyError(_("The key is out of the register and cannot be lent."))
    if not User.objects.filter(borrowers(key.municipality_id), pk=borrower.pk).exists():
        raise BackupKeyError(
            _("%(name)s does not work in the municipality's care.")
            % {"name": borrower.get_full_name() or borrower.username},
            "borrower",
        )
    if fault is not None and fault.client_id != key.client_id:
        raise BackupKeyError(_("The lock fault is at another client's door."), "fault")
    if due_at <= now:
        raise BackupKeyError(_("The time to bring the key back must be later than now."), "due_at")
    if due_at - now > MAX_LOAN:
        raise BackupKeyError(_("A backup key is lent for at most a week."), "due_at")
    try:
        with transaction.atomic():
            out = (
                BackupKeyLoan.objects.select_for_update()
                .filter(key=key, returned_at__isnull=True)
                .select_related("borrower")
                .first()
            )
            if out is not None:
                raise BackupKeyError(_lent_already(out))
            loan = BackupKeyLoan.objects.create(
                key=key,
                borrower=borrower,
                reason=reason.strip()[:300],
                lent_by=actor,
                lent_at=now,
                due_at=due_at,
                fault=fault,
            )
            if fault is not None:
                _note_on_ticket(actor, loan, fault)
    except IntegrityError as exc:
        # Someone lent it in the same instant: the database kept one loan.
        out = BackupKeyLoan.objects.out().filter(key=key).select_related("borrower").first()
        message = _lent_already(out) if out else _("The key was lent out meanwhile.")
        raise BackupKeyError(message) from exc
    logger.info("Backup key %s lent out (loan %s)", key.pk, loan.pk)
    return loan


def _note_on_ticket(actor: User, loan: BackupKeyLoan, fault: LockFault) -> None:
    """The fault's ticket hears that the backup key went out for it (in the loan's
    transaction): the desk sees who has the key without opening the register."""
    if fault.order_id is None:
        return
    order = Order.objects.select_for_update().get(pk=fault.order_id)
    if not order.is_open:
        return
    municipality = loan.key.municipality
    desk_services.add_comment(
        actor,
        order,
        _("Backup key %(label)s lent to %(name)s for this fault, to be back by %(due)s.")
        % {
            "label": loan.key.label,
            "name": loan.borrower.get_full_name() or loan.borrower.username,
            "due": municipality.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )


def _lent_already(loan: BackupKeyLoan) -> str:
    return _("The key is lent to %(name)s since %(when)s; it must come back first.") % {
        "name": loan.borrower.get_full_name() or loan.borrower.username,
        "when": timezone.localtime(loan.lent_at).strftime("%Y-%m-%d %H:%M"),
    }


def return_key(actor: User, loan: BackupKeyLoan, *, at: dt.datetime | None = None) -> BackupKeyLoan:
    """Register that the key came back at `at` (now, by default): once, not before it was
    lent, not in the future."""
    key = loan.key
    _check_keeper(actor, key.municipality_id)
    now = timezone.now()
    at = at or now
    if loan.returned_at is not None:
        raise BackupKeyError(_("The key is already registered as returned."))
    if at < loan.lent_at:
        raise BackupKeyError(_("The key cannot come back before it was lent."), "returned_at")
    if at > now + _CLOCK_LEEWAY:
        raise BackupKeyError(
            _("Register the return when the key is back, not before."), "returned_at"
        )
    with transaction.atomic():
        updated = BackupKeyLoan.objects.filter(pk=loan.pk, returned_at__isnull=True).update(
            returned_at=at, returned_to=actor
        )
    if not updated:
        raise BackupKeyError(_("Someone registered the return meanwhile; reload the page."))
    loan.refresh_from_db()
    return loan


# What the pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyState:
    """A backup key with its loan out now, if any."""

    key: BackupKey
    loan: BackupKeyLoan | None
    overdue: bool

    @property
    def available(self) -> bool:
        return self.loan is None and self.key.retired_on is None


def with_loans(keys: list[BackupKey], now: dt.datetime) -> list[KeyState]:
    """The keys with the loan each has out (`keys` prefetched with `out_loans`)."""
    states = []
    for key in keys:
        out = getattr(key, "out_loans", None)
        if out is None:
            out = list(key.loans.out().select_related("borrower"))
        loan = out[0] if out else None
        states.append(KeyState(key, loan, loan is not None and loan.is_overdue(now)))
    return states


def out_loans_prefetch() -> Prefetch:
    return Prefetch(
        "loans",
        queryset=BackupKeyLoan.objects.out().select_related("borrower", "lent_by"),
        to_attr="out_loans",
    )


def keys_for_client(client: Client, now: dt.datetime) -> list[KeyState]:
    """The client's backup keys in the register, each with where it is kept and whether it
    is lent out now."""
    keys = list(
        BackupKey.objects.filter(client=client)
        .in_use()
        .select_related("district")
        .prefetch_related(out_loans_prefetch())
        .order_by("label", "pk")
    )
    return with_loans(keys, now)


def faults_to_lend_for(key: BackupKey, now: dt.datetime) -> QuerySet[LockFault]:
    """The lock faults a loan of the key may be taken for: those at its client's door
    reported within the longest loan (a week), the newest first."""
    return (
        LockFault.objects.filter(client_id=key.client_id, reported_at__gte=now - MAX_LOAN)
        .select_related("reported_by")
        .order_by("-reported_at", "-pk")
    )


def loans_for_fault(fault: LockFault) -> list[BackupKeyLoan]:
    """The backup-key loans taken because of the fault, the latest first."""
    return list(
        fault.loans.select_related("key", "borrower", "lent_by").order_by("-lent_at", "-pk")
    )


# Overdue ----------------------------------------------------------------------------------------


def keepers(municipality_id: int) -> list[User]:
    """Who is told about an overdue key: the alarm organisation's operators, or, in a
    municipality without any, the welfare-technology team."""
    for role in (Role.ALARM_OPERATOR, Role.WELFARE_TECH):
        people = list(
            User.objects.filter(
                is_active=True,
                role_assignments__municipality_id=municipality_id,
                role_assignments__provider__isnull=True,
                role_assignments__role=role,
            ).distinct()
        )
        if people:
            return people
    return []


def notify_overdue(now: dt.datetime | None = None) -> int:
    """Tell the keepers and the borrower about each loan that has become overdue, once.
    Returns how many loans were told about."""
    now = now or timezone.now()
    told = 0
    ids = list(
        BackupKeyLoan.objects.overdue(now)
        .filter(overdue_notified_at__isnull=True)
        .order_by("due_at")
        .values_list("pk", flat=True)[:200]
    )
    for pk in ids:
        with transaction.atomic():
            # Conditional: two workers tell about one loan once.
            claimed = BackupKeyLoan.objects.filter(
                pk=pk, overdue_notified_at__isnull=True, returned_at__isnull=True
            ).update(overdue_notified_at=now)
            if not claimed:
                continue
            loan = BackupKeyLoan.objects.select_related(
                "key__municipality", "borrower", "key__district"
            ).get(pk=pk)
            _tell_overdue(loan)
            told += 1
    if told:
        logger.info("Backup keys overdue: %d told about", told)
    return told


def _tell_overdue(loan: BackupKeyLoan) -> None:
    key = loan.key
    municipality = key.municipality
    url = reverse("locks:backup_key", args=[key.pk])
    due = municipality.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M")
    borrower = loan.borrower.get_full_name() or loan.borrower.username
    for recipient in keepers(municipality.pk):
        with override(language_of(recipient, municipality)):
            subject = _("Backup key %(label)s is overdue") % {"label": key.label}
            body = _("%(name)s borrowed it; it was to be back by %(due)s, at %(place)s.") % {
                "name": borrower,
                "due": due,
                "place": key.kept_at,
            }
        notify([recipient], subject, body, url=url, topic=f"locks.backup_key:{loan.pk}:overdue")
    with override(language_of(loan.borrower, municipality)):
        subject = _("Bring back backup key %(label)s") % {"label": key.label}
        body = _("It was to be back by %(due)s, at %(place)s.") % {
            "due": due,
            "place": key.kept_at,
        }
    notify([loan.borrower], subject, body, topic=f"locks.backup_key:{loan.pk}:borrower")
