"""Who may see and register physical keys (key receipts, backup keys) and report lock faults.

- Key receipts (nyckelkvittens): a provider's staff register, read and close the receipts
  of their provider's clients; the welfare-technology team and the municipality's
  administrators those of every client in the municipality. Alarm operators (who keep the
  keys) and auditors read them.
- Backup keys (reservnycklar): the keepers (the alarm organisation's operators, the
  welfare-technology team, the administrators) register them, lend them out and take them
  back; auditors read the register. A provider's staff see where their clients' backup
  keys are kept, on the client's record and when they report a lock fault.
- Lock faults: a provider's staff report faults on the doors of their provider's clients;
  the municipality's alarm operators, welfare-technology team and administrators on any
  door in the municipality. Another provider's client is refused with a message.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from trygg.core.access import scope_for
from trygg.core.constants import PROVIDER_ROLES, Role
from trygg.core.models import Client, Municipality, User

from .models import BackupKey, BackupKeyQuerySet, KeyReceipt, KeyReceiptQuerySet

RECEIPT_WRITERS = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
RECEIPT_READERS = RECEIPT_WRITERS | {Role.ALARM_OPERATOR, Role.AUDITOR}
KEEPERS = frozenset({Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
REGISTER_READERS = KEEPERS | {Role.AUDITOR}
FAULT_MUNICIPAL_ROLES = frozenset({Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})


def _municipality_id(municipality: Municipality | int) -> int:
    return municipality if isinstance(municipality, int) else municipality.pk


# Key receipts ---------------------------------------------------------------------------------


def receipts(user: User | AnonymousUser) -> KeyReceiptQuerySet:
    """The key receipts this user may read."""
    scope = scope_for(user)
    municipalities = scope.municipalities_with(RECEIPT_READERS)
    providers = scope.providers_with(PROVIDER_ROLES)
    if not municipalities and not providers:
        return KeyReceipt.objects.none()
    return KeyReceipt.objects.filter(
        Q(municipality_id__in=municipalities) | Q(client__provider_id__in=providers)
    )


def can_read_receipts(user: User | AnonymousUser) -> bool:
    scope = scope_for(user)
    return bool(scope.municipalities_with(RECEIPT_READERS) or scope.providers_with(PROVIDER_ROLES))


def can_register_receipt(user: User | AnonymousUser, client: Client) -> bool:
    """Register a receipt for the client's keys, or their return."""
    scope = scope_for(user)
    return client.provider_id in scope.providers_with(
        PROVIDER_ROLES
    ) or client.municipality_id in scope.municipalities_with(RECEIPT_WRITERS)


def receipt_clients(user: User | AnonymousUser) -> Q | None:
    """A condition on clients for whom this user registers receipts; None for nobody."""
    scope = scope_for(user)
    municipalities = scope.municipalities_with(RECEIPT_WRITERS)
    providers = scope.providers_with(PROVIDER_ROLES)
    if not municipalities and not providers:
        return None
    return Q(municipality_id__in=municipalities) | Q(provider_id__in=providers)


# Backup keys ----------------------------------------------------------------------------------


def can_keep(user: User | AnonymousUser, municipality: Municipality | int) -> bool:
    """Register backup keys, lend them out, take them back."""
    return _municipality_id(municipality) in scope_for(user).municipalities_with(KEEPERS)


def register_municipalities(user: User | AnonymousUser) -> set[int]:
    """The municipalities whose backup-key register this user reads."""
    return scope_for(user).municipalities_with(REGISTER_READERS)


def can_read_register(user: User | AnonymousUser) -> bool:
    return bool(register_municipalities(user))


def backup_keys(user: User | AnonymousUser) -> BackupKeyQuerySet:
    """The backup keys in the registers this user reads."""
    municipalities = register_municipalities(user)
    if not municipalities:
        return BackupKey.objects.none()
    return BackupKey.objects.filter(municipality_id__in=municipalities)


def can_see_backup_keys_of(user: User | AnonymousUser, client: Client) -> bool:
    """Where the client's backup keys are kept: the register's readers, and the staff of the
    client's provider (they fetch the key when the lock fails)."""
    scope = scope_for(user)
    return client.provider_id in scope.provider_ids or client.municipality_id in (
        scope.municipalities_with(REGISTER_READERS)
    )


def can_open_keys_menu(user: User | AnonymousUser) -> bool:
    """Whether "Keys" belongs in the user's menu."""
    return can_read_receipts(user) or can_read_register(user)


# Lock faults ----------------------------------------------------------------------------------


def fault_clients(user: User | AnonymousUser) -> Q | None:
    """A condition on the clients behind whose doors the user may report a lock fault."""
    scope = scope_for(user)
    providers = scope.providers_with(PROVIDER_ROLES)
    municipalities = scope.municipalities_with(FAULT_MUNICIPAL_ROLES)
    if not providers and not municipalities:
        return None
    return Q(provider_id__in=providers) | Q(municipality_id__in=municipalities)


def can_report_fault(user: User | AnonymousUser, client: Client) -> bool:
    scope = scope_for(user)
    return client.provider_id in scope.providers_with(
        PROVIDER_ROLES
    ) or client.municipality_id in scope.municipalities_with(FAULT_MUNICIPAL_ROLES)


def can_report_any_fault(user: User | AnonymousUser) -> bool:
    return fault_clients(user) is not None
