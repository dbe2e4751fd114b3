"""The device inventory: staff phones and alarm units with their placements; cameras,
sensors, locks and NFC tags join later on the same `InventoryItem` base."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.db.models.functions import Length
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

from trygg.core.models import ApiToken, Client, Municipality, Provider, User

from .constants import (
    AWAITING_CONFIGURATION,
    PhoneAction,
    PhoneStatus,
    TagDoor,
    TagRetireReason,
)
from .identifiers import InvalidIdentifier, parse_imei


class InventoryItem(models.Model):
    """What every device in the inventory has: an owner municipality, a make and model, a
    serial number and notes. Abstract for now; when the other device kinds arrive this is
    where a common register (one list of everything the team looks after) grows from."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("municipality"),
    )
    model_name = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class PhoneQuerySet(models.QuerySet["Phone"]):
    def overdue(self, today: dt.date) -> PhoneQuerySet:
        """Handed in and not ready although the ready-by date has passed."""
        return self.filter(status__in=sorted(AWAITING_CONFIGURATION), ready_by__lt=today)

    def with_overdue_flag(self, today: dt.date) -> PhoneQuerySet:
        """Each phone with `overdue_flag`, for lists that badge the overdue ones."""
        condition = Q(status__in=sorted(AWAITING_CONFIGURATION), ready_by__lt=today)
        return self.annotate(
            overdue_flag=ExpressionWrapper(condition, output_field=models.BooleanField())
        )

    def search(self, text: str) -> PhoneQuerySet:
        """Narrow by IMEI, serial or phone number, model, or the staff member's name: the
        phone list's search and the API's."""
        queryset = self
        for word in text.split():
            digits = "".join(c for c in word if c.isdigit())
            condition = (
                Q(model_name__icontains=word)
                | Q(serial_number__icontains=word)
                | Q(assigned_to__first_name__icontains=word)
                | Q(assigned_to__last_name__icontains=word)
                | Q(assigned_to__username__iexact=word)
            )
            if len(digits) >= 3:
                condition |= Q(imei__contains=digits) | Q(phone_number__contains=word)
            queryset = queryset.filter(condition)
        return queryset


class Phone(InventoryItem):
    """A staff phone (tjänstetelefon / tjenestetelefon): runs the visit-registration app and
    holds digital keys, so a lost one is wiped."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="phones", verbose_name=_("provider")
    )
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phones",
        verbose_name=_("staff member"),
    )
    imei = models.CharField(_("IMEI"), max_length=15)
    phone_number = models.CharField(_("phone number"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=PhoneStatus.choices, default=PhoneStatus.IN_STOCK
    )
    handed_in_on = models.DateField(_("handed in on"), null=True, blank=True)
    handed_in_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed in by"),
    )
    ready_by = models.DateField(_("ready by"), null=True, blank=True)
    configured_on = models.DateField(_("configured on"), null=True, blank=True)
    picked_up_on = models.DateField(_("picked up on"), null=True, blank=True)
    lost_reported_at = models.DateTimeField(_("reported lost at"), null=True, blank=True)
    lost_reported_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported lost by"),
    )
    wipe_requested_at = models.DateTimeField(_("wipe requested at"), null=True, blank=True)
    wipe_requested_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wipe requested by"),
    )
    wiped_at = models.DateTimeField(_("wiped at"), null=True, blank=True)
    wiped_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wiped by"),
    )

    objects = PhoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["provider__name", "model_name", "imei"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "imei"], name="phone_imei_unique"),
        ]
        indexes = [
            models.Index(fields=["provider", "status"]),
            # Serves "overdue" exactly: only phones waiting on configuration are in it.
            models.Index(
                fields=["ready_by"],
                name="phone_awaiting_configuration",
                condition=Q(status__in=sorted(AWAITING_CONFIGURATION)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} …{self.imei[-4:]}"

    def clean(self) -> None:
        try:
            self.imei = parse_imei(self.imei)
        except InvalidIdentifier as exc:
            raise ValidationError({"imei": str(exc)}) from exc
        if (
            self.provider_id
            and self.municipality_id
            and self.provider.municipality_id != self.municipality_id
        ):
            raise ValidationError({"provider": _("The provider belongs to another municipality.")})

    def is_overdue(self, today: dt.date) -> bool:
        return (
            self.status in AWAITING_CONFIGURATION
            and self.ready_by is not None
            and today > self.ready_by
        )


class PhoneEvent(models.Model):
    """One step in a phone's history (händelse / hendelse): who moved it from which status
    to which, when, and why."""

    phone = models.ForeignKey(Phone, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=32, choices=PhoneAction.choices)
    from_status = models.CharField(
        _("from"), max_length=32, choices=PhoneStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=32, choices=PhoneStatus.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("phone event")
        verbose_name_plural = _("phone events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["phone", "-at"])]

    def __str__(self) -> str:
        return f"{self.phone_id}: {self.from_status or '—'} → {self.to_status}"


# Alarm units --------------------------------------------------------------------------
# Choices live here rather than in constants.py: they belong to the alarm-unit models alone.


class AlarmProtocol(models.TextChoices):
    DC09 = "dc09", _("SIA DC-09")
    SCAIP = "scaip", _("SCAIP (SS 91100)")
    API = "api", _("HTTPS API")


class AlarmUnitKind(models.TextChoices):
    SAFETY_ALARM = "safety_alarm", _("Safety alarm")
    EMERGENCY_ALARM = "emergency_alarm", _("Emergency alarm (provider's own)")
    # Cameras are alarm units too: placed with a client, supervised by heartbeat, and what
    # they raise (a missed look-in, a fall the sensor saw, a lost connection) takes the same
    # routing, escalation, console and alarm phone as a safety alarm.
    SAFETY_CAMERA = "safety_camera", _("Safety camera (night supervision)")
    INFRARED_CAMERA = "infrared_camera", _("Infrared camera sensor")


# Kinds placed with a client rather than held by a provider.
CLIENT_UNIT_KINDS = frozenset(
    {AlarmUnitKind.SAFETY_ALARM, AlarmUnitKind.SAFETY_CAMERA, AlarmUnitKind.INFRARED_CAMERA}
)
CAMERA_KINDS = frozenset({AlarmUnitKind.SAFETY_CAMERA, AlarmUnitKind.INFRARED_CAMERA})
# Kinds whose placement makes its holder an alarm customer (larmkund) on the log extract.
ALARM_CUSTOMER_KINDS = frozenset({AlarmUnitKind.SAFETY_ALARM, AlarmUnitKind.EMERGENCY_ALARM})


# The field that carries a unit's identity in each protocol: what a receiver hands the
# ingest as `unit_ref`. API devices are known by their serial number.
UNIT_REF_FIELDS: dict[str, str] = {
    AlarmProtocol.DC09: "dc09_account",
    AlarmProtocol.SCAIP: "scaip_controller_id",
    AlarmProtocol.API: "serial_number",
}
DC09_ACCOUNT_RE = re.compile(r"[0-9A-F]{3,16}")
SCAIP_CONTROLLER_ID_RE = re.compile(r"[0-9]{1,16}")
# Hex digits for AES-128, AES-192 and AES-256.
ENCRYPTION_KEY_LENGTHS = frozenset({32, 48, 64})
_HEX_RE = re.compile(r"[0-9A-F]*")


def normalise_dc09_account(account: str) -> str:
    return account.strip().upper()


def normalise_encryption_key(key: str) -> str:
    """The key as stored: upper-case hex without spaces. Raises ValueError when it is not
    32, 48 or 64 hex digits (or empty: no encryption). The message never quotes the key."""
    key = "".join(key.split()).upper()
    if key and (not _HEX_RE.fullmatch(key) or len(key) not in ENCRYPTION_KEY_LENGTHS):
        raise ValueError(
            _("An encryption key is 32, 48 or 64 hexadecimal digits (AES-128, -192, -256).")
        )
    return key


class AlarmUnit(InventoryItem):
    """An alarm unit (larmenhet): a safety alarm in a client's home (trygghetslarm /
    trygghetsalarm) or a provider's own emergency alarm (akutlarm), reporting over DC-09,
    SCAIP or the API.

    Supervision follows healthchecks: `supervision_due_at` is the moment the unit counts as
    silent (last message + interval + grace), set by every message it sends; null while
    it is not supervised (interval 0, or never heard from). The worker claims overdue rows
    through the partial index below with a conditional update on `connection_lost`.
    """

    serial_number = models.CharField(_("serial number"), max_length=64)
    protocol = models.CharField(_("protocol"), max_length=8, choices=AlarmProtocol.choices)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=AlarmUnitKind.choices,
        default=AlarmUnitKind.SAFETY_ALARM,
    )
    dc09_account = models.CharField(
        _("DC-09 account"),
        max_length=16,
        blank=True,
        help_text=_("3 to 16 hexadecimal digits, as the unit sends it after '#'."),
    )
    scaip_controller_id = models.CharField(
        _("SCAIP controller id"),
        max_length=16,
        blank=True,
        help_text=_("Up to 16 digits: the unit's <cid>."),
    )
    # A secret: never in __str__, lists, logs or API output; write-only in the admin.
    encryption_key = models.CharField(
        _("encryption key"),
        max_length=64,
        blank=True,
        help_text=_("AES key as 32, 48 or 64 hexadecimal digits; empty for no encryption."),
    )
    heartbeat_interval = models.PositiveIntegerField(
        _("heartbeat interval (seconds)"),
        help_text=_("How often the unit reports when all is well; 0 for not supervised."),
    )
    heartbeat_grace = models.PositiveIntegerField(
        _("grace (seconds)"),
        default=60,
        help_text=_("How late a report may be before the connection counts as lost."),
    )
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    supervision_due_at = models.DateTimeField(_("silent after"), null=True, blank=True)
    connection_lost = models.BooleanField(_("connection lost"), default=False)
    # An API unit's bearer token: the link, not the scope, is what lets a request post as
    # this unit. Kept when revoked (the unit's last token stays visible); replaced by a new
    # one on rotation. Set only through services.issue_device_token, never by a form.
    api_token = models.OneToOneField(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="alarm_unit",
        verbose_name=_("device token"),
    )

    class Meta:
        verbose_name = _("alarm unit")
        verbose_name_plural = _("alarm units")
        ordering = ["serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial_number", "municipality"], name="alarmunit_serial_unique"
            ),
            # The identifier leads, so the same index finds a unit by its account alone
            # when the receiver cannot tell the municipality.
            models.UniqueConstraint(
                fields=["dc09_account", "municipality"],
                condition=Q(protocol="dc09"),
                name="alarmunit_dc09_account_unique",
            ),
            models.UniqueConstraint(
                fields=["scaip_controller_id", "municipality"],
                condition=Q(protocol="scaip"),
                name="alarmunit_scaip_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(protocol="dc09") | ~Q(dc09_account=""),
                name="alarmunit_dc09_has_account",
            ),
            models.CheckConstraint(
                condition=~Q(protocol="scaip") | ~Q(scaip_controller_id=""),
                name="alarmunit_scaip_has_controller_id",
            ),
            models.CheckConstraint(
                condition=Q(serial_number__gt=""), name="alarmunit_has_serial_number"
            ),
            models.CheckConstraint(
                condition=Q(encryption_key="")
                | Q(In(Length("encryption_key"), sorted(ENCRYPTION_KEY_LENGTHS))),
                name="alarmunit_encryption_key_length",
            ),
        ]
        indexes = [
            # "Due and not already lost": exactly the supervision worker's query.
            models.Index(
                fields=["supervision_due_at"],
                name="alarmunit_supervision_due",
                condition=Q(supervision_due_at__isnull=False, connection_lost=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} {self.serial_number}"

    @property
    def unit_ref(self) -> str:
        """What the unit calls itself on the wire: its account, controller id or serial."""
        return str(getattr(self, UNIT_REF_FIELDS[self.protocol], ""))

    @property
    def encryption_label(self) -> str:
        """'AES-128' and the like, or '': what lists may say about the key."""
        return f"AES-{len(self.encryption_key) * 4}" if self.encryption_key else ""

    def due_after(self, seen_at: dt.datetime) -> dt.datetime | None:
        """When a unit last heard from at `seen_at` counts as silent; None if unsupervised."""
        if not self.heartbeat_interval:
            return None
        return seen_at + dt.timedelta(seconds=self.heartbeat_interval + self.heartbeat_grace)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        self.serial_number = self.serial_number.strip()
        self.dc09_account = normalise_dc09_account(self.dc09_account)
        self.scaip_controller_id = self.scaip_controller_id.strip()
        if not self.serial_number:
            errors["serial_number"] = _("Give the unit's serial number.")
        if self.protocol == AlarmProtocol.DC09:
            if not DC09_ACCOUNT_RE.fullmatch(self.dc09_account):
                errors["dc09_account"] = _("A DC-09 account is 3 to 16 hexadecimal digits.")
        elif self.dc09_account:
            errors["dc09_account"] = _("Only a DC-09 unit has a DC-09 account.")
        if self.protocol == AlarmProtocol.SCAIP:
            if not SCAIP_CONTROLLER_ID_RE.fullmatch(self.scaip_controller_id):
                errors["scaip_controller_id"] = _("A SCAIP controller id is 1 to 16 digits.")
        elif self.scaip_controller_id:
            errors["scaip_controller_id"] = _("Only a SCAIP unit has a controller id.")
        try:
            self.encryption_key = normalise_encryption_key(self.encryption_key)
        except ValueError as exc:
            errors["encryption_key"] = str(exc)
        if errors:
            raise ValidationError(errors)


class AlarmPlacementQuerySet(models.QuerySet["AlarmPlacement"]):
    def active_on(self, day: dt.date) -> AlarmPlacementQuerySet:
        """Placements in force on `day`: both ends inclusive (active_to is the last day)."""
        return self.filter(
            Q(active_from__lte=day), Q(active_to__isnull=True) | Q(active_to__gte=day)
        )

    def overlapping(self, first: dt.date, last: dt.date | None) -> AlarmPlacementQuerySet:
        """Placements sharing at least one day with first..last (None: open-ended)."""
        queryset = self.filter(Q(active_to__isnull=True) | Q(active_to__gte=first))
        if last is not None:
            queryset = queryset.filter(active_from__lte=last)
        return queryset


class AlarmPlacement(models.Model):
    """A period an alarm unit is placed with a client (trygghetslarm: the client is then an
    alarm customer, larmkund) or held by a provider (akutlarm). The register of alarm
    customers on a date is read from these.

    Both dates are inclusive: `active_to` is the last day the unit was in place. One unit's
    placements never overlap; the services check that under a lock on the unit, and the
    database refuses two open-ended ones.
    """

    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("unit"),
        db_index=False,  # the (unit, active_from) index leads with it
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarm_placements",
        verbose_name=_("client"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarm_placements",
        verbose_name=_("provider"),
        help_text=_("For an emergency alarm: the provider holding it."),
    )
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(
        _("active to"), null=True, blank=True, help_text=_("The last day, inclusive.")
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AlarmPlacementQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm placement")
        verbose_name_plural = _("alarm placements")
        ordering = ["unit", "-active_from"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(client__isnull=False, provider__isnull=True)
                    | Q(client__isnull=True, provider__isnull=False)
                ),
                name="alarmplacement_client_or_provider",
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="alarmplacement_valid_range",
            ),
            # A backstop for the commonest overlap; the services check every overlap.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(active_to__isnull=True),
                name="alarmplacement_one_open_per_unit",
            ),
        ]
        indexes = [models.Index(fields=["unit", "active_from"], name="alarmplacement_unit_from")]

    def __str__(self) -> str:
        end = self.active_to.isoformat() if self.active_to else "…"
        return f"{self.unit_id}: {self.active_from.isoformat()} to {end}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.active_from <= day and (self.active_to is None or self.active_to >= day)


class NfcTagQuerySet(models.QuerySet["NfcTag"]):
    def in_place_on(self, day: dt.date) -> NfcTagQuerySet:
        """Tags mounted at a client's door on `day` (both dates inclusive)."""
        return self.filter(
            client__isnull=False,
            placed_on__lte=day,
        ).filter(Q(retired_on__isnull=True) | Q(retired_on__gte=day))


class NfcTag(InventoryItem):
    """An NFC tag inside a client's door: holding the phone to it proves the visitor was
    there (no position tracking). The code is written on the tag as a link and printed on
    it as text and a QR code (`lib.tagcodes`); the chip's own serial number (uid) is
    recorded when the tag is first scanned. A tag is in stock until it is placed at a
    client's door, and retired when taken down; the same tag is never placed twice."""

    code = models.CharField(_("tag code"), max_length=9)
    uid = models.CharField(_("chip number"), max_length=20, blank=True)
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nfc_tags",
        verbose_name=_("client"),
    )
    door = models.CharField(_("door"), max_length=10, choices=TagDoor.choices, default=TagDoor.MAIN)
    location = models.CharField(
        _("where at the door"),
        max_length=100,
        blank=True,
        help_text=_("For example: inside the front door, at eye height."),
    )
    placed_on = models.DateField(_("placed on"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    retired_reason = models.CharField(
        _("why it was taken down"), max_length=20, choices=TagRetireReason.choices, blank=True
    )
    retired_note = models.CharField(_("note on taking it down"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = NfcTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("NFC tag")
        verbose_name_plural = _("NFC tags")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="nfctag_code_unique"),
            models.UniqueConstraint(
                fields=["municipality", "uid"],
                condition=~Q(uid=""),
                name="nfctag_uid_unique",
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=True) | Q(placed_on__isnull=False),
                name="nfctag_placed_with_date",
            ),
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True)
                | Q(placed_on__isnull=True)
                | Q(retired_on__gte=models.F("placed_on")),
                name="nfctag_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["client", "placed_on"], name="nfctag_client")]

    def __str__(self) -> str:
        return self.code

    def is_in_place_on(self, day: dt.date) -> bool:
        return (
            self.client_id is not None
            and self.placed_on is not None
            and self.placed_on <= day
            and (self.retired_on is None or self.retired_on >= day)
        )


# Door locks ------------------------------------------------------------------------------
# A keyless door lock (digitalt lås) in the inventory. What it does (digital keys, unlock
# tokens, its events) belongs to trygg.locks; here is what the welfare-technology team
# registers, places on a door and takes down. Choices live here: they belong to this model.


class DoorKind(models.TextChoices):
    FLAT = "flat", _("The client's own door")
    ENTRANCE = "entrance", _("Building entrance")


class DoorLockQuerySet(models.QuerySet["DoorLock"]):
    def in_service(self, day: dt.date) -> DoorLockQuerySet:
        """Locks on a door on `day`: placed on or before it and not taken down by then
        (`removed_on` is the day it came down, from which it opens for nobody)."""
        return self.filter(
            Q(placed_on__lte=day), Q(removed_on__isnull=True) | Q(removed_on__gt=day)
        )


class DoorLock(InventoryItem):
    """A keyless door lock (digitalt lås / digital lås, Phoniro- or CareLock-type), mounted
    inside a client's own door or a building's entrance that several clients share. Staff
    open it with unlock tokens on their phone; the client and relatives keep their keys.

    `lock_id` is what unlock tokens name (trygg.lib.unlock): fixed for the lock's life,
    unlike its serial number, which a person types. The door is a client's flat (`client`)
    or an entrance (an address and the clients behind it, `entrance_clients`).
    """

    lock_id = models.UUIDField(_("lock id"), default=uuid.uuid4, unique=True, editable=False)
    serial_number = models.CharField(_("serial number"), max_length=64)
    firmware = models.CharField(_("firmware"), max_length=64, blank=True)
    battery_level = models.PositiveSmallIntegerField(
        _("battery (%)"), null=True, blank=True, help_text=_("As the lock last reported it.")
    )
    battery_reported_at = models.DateTimeField(_("battery reported"), null=True, blank=True)
    door_kind = models.CharField(_("door"), max_length=16, choices=DoorKind.choices, blank=True)
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="door_locks",
        verbose_name=_("client"),
        help_text=_("For a lock on the client's own door."),
    )
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    entrance_clients = models.ManyToManyField(
        Client,
        blank=True,
        related_name="entrance_locks",
        verbose_name=_("clients behind the entrance"),
    )
    placed_on = models.DateField(_("placed on"), null=True, blank=True)
    removed_on = models.DateField(
        _("removed on"), null=True, blank=True, help_text=_("From this day it opens for nobody.")
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    # Raised each time a key goes on the lock's revocation list, so a lock can tell a newer
    # list from an older one that arrives late (unlock.LockState.receive_revocations).
    revocation_serial = models.PositiveIntegerField(_("revocation list"), default=0)
    # The lock's bearer token on the lock API, as for alarm units (AlarmUnit.api_token).
    api_token = models.OneToOneField(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="door_lock",
        verbose_name=_("device token"),
    )

    objects = DoorLockQuerySet.as_manager()

    class Meta:
        verbose_name = _("door lock")
        verbose_name_plural = _("door locks")
        ordering = ["serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial_number", "municipality"], name="doorlock_serial_unique"
            ),
            models.CheckConstraint(
                condition=Q(serial_number__gt=""), name="doorlock_has_serial_number"
            ),
            models.CheckConstraint(
                condition=Q(battery_level__isnull=True) | Q(battery_level__lte=100),
                name="doorlock_battery_percent",
            ),
            # A flat's lock names its client; an entrance's has an address instead.
            models.CheckConstraint(
                condition=(
                    Q(door_kind="")
                    | Q(door_kind=DoorKind.FLAT, client__isnull=False)
                    | Q(door_kind=DoorKind.ENTRANCE, client__isnull=True, street__gt="")
                ),
                name="doorlock_door_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True)
                | Q(placed_on__isnull=False, removed_on__gte=models.F("placed_on")),
                name="doorlock_removed_after_placed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} {self.serial_number}"

    def is_in_service(self, day: dt.date) -> bool:
        return (
            self.placed_on is not None
            and self.placed_on <= day
            and (self.removed_on is None or self.removed_on > day)
        )

    def clients_behind(self) -> list[Client]:
        """The clients this door leads to: the flat's one, or everyone behind the entrance."""
        if self.door_kind == DoorKind.FLAT:
            return [self.client] if self.client is not None else []
        if self.door_kind == DoorKind.ENTRANCE:
            return list(self.entrance_clients.all())
        return []

    @property
    def address(self) -> str:
        """The door's street address: the client's for a flat, the entrance's own."""
        if self.door_kind == DoorKind.FLAT and self.client is not None:
            return self.client.street
        return self.street
