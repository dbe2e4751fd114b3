"""Choices and limits of night supervision: outcomes, pauses, look-in states, defaults."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Trygg's own alarm codes (alarms.event_names.register_code).
CODE_MISSED = "lookin_missed"
CODE_NOT_SEEN = "lookin_not_seen"
CODE_CAMERA_FAULT = "camera_fault"

# The order types this app gives more than a form (servicedesk.hooks).
CAMERA_ORDER = "safety_camera"
SIGNS_ORDER = "new_signs"
FAULT_ORDER = "camera_fault"

# The checklist step of the camera order that only the report-back form ticks: it needs
# the camera's serial number from the inventory. The same title as in the catalogue.
REPORT_BACK_STEP = "Återkoppla med kamerans serienummer"
INVENTORY_STEP = "Uppdatera inventarielistan"

# Swedish is always given and always put up; these are the others the routine names. The
# texts are the catalogue's (the municipality's own content), stored as chosen.
OTHER_LANGUAGES = ("Engelska", "Persiska", "Arabiska", "Somaliska")

DEFAULT_WINDOW_MINUTES = 30
DEFAULT_SESSION_SECONDS = 30
DEFAULT_RETRY_MINUTES = 15
MAX_SESSION_SECONDS = 120
MAX_TIMES_PER_NIGHT = 12
# A night runs from noon to noon: 22:00 and 04:00 belong to the night that began that
# evening; look-ins are made for it from noon on.
NIGHT_STARTS = dt.time(12)
# How far ahead the round shows what is coming.
ROUND_AHEAD = dt.timedelta(hours=3)


class Outcome(models.TextChoices):
    SEEN_FINE = "seen_fine", _("Seen and fine")
    NOT_SEEN = "not_seen", _("Not seen")
    NEEDS_VISIT = "needs_visit", _("Needs a visit")
    CAMERA_FAULT = "camera_fault", _("Camera fault")


class LookInStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("a look-in", "Due")
    DONE = "done", pgettext_lazy("a look-in", "Done")
    MISSED = "missed", pgettext_lazy("a look-in", "Missed")
    PAUSED = "paused", pgettext_lazy("a look-in", "Paused")
    CANCELLED = "cancelled", pgettext_lazy("a look-in", "Cancelled")


class PauseReason(models.TextChoices):
    DECLINED = "declined", _("The client declines the night")
    HOSPITAL = "hospital", _("Hospital stay")
    AWAY = "away", _("Away (with relatives, short stay)")
    OTHER = "other", _("Other")


class RefusalReason(models.TextChoices):
    NOT_NIGHT_TEAM = "not_night_team", _("Not on the client's night team")
    OUTSIDE_WINDOW = "outside_window", _("Outside the agreed window")
    NOT_BY_CAMERA = "not_by_camera", _("Look-in is a physical visit (camera faulty)")
    NOT_DUE = "not_due", _("Look-in already done or closed")
    NO_CAMERA = "no_camera", _("No camera in place")


class PlanState(models.TextChoices):
    AWAITING_JOURNAL = "awaiting_journal", _("Waiting for the journal note")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
