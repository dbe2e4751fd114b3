from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

# How often every key is checked against teams, alarms and locks (keys.py). Role and team
# changes made in Trygg reconcile at once through the signals below; this pass catches the
# rest: a client moved to another team by the import, an alarm's margin running out.
RECONCILE_EVERY = 300


class LocksConfig(AppConfig):
    name = "trygg.locks"
    label = "locks"
    verbose_name = _("Door locks and digital keys")

    def ready(self) -> None:
        from trygg import worker
        from trygg.core import menu
        from trygg.core.models import RoleAssignment, User
        from trygg.devices.signals import phone_wipe_requested

        from .access import can_open_keys
        from .battery import CANCEL_CHECK_EVERY, cancel_for_removed_locks, opens_tasks
        from .event_record import register_section
        from .phone import opens_doors
        from .retention import PRUNE_EVERY, prune_token_issues
        from .services import reconcile_all

        worker.register("locks.keys", every=RECONCILE_EVERY)(reconcile_all)
        worker.register("locks.battery_removed", every=CANCEL_CHECK_EVERY)(cancel_for_removed_locks)
        worker.register("locks.token_issues_prune", every=PRUNE_EVERY)(prune_token_issues)
        _register_physical_keys()
        menu.register("locks", _("Door locks"), "locks:overview", position=65, shown=can_open_keys)
        menu.register("door_phone", _("Doors"), "locks:phone", position=7, shown=opens_doors)
        menu.register(
            "lock_battery", _("Battery changes"), "locks:battery", position=66, shown=opens_tasks
        )
        register_section()  # the client record's lock log
        m2m_changed.connect(
            _teams_changed, sender=RoleAssignment.teams.through, dispatch_uid="locks.teams"
        )
        post_save.connect(_role_changed, sender=RoleAssignment, dispatch_uid="locks.role_saved")
        post_delete.connect(_role_changed, sender=RoleAssignment, dispatch_uid="locks.role_deleted")
        post_save.connect(_staff_saved, sender=User, dispatch_uid="locks.staff_saved")
        phone_wipe_requested.connect(_phone_lost, dispatch_uid="locks.phone_lost")


def _register_physical_keys() -> None:
    """Key receipts, backup keys, lock faults and installation orders: their menu entries,
    the client record's keys section, the overdue job and the service desk's hooks."""
    from trygg import worker
    from trygg.core import menu

    from . import faults, installation  # noqa: F401  register the order types' hooks
    from .backupkeys import OVERDUE_CHECK_EVERY, notify_overdue
    from .keyaccess import can_open_keys_menu, can_report_any_fault
    from .keyrecord import register_section

    worker.register("locks.backup_keys_overdue", every=OVERDUE_CHECK_EVERY)(notify_overdue)
    menu.register("key_receipts", _("Keys"), "locks:keys", position=66, shown=can_open_keys_menu)
    menu.register(
        "lock_fault", _("Lock fault"), "locks:fault_new", position=67, shown=can_report_any_fault
    )
    register_section()


def _reconcile_holders(user_ids: set[int]) -> None:
    """After the change commits: a rolled-back change moves no key."""
    if not user_ids:
        return
    from .keys import reconcile_keys

    ids = sorted(user_ids)
    transaction.on_commit(lambda: reconcile_keys(holder_ids=ids))


def _teams_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    from trygg.core.models import RoleAssignment

    if not reverse:  # a role's teams changed
        if action in ("post_add", "post_remove", "post_clear"):
            _reconcile_holders({instance.user_id})
        return
    # A team's members changed, from the team's side.
    if action == "pre_clear":
        instance._locks_members = set(instance.role_assignments.values_list("user_id", flat=True))
    elif action == "post_clear":
        _reconcile_holders(getattr(instance, "_locks_members", set()))
    elif action in ("post_add", "post_remove") and pk_set:
        users = RoleAssignment.objects.filter(pk__in=pk_set).values_list("user_id", flat=True)
        _reconcile_holders(set(users))


def _role_changed(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _reconcile_holders({instance.user_id})


def _staff_saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    # Someone who stops working here loses their keys at once. (Saves happen at every
    # login; only a deactivation needs the keys looked at.)
    if not raw and not instance.is_active:
        _reconcile_holders({instance.pk})


def _phone_lost(sender: type, phone: Any, actor: Any = None, **kwargs: Any) -> None:
    from .services import end_phone_keys

    end_phone_keys(phone, actor)
