"""Choices shared across Trygg: countries, roles, technologies, service categories."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    SWEDEN = "SE", _("Sweden")
    NORWAY = "NO", _("Norway")


# Each country's one time zone, and what people call it: a page says "svensk tid", not
# "Europe/Stockholm".
COUNTRY_TIME_ZONE: dict[str, str] = {
    Country.SWEDEN: "Europe/Stockholm",
    Country.NORWAY: "Europe/Oslo",
}
CLOCK_NAMES: dict[str, Promise] = {
    Country.SWEDEN: _("Swedish time"),
    Country.NORWAY: _("Norwegian time"),
}


class ProviderKind(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal (own management)")
    PRIVATE = "private", _("Private (LOV)")


class Role(models.TextChoices):
    CARE_WORKER = "care_worker", _("Care worker")
    TEAM_LEADER = "team_leader", _("Team leader")
    PROVIDER_MANAGER = "provider_manager", _("Provider manager")
    NIGHT_SUPERVISOR = "night_supervisor", _("Night-supervision staff")
    ALARM_OPERATOR = "alarm_operator", _("Alarm operator")
    WELFARE_TECH = "welfare_tech", _("Welfare-technology team")
    MUNICIPAL_ADMIN = "municipal_admin", _("Municipal administrator")
    AUDITOR = "auditor", _("Auditor")


# Roles held at a provider (utförare); the others are held at the municipality.
PROVIDER_ROLES = frozenset(
    {Role.CARE_WORKER, Role.TEAM_LEADER, Role.PROVIDER_MANAGER, Role.NIGHT_SUPERVISOR}
)
MUNICIPAL_ROLES = frozenset(
    {Role.ALARM_OPERATOR, Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN, Role.AUDITOR}
)


class Technology(models.TextChoices):
    SAFETY_ALARM = "safety_alarm", _("Safety alarm")
    CAMERA_SUPERVISION = "camera_supervision", _("Camera night supervision")
    SENSOR_SUPERVISION = "sensor_supervision", _("Sensor supervision")
    DIGITAL_LOCK = "digital_lock", _("Keyless door lock")
    GPS_ALARM = "gps_alarm", _("GPS alarm")


class ConsentRelation(models.TextChoices):
    CLIENT = "client", _("The client")
    COHABITANT = "cohabitant", _("Cohabitant")
    REPRESENTATIVE = "representative", _("Legal representative")


class ServiceCategory(models.TextChoices):
    PERSONAL_CARE = "personal_care", _("Personal care")
    SERVICE = "service", _("Service")
    NIGHT_SUPERVISION = "night_supervision", _("Night supervision")
    SAFETY_ALARM = "safety_alarm", _("Safety alarm")
    MEAL_DELIVERY = "meal_delivery", _("Meal delivery")
    ESCORT = "escort", _("Escort")
    RESPITE = "respite", _("Respite care")
    OTHER = "other", _("Other")


class Period(models.TextChoices):
    DAY = "day", _("per day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")


class AccessAction(models.TextChoices):
    LIST = "list", _("Listed")
    DETAIL = "detail", _("Opened record")
    DOOR_CODE = "door_code", _("Revealed door code")
    EXPORT = "export", _("Exported")
    API_LIST = "api_list", _("Listed through the API")
    API_DETAIL = "api_detail", _("Read through the API")
    SEARCH = "search", _("Found by national id search")


# A name in a list or among search results, not a record opened: kept in the log (the client
# may ask who has seen their name) but never flagged for review. A list of a whole team
# flagged as "outside own teams" row by row would bury the deliberate reads an auditor
# looks for.
LIST_ACTIONS = frozenset({AccessAction.LIST, AccessAction.API_LIST, AccessAction.SEARCH})
