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
    PHONES = "phones", _("IT and telephony")


class LineKind(models.TextChoices):
    PRIMARY = "primary", _("Support line (opening hours)")
    OUT_OF_HOURS = "out_of_hours", _("Out-of-hours line")
    VENDOR = "vendor", _("Vendor line")
    ON_CALL = "on_call", _("On call")


class LineAudience(models.TextChoices):
    """Whom a line serves. Örebro's evening and night on-call "does not apply to external
    providers" and its IT/telephony support is "for municipal employees only"."""

    EVERYONE = "everyone", _("Everyone, private providers too")
    MUNICIPAL = "municipal", _("The municipality's own staff only")


class Caller(models.TextChoices):
    """Who is asking: the municipality's side (its own providers and offices) or a private
    provider's staff."""

    MUNICIPAL = "municipal", _("Municipal staff")
    EXTERNAL = "external", _("A private provider's staff")


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
    NOT_FOR_CALLER = "not_for_caller", _("For municipal staff only")


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
