"""Visits (besök) and the tasks performed on them, as registered on the staff phone at the
client's door, with what review found (flags), what was changed afterwards (corrections),
who approved a period and the provider's lock date.

Times are what the phone recorded, in UTC; `phone_clock_offset` keeps how far the phone's
clock was from the server's when it synced (both clocks are kept). `local_date` and `band`
are worked out once, by the municipality's clock and working-day calendar, so the billing
basis over millions of visits groups by plain columns.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.alarms.models import Alarm
from trygg.core.models import (
    Client,
    GrantedService,
    Municipality,
    Provider,
    ServiceType,
    Team,
    User,
)
from trygg.devices.models import NfcTag


class Outcome(models.TextChoices):
    PERFORMED = "performed", _("Visit carried out")
    NOT_HOME = "not_home", _("Client not at home")
    DECLINED = "declined", _("Client declined the visit")


class Presence(models.TextChoices):
    """How the visitor showed they were at the door."""

    TAG = "tag", _("NFC tag")
    QR = "qr", _("QR code on the tag")
    CODE = "code", _("Code typed from the tag")
    NONE = "none", _("Without the tag")


PROVEN = frozenset({Presence.TAG, Presence.QR, Presence.CODE})


class NoTagReason(models.TextChoices):
    TAG_MISSING = "tag_missing", _("The tag is missing or broken")
    PHONE_FAULT = "phone_fault", _("The phone could not read the tag")
    OUTSIDE_HOME = "outside_home", _("The visit was outside the home")
    FORGOT = "forgot", _("I forgot to scan")
    OTHER = "other", _("Other reason")


class Band(models.TextChoices):
    """The time bands the billing basis counts visits in (by the visit's start)."""

    DAY = "day", _("Weekday 07-22")
    EVENING_NIGHT = "evening_night", _("Evening and night 22-07")
    WEEKEND_HOLIDAY = "weekend_holiday", _("Weekend and holiday")


class FlagKind(models.TextChoices):
    NO_TAG = "no_tag", _("No tag scan")
    SHORT = "short", _("Very short visit")
    LONG = "long", _("Very long visit")
    OVERLAP = "overlap", _("Overlaps another visit by the same person")
    NO_GRANT = "no_grant", _("Task without a valid granted service")
    LATE_SYNC = "late_sync", _("Synced long after the visit")
    CLOCK = "clock", _("The phone's clock was wrong")


class CorrectionReason(models.TextChoices):
    FORGOT_SCAN = "forgot_scan", _("Forgot to scan in or out")
    WRONG_TIME = "wrong_time", _("Wrong time")
    WRONG_TASKS = "wrong_tasks", _("Wrong tasks")
    WRONG_CLIENT = "wrong_client", _("Wrong client")
    WRONG_OUTCOME = "wrong_outcome", _("Wrong outcome")
    REGISTERED_TWICE = "registered_twice", _("Registered twice or by mistake")
    OTHER = "other", _("Other reason")


class VisitPolicy(models.Model):
    """A municipality's rules for visit registration and review; defaults until it sets its
    own."""

    class PaymentBasis(models.TextChoices):
        GRANTED = "granted", _("Granted time")
        PERFORMED = "performed", _("Performed time")

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="visit_policy"
    )
    clock_skew_limit = models.PositiveIntegerField(
        _("phone clock tolerance (seconds)"),
        default=300,
        help_text=_("A phone whose clock is further off than this has its visits flagged."),
    )
    short_visit_minutes = models.PositiveIntegerField(
        _("very short visit under (minutes)"), default=3
    )
    long_visit_minutes = models.PositiveIntegerField(
        _("very long visit over (minutes)"), default=120
    )
    late_sync_hours = models.PositiveIntegerField(_("late sync after (hours)"), default=12)
    payment_basis = models.CharField(
        _("payment follows"),
        max_length=16,
        choices=PaymentBasis.choices,
        default=PaymentBasis.PERFORMED,
    )
    rounding_minutes = models.PositiveIntegerField(
        _("round performed time to (minutes)"),
        default=1,
        help_text=_("Each visit's performed time is rounded to the nearest multiple."),
    )

    class Meta:
        verbose_name = _("visit rules")
        verbose_name_plural = _("visit rules")

    def __str__(self) -> str:
        return str(self.municipality)

    @classmethod
    def for_municipality(cls, municipality_id: int) -> VisitPolicy:
        policy = cls.objects.filter(municipality_id=municipality_id).first()
        return policy or cls(municipality_id=municipality_id)


class VisitQuerySet(models.QuerySet["Visit"]):
    def current(self) -> VisitQuerySet:
        """Visits that count: not struck out by a correction."""
        return self.filter(struck=False)

    def between(self, first: dt.date, last: dt.date) -> VisitQuerySet:
        return self.filter(local_date__gte=first, local_date__lte=last)


class Visit(models.Model):
    """One visit to a client's home by one staff member (with a partner when two go
    together), as registered on the phone."""

    uuid = models.UUIDField(
        _("registration id"),
        unique=True,
        default=uuid.uuid4,
        help_text=_("Made by the phone, so a registration sent twice is stored once."),
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    # provider, team, client and staff have no index of their own: the composite indexes
    # below start with each of them and serve every look-up by it (a protected delete's
    # check too); four fewer indexes to write for every visit stored (docs/benchmarks.md).
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("provider"),
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("team"),
        db_index=False,
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("client"),
        db_index=False,
    )
    staff = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("staff member"),
        db_index=False,
    )
    partner = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partnered_visits",
        verbose_name=_("together with"),
        help_text=_("The second staff member when two go together (double staffing)."),
    )
    started_at = models.DateTimeField(_("arrived"))
    ended_at = models.DateTimeField(_("left"))
    minutes = models.PositiveIntegerField(_("performed minutes"))
    local_date = models.DateField(_("date"))
    band = models.CharField(_("time band"), max_length=16, choices=Band.choices)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PERFORMED
    )
    arrival = models.CharField(_("arrival shown by"), max_length=8, choices=Presence.choices)
    departure = models.CharField(_("departure shown by"), max_length=8, choices=Presence.choices)
    tag = models.ForeignKey(
        NfcTag,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("tag"),
    )
    no_tag_reason = models.CharField(
        _("why without the tag"), max_length=16, choices=NoTagReason.choices, blank=True
    )
    alarm = models.ForeignKey(
        Alarm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("alarm"),
        help_text=_("When the visit was made because the client raised an alarm."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    phone_clock_offset = models.IntegerField(
        _("phone clock offset (seconds)"),
        default=0,
        help_text=_("The server's time minus the phone's when it synced."),
    )
    synced_at = models.DateTimeField(_("synced"), default=timezone.now)
    struck = models.BooleanField(
        _("struck out"), default=False, help_text=_("Removed by a correction; kept for audit.")
    )
    corrected = models.BooleanField(_("corrected"), default=False)
    approval = models.ForeignKey(
        "VisitApproval",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("approval"),
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")), name="visit_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(arrival=Presence.NONE) | ~Q(no_tag_reason=""),
                name="visit_no_tag_has_reason",
            ),
        ]
        indexes = [
            # Covering (PostgreSQL): the billing basis and the follow-up add up a provider's
            # year from this index alone, without reading the table (docs/benchmarks.md).
            models.Index(
                fields=["provider", "local_date"],
                name="visit_provider_day",
                include=[
                    "team",
                    "band",
                    "outcome",
                    "struck",
                    "arrival",
                    "corrected",
                    "minutes",
                    "partner",
                ],
            ),
            models.Index(fields=["client", "started_at"], name="visit_client_start"),
            models.Index(fields=["staff", "started_at"], name="visit_staff_start"),
            models.Index(fields=["team", "local_date"], name="visit_team_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def proven(self) -> bool:
        return self.arrival in PROVEN


class VisitTask(models.Model):
    """A task performed on a visit, with the share of the visit's time it is counted for."""

    # No index of its own: the unique (visit, service_type) starts with it.
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("task")
    )
    granted_service = models.ForeignKey(
        GrantedService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_tasks",
        verbose_name=_("granted service"),
        help_text=_("Empty when no granted service covered the task that day."),
    )
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("performed task")
        verbose_name_plural = _("performed tasks")
        constraints = [
            models.UniqueConstraint(fields=["visit", "service_type"], name="visittask_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id}: {self.minutes} min"


class VisitFlag(models.Model):
    """Something review should look at; the team leader clears it with a note."""

    # No index of its own: the unique (visit, kind) starts with it.
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="flags", db_index=False)
    kind = models.CharField(_("flag"), max_length=16, choices=FlagKind.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clear_note = models.CharField(_("why it is in order"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("review flag")
        verbose_name_plural = _("review flags")
        constraints = [models.UniqueConstraint(fields=["visit", "kind"], name="visitflag_unique")]
        indexes = [
            models.Index(
                fields=["visit"], name="visitflag_open", condition=Q(cleared_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.kind}"


class VisitCorrection(models.Model):
    """A change to a visit after it was registered: what it was, what it became, who
    changed it, when and why. The first correction's `before` is the original."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="corrections")
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=20, choices=CorrectionReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["visit", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.at:%Y-%m-%d %H:%M} {self.reason}"


class VisitApproval(models.Model):
    """A team leader's approval of a team's visits over a period."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", null=True)
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved"), default=timezone.now)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-last_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="visitapproval_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.first_day}..{self.last_day}"


class PeriodLock(models.Model):
    """The provider's lock date: visits on or before `locked_through` no longer change.
    Each setting is a row; the newest is in force."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    locked_through = models.DateField(_("locked through"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        verbose_name = _("lock date")
        verbose_name_plural = _("lock dates")
        ordering = ["provider", "-set_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider_id} ≤ {self.locked_through}"


class PeriodUnlock(models.Model):
    """A municipal administrator opening a locked period again for a provider, with the
    reason; it closes again when `relocked_at` is set."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=300)
    unlocked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField(_("unlocked"), default=timezone.now)
    relocked_at = models.DateTimeField(_("locked again"), null=True, blank=True)

    class Meta:
        verbose_name = _("unlocked period")
        verbose_name_plural = _("unlocked periods")
        ordering = ["-unlocked_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="periodunlock_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.first_day}..{self.last_day}"
