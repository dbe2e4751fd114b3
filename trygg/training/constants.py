"""Choices and rules of the municipality's IT training for providers (Borås, routine §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from trygg.core.constants import Role

# "Utbildningen skall vara genomförd senast en vecka innan överenskommen verksamhetsstart":
# training done on the start date minus this many days still keeps the margin.
MARGIN_DAYS = 7

# Work leaders and operations managers (arbetsledare / verksamhetschefer) take the service
# desk's teacher-led training; so do the support users (stödanvändare) a provider names.
TEACHER_LED_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
# The service desk and the welfare-technology team plan training, book and record it.
TRAINER_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
# A provider's managers see their own provider's training and record its web courses.
MANAGER_ROLES = frozenset({Role.PROVIDER_MANAGER})

MAX_SEATS = 200
MAX_REPEATS = 26


class Need(models.TextChoices):
    """Which training a person at a provider needs, decided by their role."""

    TEACHER_LED = "teacher_led", _("Teacher-led training")
    WEB_COURSE = "web_course", _("Web course")


class SessionKind(models.TextChoices):
    STARTUP = "startup", _("Before the start of operations")
    ONGOING = "ongoing", _("Ongoing training")


class TrainedSystem(models.TextChoices):
    """The IT systems the municipality trains providers in (routine §4 and §5)."""

    VISIT_APP = "visit_app", _("Visit app")
    VISIT_WEB = "visit_web", _("Visit back office")
    LOCKS = "locks", _("Keyless locks")
    PHONES = "phones", _("Phone management (MDM)")
    REMOTE_ACCESS = "remote_access", _("Remote access")
    TRYGG = "trygg", _("Trygg")


class Readiness(models.TextChoices):
    """A starting provider's training against the one-week margin before its start."""

    READY = "ready", _("Ready")
    AT_RISK = "at_risk", _("At risk")
    LATE = "late", _("Margin not met")


class PersonState(models.TextChoices):
    """Where one person stands with the training they need."""

    DONE = "done", _("Completed")
    BOOKED = "booked", _("Booked")
    NOT_BOOKED = "not_booked", _("Not booked")
    ABSENT = "absent", _("Did not attend")
    NOT_DONE = "not_done", _("Not completed")
