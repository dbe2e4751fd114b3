"""Digital keys to door locks, the server's signing-key versions, the unlock tokens issued
under the keys, and what the locks report. The locks themselves are in the inventory
(`trygg.devices.models.DoorLock`)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.alarms.models import Alarm, District
from trygg.core.models import Client, Municipality, Provider, Team, User
from trygg.devices.models import DoorLock
from trygg.lib import unlock

from .constants import (
    BackupKeyOutcome,
    KeyEnd,
    KeyHolder,
    KeyReason,
    LockEventKind,
    LockEventSource,
    Refusal,
    SignedHow,
    Symptom,
)

# How long after retirement a key version still verifies: no token it signed lasts longer.
RETIRED_KEY_KEPT = dt.timedelta(seconds=unlock.MAX_WINDOW + unlock.CLOCK_LEEWAY)


class SigningKeyVersion(models.Model):
    """One version of the server's unlock signing key (signeringsnyckel): its public half,
    which locks are given, and its dates. The private half lives only in the server's key
    store (trygg/locks/keystore.py), never in the database."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    public_key = models.BinaryField(_("public key"), max_length=32)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    # The one version that signs new tokens; the database refuses a second.
    is_active = models.BooleanField(_("signs new tokens"), default=False)
    # Set by a rotation for a key believed leaked: locks drop it at their next contact
    # instead of when its tokens would have expired.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing key version")
        verbose_name_plural = _("signing key versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="signingkey_one_active"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1, version__lte=65535), name="signingkey_version_range"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def verifies_until(self) -> dt.datetime | None:
        """Until when locks keep this version: None while it signs; for a retired version,
        until the last token it can have signed has expired."""
        if self.withdrawn_at is not None:
            return self.withdrawn_at
        if self.retired_at is None:
            return None
        return self.retired_at + RETIRED_KEY_KEPT


class DigitalKeyQuerySet(models.QuerySet["DigitalKey"]):
    def open(self) -> DigitalKeyQuerySet:
        return self.filter(ended_at__isnull=True)

    def standing_revocations(self) -> DigitalKeyQuerySet:
        """Revoked and not lifted: the holder gets no new key to that lock meanwhile."""
        return self.filter(end_reason=KeyEnd.REVOKED, lifted_at__isnull=True)


class DigitalKey(models.Model):
    """A staff member's digital key (digital nyckel) to one door lock: held while they are
    in a team responsible for a client behind the door, or while they answer that client's
    alarm. Tokens are issued under it only during their working hours (docs/locks.md).

    A key ends when its reason does (they leave the team, the alarm is closed, the lock
    comes down) or when a manager revokes it. An ended key whose tokens may still be on
    a phone goes on the lock's revocation list (`listed_until`), which the lock receives
    at its next contact."""

    holder = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="digital_keys", verbose_name=_("holder")
    )
    lock = models.ForeignKey(
        DoorLock, on_delete=models.PROTECT, related_name="digital_keys", verbose_name=_("lock")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=KeyReason.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    alarm = models.ForeignKey(
        Alarm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("alarm"),
    )
    # The client behind the door through whom the key is held, and the provider it is held
    # for: who sees the key (locks/access.py).
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="+", verbose_name=_("provider")
    )
    starts_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=16, choices=KeyEnd.choices, blank=True
    )
    ended_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_note = models.TextField(_("note"), blank=True)
    listed_until = models.DateTimeField(_("on the revocation list until"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("revocation lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DigitalKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("digital key")
        verbose_name_plural = _("digital keys")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "lock"],
                condition=Q(ended_at__isnull=True),
                name="digitalkey_one_open_per_holder_lock",
            ),
            models.CheckConstraint(
                condition=Q(reason=KeyReason.TEAM, team__isnull=False)
                | Q(reason=KeyReason.ALARM, alarm__isnull=False),
                name="digitalkey_reason_has_source",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                name="digitalkey_ended_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["lock"], condition=Q(ended_at__isnull=True), name="digitalkey_open_lock"
            ),
            models.Index(
                fields=["holder"],
                condition=Q(ended_at__isnull=True),
                name="digitalkey_open_holder",
            ),
            # A lock's revocation list: ended keys whose tokens may still be about.
            models.Index(
                fields=["lock", "listed_until"],
                condition=Q(listed_until__isnull=False),
                name="digitalkey_revocation_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} → {self.lock_id} ({self.reason})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class TokenIssue(models.Model):
    """One issuing of unlock tokens for one door to one staff member (utfärdade
    nyckelbevis): under which key and key version, for which window, with which nonces.
    Never the tokens themselves: these rows must not be enough to open a door."""

    holder = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("holder")
    )
    lock = models.ForeignKey(
        DoorLock, on_delete=models.PROTECT, related_name="+", verbose_name=_("lock")
    )
    key = models.ForeignKey(
        DigitalKey,
        on_delete=models.PROTECT,
        related_name="issues",
        verbose_name=_("key"),
        db_index=False,  # the (key, not_after) index leads with it
    )
    key_version = models.PositiveIntegerField(_("key version"))
    # The tokens' nonces, 12 bytes each, one after the other.
    nonces = models.BinaryField(_("nonces"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("token issue")
        verbose_name_plural = _("token issues")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["key", "not_after"], name="tokenissue_key_until"),
            models.Index(fields=["holder", "-issued_at"], name="tokenissue_holder"),
            models.Index(fields=["lock", "-issued_at"], name="tokenissue_lock"),
            # The retention job walks the expired rows, the oldest first (locks/retention.py).
            models.Index(fields=["not_after", "id"], name="tokenissue_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} {self.lock_id} {self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def count(self) -> int:
        return len(bytes(self.nonces)) // 12


class LockEvent(models.Model):
    """Something a door lock reported (låshändelse): unlocked, locked, a failed attempt with
    the lock's reason, low battery, tampering. Stored once however often it is sent: the
    lock's own event id is the deduplication key."""

    lock = models.ForeignKey(
        DoorLock,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("lock"),
        db_index=False,  # the unique (lock, event_id) and (lock, at) indexes lead with it
    )
    event_id = models.CharField(_("event id"), max_length=64)
    kind = models.CharField(_("what"), max_length=16, choices=LockEventKind.choices)
    at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    source = models.CharField(
        _("sent by"), max_length=8, choices=LockEventSource.choices, default=LockEventSource.LOCK
    )
    # The key the token named, as the lock read it; `key` and `holder` only when that key
    # is one of this lock's (a forged token names whatever it likes).
    key_number = models.BigIntegerField(_("key id"), null=True, blank=True)
    key = models.ForeignKey(
        DigitalKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("key"),
    )
    holder = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    key_version = models.PositiveIntegerField(_("key version"), null=True, blank=True)
    refusal = models.CharField(
        _("refused because"), max_length=24, choices=Refusal.choices, blank=True
    )
    battery_level = models.PositiveSmallIntegerField(_("battery (%)"), null=True, blank=True)

    class Meta:
        verbose_name = _("lock event")
        verbose_name_plural = _("lock events")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lock", "event_id"], name="lockevent_dedupe"),
        ]
        indexes = [
            models.Index(fields=["lock", "-at"], name="lockevent_lock_at"),
            models.Index(fields=["holder", "-at"], name="lockevent_holder_at"),
        ]

    def __str__(self) -> str:
        return f"{self.lock_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"


# Physical keys ------------------------------------------------------------------------------


def _receipt_scan_path(instance: KeyReceipt, filename: str) -> str:
    # A random stored name: the original may carry the client's name, and MEDIA_ROOT has no
    # URL, so only the checking view serves it.
    return f"locks/receipts/{instance.municipality_id}/{uuid.uuid4().hex}"


class KeyReceiptQuerySet(models.QuerySet["KeyReceipt"]):
    def in_force_on(self, day: dt.date) -> KeyReceiptQuerySet:
        """Receipts whose keys were handed over by `day` and not returned before it."""
        return self.filter(
            Q(handed_over_on__lte=day), Q(returned_on__isnull=True) | Q(returned_on__gt=day)
        )


class KeyReceipt(models.Model):
    """A key receipt (nyckelkvittens): the client's physical keys to the home, handed over to
    the provider, the district's alarm organisation or the welfare-technology team, signed by
    the client or a relative, and when they came back. A safety camera is not installed
    without one: the installer needs to get in."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="key_receipts", verbose_name=_("client")
    )
    keys = models.CharField(
        _("keys"), max_length=200, help_text=_("For example: two flat keys and an entry tag.")
    )
    key_count = models.PositiveSmallIntegerField(_("number of keys"), default=1)
    holder = models.CharField(_("held by"), max_length=24, choices=KeyHolder.choices)
    holder_provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider holding the keys"),
    )
    handed_over_on = models.DateField(_("handed over"))
    returned_on = models.DateField(_("returned"), null=True, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=120)
    signed_how = models.CharField(_("signed"), max_length=8, choices=SignedHow.choices)
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # Signed on the phone: the signature drawn on the screen, as SVG path data in a 300 x 120
    # box (receipts.SIGNATURE_BOX). Signed on paper: optionally a scan of the paper.
    signature = models.TextField(_("signature"), blank=True)
    scan = models.FileField(_("scan"), upload_to=_receipt_scan_path, max_length=200, blank=True)
    scan_name = models.CharField(_("scan's file name"), max_length=200, blank=True)
    scan_type = models.CharField(max_length=100, blank=True)
    return_registered_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return registered by"),
    )
    return_registered_at = models.DateTimeField(_("return registered"), null=True, blank=True)
    return_note = models.CharField(_("note on the return"), max_length=300, blank=True)

    objects = KeyReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("key receipt")
        verbose_name_plural = _("key receipts")
        ordering = ["-handed_over_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True) | Q(returned_on__gte=F("handed_over_on")),
                name="keyreceipt_returned_after_handover",
            ),
            models.CheckConstraint(
                condition=~Q(holder=KeyHolder.PROVIDER) | Q(holder_provider__isnull=False),
                name="keyreceipt_provider_named",
            ),
        ]
        indexes = [models.Index(fields=["client", "-handed_over_on"], name="keyreceipt_client")]

    def __str__(self) -> str:
        return f"{self.keys} ({self.handed_over_on:%Y-%m-%d})"


# Battery tasks and unlock reviews live in their own module; imported here so that Django
# finds them with the app's models.
from .models_events import BatteryTask, UnlockReview  # noqa: E402, F401

# Backup keys ---------------------------------------------------------------------------------


class BackupKeyQuerySet(models.QuerySet["BackupKey"]):
    def in_use(self) -> BackupKeyQuerySet:
        return self.filter(retired_on__isnull=True)


class BackupKey(models.Model):
    """A backup key (reservnyckel) to a client's door with a keyless lock: a physical key
    kept in a known place, usually the district's alarm organisation, for when the lock or
    the phone fails. Staff borrow it and bring it back (`BackupKeyLoan`)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="backup_keys", verbose_name=_("client")
    )
    label = models.CharField(
        _("key tag"), max_length=40, help_text=_("The number or text on the key's tag.")
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
        help_text=_("The district whose alarm organisation keeps the key."),
    )
    kept_at = models.CharField(
        _("kept at"),
        max_length=200,
        help_text=_("Where exactly: for example, the alarm organisation Norr, key cabinet 2."),
    )
    receipt = models.ForeignKey(
        KeyReceipt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backup_keys",
        verbose_name=_("key receipt"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    retired_on = models.DateField(
        _("retired"), null=True, blank=True, help_text=_("Given back to the client or discarded.")
    )

    objects = BackupKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("backup key")
        verbose_name_plural = _("backup keys")
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "label"],
                condition=Q(retired_on__isnull=True),
                name="backupkey_label_unique",
            ),
        ]
        indexes = [models.Index(fields=["client"], name="backupkey_client")]

    def __str__(self) -> str:
        return self.label


class BackupKeyLoanQuerySet(models.QuerySet["BackupKeyLoan"]):
    def out(self) -> BackupKeyLoanQuerySet:
        return self.filter(returned_at__isnull=True)

    def overdue(self, now: dt.datetime) -> BackupKeyLoanQuerySet:
        return self.out().filter(due_at__lt=now)


class BackupKeyLoan(models.Model):
    """A backup key lent out (utlån): to whom, by whom, when it is to be back and when it
    came back. A key is lent to one person at a time."""

    key = models.ForeignKey(
        BackupKey, on_delete=models.PROTECT, related_name="loans", verbose_name=_("backup key")
    )
    borrower = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("borrowed by")
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    lent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("lent by")
    )
    lent_at = models.DateTimeField(_("lent"))
    due_at = models.DateTimeField(_("to be back by"))
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_to = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    fault = models.ForeignKey(
        "LockFault",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("lock fault"),
    )

    objects = BackupKeyLoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("backup key loan")
        verbose_name_plural = _("backup key loans")
        ordering = ["-lent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(returned_at__isnull=True),
                name="backupkeyloan_one_out_per_key",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("lent_at")), name="backupkeyloan_due_after_lent"
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("lent_at")),
                name="backupkeyloan_returned_after_lent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(returned_at__isnull=True),
                name="backupkeyloan_out_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id} → {self.borrower_id} {self.lent_at:%Y-%m-%d %H:%M}"

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.returned_at is None and self.due_at < now


# Lock faults ---------------------------------------------------------------------------------


class LockFault(models.Model):
    """A lock fault reported from the phone (låsfel): the lock, the client behind the door,
    what happened, what the reporter was told to do and did. It becomes a service-desk order
    of the lock-fault type (`order`), the ticket the welfare-technology team works."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    lock = models.ForeignKey(
        DoorLock, on_delete=models.PROTECT, related_name="faults", verbose_name=_("lock")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reporter's provider"),
    )
    reported_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported"))
    symptom = models.CharField(_("what happened"), max_length=24, choices=Symptom.choices)
    description = models.TextField(_("description"), blank=True)
    # What the directory said to do at the time of the report, as shown (line names and
    # numbers), and what the reporter then did.
    advice = models.JSONField(_("advice given"), default=dict)
    backup_key = models.CharField(
        _("backup key"), max_length=16, choices=BackupKeyOutcome.choices, blank=True
    )
    called = models.CharField(_("called"), max_length=200, blank=True)
    door_opened = models.BooleanField(_("got in"), null=True, blank=True)
    steps_noted_at = models.DateTimeField(_("steps recorded"), null=True, blank=True)
    order = models.ForeignKey(
        "servicedesk.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lock_faults",
        verbose_name=_("order"),
    )

    class Meta:
        verbose_name = _("lock fault")
        verbose_name_plural = _("lock faults")
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["lock", "-reported_at"], name="lockfault_lock")]

    def __str__(self) -> str:
        return f"{self.lock_id} {self.reported_at:%Y-%m-%d %H:%M}"
