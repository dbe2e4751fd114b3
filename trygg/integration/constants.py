"""Choices and fixed lists for the case-system import."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportSource(models.TextChoices):
    UPLOAD = "upload", _("Upload in the back office")
    API = "api", _("API call")
    COMMAND = "command", _("Command line")


class ImportStatus(models.TextChoices):
    OK = "ok", _("Imported")
    REJECTED = "rejected", _("Rejected")


CLIENT_COLUMNS: tuple[str, ...] = (
    "client_id",
    "national_id",
    "first_name",
    "last_name",
    "street",
    "postal_code",
    "city",
    "phone",
    "door_code",
    "languages",
    "team",
    "start_date",
    "end_date",
)
SERVICE_COLUMNS: tuple[str, ...] = (
    "service_id",
    "service_type",
    "granted_minutes",
    "period",
    "service_from",
    "service_to",
)
CSV_COLUMNS: tuple[str, ...] = CLIENT_COLUMNS + SERVICE_COLUMNS

# Granted time cannot exceed the period it is granted for.
MAX_MINUTES_PER_PERIOD = {"day": 24 * 60, "week": 7 * 24 * 60, "month": 31 * 24 * 60}

# ISO 639-1 two-letter language codes (the 2023 list, without the withdrawn 'sh').
_ISO_639_1_TEXT = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
    kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
    sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_TEXT.split())
