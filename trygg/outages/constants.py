"""Choices for outages (driftstopp / driftsstans): systems, kinds, states, audiences."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class System(models.TextChoices):
    """A system people depend on; other apps refer to these values (e.g. service-desk
    fault reports), so the values are a contract."""

    VISIT_APP = "visit_app", _("Visit app")
    LOCKS = "locks", _("Keyless locks")
    ALARMS = "alarms", _("Safety alarms")
    CAMERAS = "cameras", _("Cameras")
    SENSORS = "sensors", _("Sensors")
    TRYGG = "trygg", _("Trygg")


class OutageKind(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNPLANNED = "unplanned", _("Unplanned")


class OutageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", pgettext_lazy("an outage", "Cancelled")


class RuleAudience(models.TextChoices):
    """Who a notice rule protects: managers need longer to plan around an outage."""

    USERS = "users", _("Users")
    MANAGERS = "managers", _("Managers")


# Minimum notice in days when a municipality has not set its own (NoticeRule).
DEFAULT_NOTICE_DAYS: dict[str, int] = {RuleAudience.USERS: 7, RuleAudience.MANAGERS: 14}
# A rule longer than this would hide the banner query's bound; nobody needs a quarter.
MAX_NOTICE_DAYS = 90


class Audience(models.TextChoices):
    """Who a notice went to. A private provider's audience is stored as
    "private_provider:<id>", one per provider, so the log says which provider was told."""

    MANAGERS = "managers", _("Managers")
    PRIVATE_PROVIDER = "private_provider", _("Private provider")
    ALL_USERS = "all_users", _("All users")


PRIVATE_PROVIDER_PREFIX = "private_provider:"


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    BANNER = "banner", _("Banner in Trygg")


class NoticeKind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("Announcement")
    CHANGE = "change", _("Changed time")
    CANCELLATION = "cancellation", _("Cancellation")


class SystemState(models.TextChoices):
    """The status page's traffic light for one system."""

    OK = "ok", _("Operating normally")
    PLANNED = "planned", _("Planned outage soon")
    DOWN = "down", _("Outage now")


# The status page shows a system as amber when an announced outage starts within this.
STATUS_SOON_DAYS = 7

DASH = "\u2013"  # an en dash, for spans of time
