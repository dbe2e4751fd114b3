"""Night supervision by camera (nattillsyn via trygghetskamera): each client's plan, its
agreed look-in times and pauses, the look-ins of each night and every camera session."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trygg.alarms.models import Alarm
from trygg.core.models import Client, Consent, Municipality, Provider, Team, User
from trygg.devices.models import AlarmPlacement, AlarmUnit
from trygg.servicedesk.models import Order

from .constants import (
    DEFAULT_RETRY_MINUTES,
    DEFAULT_SESSION_SECONDS,
    DEFAULT_WINDOW_MINUTES,
    LookInStatus,
    Outcome,
    PauseReason,
    PlanState,
    RefusalReason,
)


class SupervisionPlan(models.Model):
    """A client's night supervision by camera (tillsynsplan): the camera, the agreed times,
    what to do when the client is not seen, and what it rests on (consent or decision).

    Supervision starts on `start_date` once the provider has confirmed the journal note
    (the routine: "document in the journal that visual digital supervision has started");
    it stops on `ended_on` (the camera removed)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="supervision_plans", verbose_name=_("client")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="+", verbose_name=_("provider")
    )
    night_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("night team"),
        help_text=_("The team whose night staff look in; empty: the client's own team."),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("camera order"),
    )
    camera = models.ForeignKey(
        AlarmUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("camera")
    )
    placement = models.ForeignKey(
        AlarmPlacement, on_delete=models.PROTECT, related_name="+", verbose_name=_("placement")
    )
    start_date = models.DateField(_("start date"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    journal_confirmed_at = models.DateTimeField(_("journal note confirmed"), null=True, blank=True)
    journal_confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    window_minutes = models.PositiveSmallIntegerField(
        _("window (minutes)"),
        default=DEFAULT_WINDOW_MINUTES,
        help_text=_("How long after the agreed time the look-in may be done."),
    )
    session_seconds = models.PositiveSmallIntegerField(
        _("camera session (seconds)"), default=DEFAULT_SESSION_SECONDS
    )
    retry_minutes = models.PositiveSmallIntegerField(
        _("look again after (minutes)"), default=DEFAULT_RETRY_MINUTES
    )
    then_phone = models.BooleanField(_("then phone the client"), default=True)
    then_patrol = models.BooleanField(_("then send the night patrol"), default=True)
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent"),
    )
    decision = models.CharField(
        _("decision"),
        max_length=200,
        blank=True,
        help_text=_("The decision supervision rests on when there is no consent: its number."),
    )
    review_on = models.DateField(_("review on"), null=True, blank=True)
    installed_on = models.DateField(_("installed on"))
    installed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    letter_languages = models.JSONField(_("information letter given in"), default=list)
    sign_languages = models.JSONField(_("signs put up in"), default=list)
    sign_placement = models.CharField(_("sign placement"), max_length=300)
    camera_faulty_since = models.DateTimeField(_("camera faulty since"), null=True, blank=True)
    fault_order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fault ticket"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("supervision plan")
        verbose_name_plural = _("supervision plans")
        ordering = ["client__last_name", "client__first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(ended_on__isnull=True), name="plan_one_open"
            ),
            models.CheckConstraint(
                condition=Q(window_minutes__gte=5, session_seconds__gte=5, retry_minutes__gte=1),
                name="plan_sane_lengths",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} ({self.camera.serial_number})"

    @property
    def state(self) -> str:
        if self.ended_on is not None:
            return PlanState.ENDED
        if self.journal_confirmed_at is None:
            return PlanState.AWAITING_JOURNAL
        return PlanState.ACTIVE

    def get_state_display(self) -> str:
        return str(PlanState(self.state).label)

    @property
    def team_id_for_round(self) -> int | None:
        return self.night_team_id or self.client.team_id

    def runs_on(self, night: dt.date) -> bool:
        """Whether look-ins are made for the night starting on `night`."""
        return (
            self.journal_confirmed_at is not None
            and self.start_date <= night
            and (self.ended_on is None or night < self.ended_on)
        )


class LookInTime(models.Model):
    """An agreed look-in time of the night (tillsynstid), local clock."""

    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="times")
    at = models.TimeField(_("time"))

    class Meta:
        verbose_name = _("look-in time")
        verbose_name_plural = _("look-in times")
        ordering = ["plan", "at"]
        constraints = [models.UniqueConstraint(fields=["plan", "at"], name="lookintime_unique")]

    def __str__(self) -> str:
        return f"{self.at:%H:%M}"


class Pause(models.Model):
    """Nights without look-ins (uppehåll): the client declines a night, a hospital stay."""

    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="pauses")
    first_night = models.DateField(_("first night"))
    last_night = models.DateField(_("last night"))
    reason = models.CharField(_("reason"), max_length=16, choices=PauseReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["plan", "first_night"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_night__gte=models.F("first_night")), name="pause_valid_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_night}..{self.last_night}"

    def covers(self, night: dt.date) -> bool:
        return self.first_night <= night <= self.last_night


class LookIn(models.Model):
    """One look-in of one night (tillsyn): due from `scheduled_at` until `window_ends_at`.

    Made for each night ahead of time by the worker; one still due when its window closes
    is missed, and the worker claims it with a conditional UPDATE on `status` and raises
    the alarm in the same transaction (the partial index serves exactly that question)."""

    plan = models.ForeignKey(SupervisionPlan, on_delete=models.CASCADE, related_name="lookins")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    night = models.DateField(_("night"))
    scheduled_at = models.DateTimeField(_("time"))
    window_ends_at = models.DateTimeField(_("window ends"))
    status = models.CharField(
        _("status"), max_length=12, choices=LookInStatus.choices, default=LookInStatus.DUE
    )
    physical = models.BooleanField(
        _("physical visit"), default=False, help_text=_("The camera is faulty: go there.")
    )
    retry_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="retries"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    phoned_at = models.DateTimeField(_("client phoned"), null=True, blank=True)
    phone_answered = models.BooleanField(_("answered"), null=True, blank=True)
    alarm = models.ForeignKey(
        Alarm, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("look-in")
        verbose_name_plural = _("look-ins")
        ordering = ["scheduled_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "scheduled_at"],
                condition=Q(retry_of__isnull=True),
                name="lookin_once_per_time",
            )
        ]
        indexes = [
            # "Due and its window closed": exactly the missed-look-in worker's question.
            models.Index(
                fields=["window_ends_at"],
                name="lookin_due_window",
                condition=Q(status="due"),
            ),
            models.Index(fields=["team", "scheduled_at"], name="lookin_team_time"),
            models.Index(fields=["municipality", "night"], name="lookin_muni_night"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.scheduled_at:%Y-%m-%d %H:%M}"

    def in_window(self, moment: dt.datetime) -> bool:
        return self.scheduled_at <= moment < self.window_ends_at


class CameraSession(models.Model):
    """One look through the camera (kamerasession), or a refused attempt: who, when, for
    how long. The picture goes from camera to viewer and is never stored."""

    plan = models.ForeignKey(SupervisionPlan, on_delete=models.PROTECT, related_name="sessions")
    lookin = models.ForeignKey(
        LookIn, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    seconds = models.PositiveSmallIntegerField(_("length (seconds)"), default=0)
    refused = models.CharField(
        _("refused because"), max_length=16, choices=RefusalReason.choices, blank=True
    )
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("camera session")
        verbose_name_plural = _("camera sessions")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["plan", "-started_at"], name="session_plan_started")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M:%S}"

    def is_open(self, moment: dt.datetime) -> bool:
        return not self.refused and self.ends_at is not None and moment < self.ends_at
