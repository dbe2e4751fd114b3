"""The municipality's IT training for providers: a provider's start date, teacher-led sessions
and who is booked on them and attended, support users, and web-course completions."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core.models import Municipality, Provider, User

from .constants import SessionKind, TrainedSystem


def split_codes(value: str) -> list[str]:
    return [code for code in value.split(",") if code]


class StartPlan(models.Model):
    """A provider's approval and agreed start of operations (godkännande, driftstart)."""

    provider = models.OneToOneField(
        Provider,
        on_delete=models.CASCADE,
        related_name="training_start",
        verbose_name=_("provider"),
    )
    approved_on = models.DateField(
        _("approved on"), help_text=_("When the municipality approved the provider (LOV).")
    )
    starts_on = models.DateField(
        _("start of operations"), help_text=_("The agreed start of operations.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("start of operations")
        verbose_name_plural = _("starts of operations")
        ordering = ["starts_on", "provider__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__gte=F("approved_on")),
                name="startplan_start_after_approval",
                violation_error_message=_("The start of operations cannot be before the approval."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.starts_on}"


class TrainingSession(models.Model):
    """A teacher-led training session (utbildningstillfälle) held by the service desk."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="training_sessions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    # Codes of `TrainedSystem`, separated by commas, in the choices' order.
    systems = models.CharField(_("IT systems"), max_length=200)
    agenda = models.TextField(_("agenda"))
    seats = models.PositiveSmallIntegerField(_("seats"))
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["municipality", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="trainingsession_ends_after_start",
                violation_error_message=_("The session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(seats__gte=1),
                name="trainingsession_has_seats",
                violation_error_message=_("A session has at least one seat."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.local_date}"

    @property
    def local_date(self) -> dt.date:
        """The session's day by the municipality's clock: what margins are counted from."""
        return self.municipality.local_date(self.starts_at)

    @property
    def system_list(self) -> list[str]:
        return split_codes(self.systems)

    @property
    def system_labels(self) -> list[str]:
        labels = dict(TrainedSystem.choices)
        return [str(labels.get(code, code)) for code in self.system_list]

    def has_started(self, now: dt.datetime | None = None) -> bool:
        return self.starts_at <= (now or timezone.now())


class BookingQuerySet(models.QuerySet["Booking"]):
    def active(self) -> BookingQuerySet:
        """Bookings that stand: neither the booking nor its session is cancelled."""
        return self.filter(cancelled_at__isnull=True, session__cancelled_at__isnull=True)


class Booking(models.Model):
    """One person of a provider booked on a teacher-led session, and whether they attended."""

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="bookings")
    # The provider the person was booked for: the secrecy boundary of the booking.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_bookings")
    booked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(_("booked"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # None until the service desk records attendance after the session.
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["session__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(cancelled_at__isnull=True),
                name="booking_once_per_session",
            )
        ]
        indexes = [models.Index(fields=["provider", "session"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.session}"


class SupportUser(models.Model):
    """A staff member a provider names as its support user (stödanvändare): they take the
    teacher-led training and help their colleagues in the systems."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    named_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    named_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("support user")
        verbose_name_plural = _("support users")
        constraints = [
            models.UniqueConstraint(fields=["provider", "person"], name="supportuser_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.provider})"


class WebCourseCompletion(models.Model):
    """A person's completed web course (webbutbildning): one per person and municipality,
    whichever of its providers they work for."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="web_courses")
    completed_on = models.DateField(_("completed on"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("web-course completion")
        verbose_name_plural = _("web-course completions")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "person"], name="webcourse_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.completed_on}"
