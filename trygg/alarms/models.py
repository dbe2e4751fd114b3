"""Messages received from alarm units, the alarms they raise and how they are handled, who
responds to them (districts, responder shifts, the escalation policy). Their changes reach
the dispatcher through the core outbox (topics `alarm.*`, trygg/core/outbox.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Client, Municipality, Provider, Team, User
from trygg.devices.models import AlarmPlacement, AlarmProtocol, AlarmUnit

from . import event_names


class AlarmCategory(models.TextChoices):
    CARE = "care", _("Care")  # someone may need help: the alarm operators
    TECHNICAL = "technical", _("Technical")  # the unit needs attention: the device people


class AlarmKind(models.TextChoices):
    ALARM = "alarm", _("Alarm")
    FIRE = "fire", _("Fire")
    LOW_BATTERY = "low_battery", _("Low battery")
    TAMPER = "tamper", _("Tamper")
    MAINS_LOSS = "mains_loss", _("Mains power lost")
    TECHNICAL = "technical", _("Technical fault")
    TEST = "test", _("Test")
    RESTORE = "restore", _("Restored")
    CONNECTION_LOST = "connection_lost", _("Connection lost")
    OTHER = "other", _("Other")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class AlarmCause(models.TextChoices):
    """Why the alarm was raised, as the responder found it (orsak): recorded at closing,
    for follow-up of the client's care and of the units."""

    HELP_GIVEN = "help_given", _("Needed help, help given")
    FALL = "fall", _("Fall")
    ILLNESS = "illness", _("Illness")
    AMBULANCE = "ambulance", _("Ambulance called")
    WORRY = "worry", _("Worry or loneliness, reassured")
    NO_HELP_NEEDED = "no_help_needed", _("No help needed")
    BY_MISTAKE = "by_mistake", _("Pressed by mistake")
    NOT_AT_HOME = "not_at_home", _("Client not at home")
    FIRE_CHECKED = "fire_checked", _("Fire alarm checked")
    TECHNICAL_FIXED = "technical_fixed", _("Technical fault dealt with")
    TEST = "test", _("Test")
    OTHER = "other", _("Other (see note)")


# Causes that only fit a technical alarm, and those that only fit a care alarm.
TECHNICAL_CAUSES = frozenset({AlarmCause.TECHNICAL_FIXED, AlarmCause.TEST, AlarmCause.OTHER})


class AlarmPriority(models.IntegerChoices):
    """How urgent an alarm is among those of its rank: a sensor rule may raise a fall at high
    priority and a client sitting up at low (sensors.SensorRule). Everything else is
    normal."""

    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class EscalationLevel(models.IntegerChoices):
    TEAM = 0, _("Responder team")
    BACKUP_TEAM = 1, _("Backup team")
    ALARM_CENTRE = 2, _("Alarm centre")


CARE_KINDS = frozenset({AlarmKind.ALARM, AlarmKind.FIRE})
# Kept in the unit's history but needing nobody's action: recorded closed at once.
RECORD_ONLY_KINDS = frozenset({AlarmKind.TEST, AlarmKind.RESTORE})
# What the ingest writes as `code` for the restore of a lost connection.
CONNECTION_RESTORED_CODE = event_names.CONNECTION_CODE


class Signal(models.Model):
    """One message received from an alarm unit (larmsignal), kept as it arrived, with the
    placement in force then. Pure heartbeats are not kept: they only move the unit's
    supervision deadline."""

    protocol = models.CharField(_("protocol"), max_length=8, choices=AlarmProtocol.choices)
    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("unit"),
        db_index=False,  # the (unit, dedupe_key, dedupe_window) unique index leads with it
    )
    # Identical for a retransmission of the same frame. DC-09 sequence numbers cycle, so
    # the same key can come back weeks later as a new message: a key counts as a repeat
    # only within the window it was stored in and the next (ingest.DEDUPE_WINDOW), and
    # the database refuses a second copy within one window.
    dedupe_key = models.CharField(_("deduplication key"), max_length=128)
    dedupe_window = models.PositiveIntegerField(_("deduplication window"))
    received_at = models.DateTimeField(_("received"))
    raw = models.BinaryField(_("as received"))
    placement = models.ForeignKey(
        AlarmPlacement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placement"),
    )

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "dedupe_key", "dedupe_window"], name="signal_dedupe_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.protocol} {self.unit_id} {self.received_at:%Y-%m-%d %H:%M:%S}"


# The console's order: fire first, then calls for help, then technical; unacknowledged
# before those in hand.
_CONSOLE_RANK = Case(
    When(kind=AlarmKind.FIRE, then=Value(0)),
    When(category=AlarmCategory.CARE, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_WAITING = Case(
    When(status=AlarmStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
)


class AlarmQuerySet(models.QuerySet["Alarm"]):
    def unresolved(self) -> AlarmQuerySet:
        """Open or acknowledged: what somebody still has to deal with. Written as the
        partial index `alarm_open_queue` is, so that the planner sees it applies."""
        return self.filter(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED])

    def by_priority(self) -> AlarmQuerySet:
        """The console's and the phone's order for care alarms: fire, then calls for help by
        their priority, unacknowledged before the ones being handled, the most escalated
        and then the oldest first."""
        return self.order_by(
            _CONSOLE_RANK, "priority", _WAITING, "-escalation_level", "created_at", "pk"
        )

    def by_waiting(self) -> AlarmQuerySet:
        """The console's order for technical alarms: unacknowledged first, oldest first."""
        return self.order_by(_WAITING, "created_at", "pk")


class Alarm(models.Model):
    """One event from an alarm unit (larm / alarm): a call for help or a fire (care), or a
    technical report, with who held the unit at the time. Tests and restores are recorded
    closed: they belong in the unit's history and need nobody's action."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        db_index=False,  # the open-queue index leads with it
    )
    unit = models.ForeignKey(
        AlarmUnit,
        on_delete=models.PROTECT,
        related_name="alarms",
        verbose_name=_("unit"),
        db_index=False,  # the unit-history index leads with it
    )
    # The message that raised it; none for what Trygg notices itself (a lost connection).
    signal = models.ForeignKey(
        Signal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("signal"),
    )
    placement = models.ForeignKey(
        AlarmPlacement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placement"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("client"),
        db_index=False,  # the client-history index leads with it
    )
    # Responsible at the time: the client's provider, or the holder of an emergency alarm.
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AlarmKind.choices)
    category = models.CharField(_("category"), max_length=16, choices=AlarmCategory.choices)
    code = models.CharField(_("code"), max_length=32, blank=True)
    zone = models.CharField(_("zone"), max_length=32, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=AlarmPriority.choices, default=AlarmPriority.NORMAL
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Handling (routing.py, dispatch.py, steps.py). The team the alarm went to when it was routed;
    # none when no shift covers the client then, which sends it straight to the centre.
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responder team"),
    )
    backup_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("backup team"),
    )
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.TEAM
    )
    # When the next escalation or reminder is due while nobody has acknowledged it.
    escalate_at = models.DateTimeField(_("escalates"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders"), default=0)
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responder"),
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on site"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=24, choices=AlarmCause.choices, blank=True)
    close_note = models.TextField(_("note"), blank=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=AlarmStatus.CLOSED) | Q(closed_at__isnull=False),
                name="alarm_closed_has_time",
            ),
        ]
        indexes = [
            # The console's queue: what is not closed yet, per municipality, oldest first.
            models.Index(
                fields=["municipality", "created_at"],
                name="alarm_open_queue",
                condition=Q(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED]),
            ),
            models.Index(fields=["unit", "-created_at"], name="alarm_unit_history"),
            models.Index(fields=["client", "-created_at"], name="alarm_client_history"),
            # The escalation loop's look-up: unacknowledged alarms by when they are due.
            models.Index(
                fields=["escalate_at"],
                name="alarm_escalation_due",
                condition=Q(status=AlarmStatus.OPEN, escalate_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} ({self.unit_id})"

    # What the unit reported, for pages: named in the reader's language, the code kept for
    # the technician. Each reads the unit's protocol: load `unit` with the alarm.

    @property
    def event_name(self) -> str:
        """The event in the reader's language ("Medicinskt larm", "Larmknappen tryckt");
        the alarm's kind when the code is Trygg's own or one Trygg does not know."""
        if self.code == CONNECTION_RESTORED_CODE:
            if self.kind == AlarmKind.RESTORE:
                return str(_("Connection restored"))
            return self.get_kind_display()
        name = event_names.event_name(self.unit.protocol, self.code)
        if name is None and self.kind == AlarmKind.OTHER:
            return str(_("An event code Trygg does not know"))
        return name or self.get_kind_display()

    @property
    def event_code(self) -> str:
        """The unit's code as a technician looks it up ("SIA MA"); empty for Trygg's own."""
        return event_names.shown_code(self.unit.protocol, self.code)

    @property
    def unit_text(self) -> str:
        """Words the unit itself sent with the event (a room, a sensor's name), if any."""
        return event_names.unit_text(self.unit.protocol, self.code, self.text)


class AlarmAction(models.TextChoices):
    RAISED = "raised", _("Raised")
    ROUTED = "routed", _("Sent to team")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Responder assigned")
    ACCEPTED = "accepted", _("Accepted by responder")
    ON_SITE = "on_site", _("On site")
    ESCALATED = "escalated", _("Escalated")
    REMINDED = "reminded", _("Reminder")
    NOTE = "note", _("Note")
    CLOSED = "closed", _("Closed")
    RESTORED = "restored", _("Closed: the unit reported normal again")


class AlarmEvent(models.Model):
    """One step in an alarm's handling, who took it and when (the alarm's log). Written in
    the same transaction as the change it records; never changed afterwards."""

    alarm = models.ForeignKey(
        Alarm, on_delete=models.CASCADE, related_name="events", verbose_name=_("alarm")
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("what"), max_length=16, choices=AlarmAction.choices)
    # Who did it; none when Trygg did it itself (routing, escalation, a restore).
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responder = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, null=True, blank=True
    )
    cause = models.CharField(_("cause"), max_length=24, choices=AlarmCause.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("alarm event")
        verbose_name_plural = _("alarm events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alarm", "at"], name="alarmevent_alarm_at")]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.action} {self.at:%Y-%m-%d %H:%M:%S}"


# Who responds ----------------------------------------------------------------------------


class District(models.Model):
    """A part of the municipality that responder shifts cover (distrikt / sone), known by
    the postal codes of the addresses in it."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    postal_codes = models.TextField(
        _("postal codes"),
        help_text=_(
            "Postal codes or their beginnings, separated by commas or spaces: "
            '"123 45, 124" covers 123 45 and every code starting 124. The longest match wins.'
        ),
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="district_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefixes(self) -> list[str]:
        return [p for p in (part.replace(" ", "") for part in _split_codes(self.postal_codes)) if p]

    def clean(self) -> None:
        for prefix in self.prefixes:
            if not prefix.isdigit():
                raise ValidationError(
                    {"postal_codes": _("“%(code)s” is not a postal code.") % {"code": prefix}}
                )


def _split_codes(text: str) -> list[str]:
    # "123 45" is one code written with its usual space; commas and new lines separate.
    return [part.strip() for part in text.replace("\n", ",").replace(";", ",").split(",")]


ALL_WEEKDAYS = "1234567"


class ResponderShift(models.Model):
    """Which responder team (larmpatrull, nattpatrull, hemtjänstgrupp) takes the alarms of
    which clients at which times: say the north day team on weekdays 07-16 for clients in
    the north district, the night patrol 22-07 for everyone. The most specific shift in
    force wins: one naming the client's provider over one that does not, a district over
    the whole municipality, then the lower priority number."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("responder team")
    )
    backup_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("backup team"),
        help_text=_("Gets the alarm when the responder team has not acknowledged it in time."),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only clients of"),
        help_text=_("Leave empty for the clients of every provider."),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shifts",
        verbose_name=_("district"),
        help_text=_("Leave empty for the whole municipality."),
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        default=ALL_WEEKDAYS,
        help_text=_("ISO weekday numbers, 1 Monday to 7 Sunday: 12345 for Monday to Friday."),
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(
        _("to"),
        help_text=_(
            "Earlier than the start for a shift past midnight: 22:00 to 07:00. "
            "The same as the start for around the clock."
        ),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("responder shift")
        verbose_name_plural = _("responder shifts")
        ordering = ["municipality", "starts", "priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            not self.weekdays
            or any(ch not in ALL_WEEKDAYS for ch in self.weekdays)
            or len(set(self.weekdays)) != len(self.weekdays)
        ):
            errors["weekdays"] = str(_("Give weekday numbers 1 to 7, each at most once."))
        if errors:
            raise ValidationError(errors)

    def covers(self, local: dt.datetime) -> bool:
        """Whether the shift is in force at this local time. A shift past midnight belongs
        to the day it starts: Friday's 22-07 covers Saturday 03:00."""
        clock = local.time()
        if self.starts == self.ends:  # around the clock
            return str(local.isoweekday()) in self.weekdays
        if self.starts < self.ends:
            return self.starts <= clock < self.ends and str(local.isoweekday()) in self.weekdays
        if clock >= self.starts:
            return str(local.isoweekday()) in self.weekdays
        if clock < self.ends:
            return str((local - dt.timedelta(days=1)).isoweekday()) in self.weekdays
        return False


class AlarmPolicy(models.Model):
    """How long an alarm may wait for acknowledgement before it escalates, per
    municipality; a municipality without a row uses the defaults."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="alarm_policy",
        verbose_name=_("municipality"),
    )
    acknowledge_within = models.PositiveIntegerField(
        _("acknowledge within (seconds)"),
        default=120,
        help_text=_("Unacknowledged this long, the alarm goes to the next level."),
    )
    remind_every = models.PositiveIntegerField(
        _("remind every (seconds)"),
        default=60,
        help_text=_("At the alarm centre, how often an unacknowledged alarm is repeated."),
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return str(self.municipality)

    def clean(self) -> None:
        if self.acknowledge_within < 10:
            raise ValidationError({"acknowledge_within": _("At least 10 seconds.")})
        if self.remind_every < 10:
            raise ValidationError({"remind_every": _("At least 10 seconds.")})
