"""Choices for support routing and the service catalogue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class System(models.TextChoices):
    """The systems people call about; the order is the order of the cards on the page."""

    VISIT_APP = "visit_app", _("Visit app")
    LOCKS = "locks", _("Keyless locks")
    ALARMS = "alarms", _("Safety alarms")
    CAMERAS = "cameras", _("Cameras")
    SENSORS = "sensors", _("Sensors")


class LineKind(models.TextChoices):
    PRIMARY = "primary", _("Support line (opening hours)")
    OUT_OF_HOURS = "out_of_hours", _("Out-of-hours line")
    VENDOR = "vendor", _("Vendor line")
    ON_CALL = "on_call", _("On call")


class DayType(models.TextChoices):
    """Which days an opening rule is for; see routing.Calendar.day_type for the rule."""

    REGULAR = "regular", _("Ordinary days (by weekday)")
    BEFORE_HOLIDAY = "before_holiday", _("Working day before a holiday")
    HOLIDAY = "holiday", _("Holiday or closed weekday")


class StepKind(models.TextChoices):
    CHECK = "check", _("Check or do yourself")
    CALL = "call", _("Call a line")


class StepApplies(models.TextChoices):
    ALWAYS = "always", _("Always")
    OPENING_HOURS = "opening_hours", _("When support is open")
    OUT_OF_HOURS = "out_of_hours", _("When support is closed")


class Currency(models.TextChoices):
    SEK = "SEK", _("Swedish kronor (SEK)")
    NOK = "NOK", _("Norwegian kroner (NOK)")


class Reason(models.TextChoices):
    """Why the answer is the line it is."""

    OPEN = "open", _("Open")
    OPEN_SHORT_DAY = "open_short_day", _("Open, short day before a holiday")
    LUNCH = "lunch", _("Closed for lunch")
    CLOSED_EARLY = "closed_early", _("Closed early before a holiday")
    OUT_OF_HOURS = "out_of_hours", _("Out of hours")
    WEEKEND = "weekend", _("Weekend")
    HOLIDAY = "holiday", _("Holiday")
    NO_SUPPORT = "no_support", _("No support line for this system")


COUNTRY_CURRENCY = {"SE": Currency.SEK, "NO": Currency.NOK}
# ISO weekday numbers, Monday = 1, as stored in OpeningRule.weekdays.
WEEKDAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
