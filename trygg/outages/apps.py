from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    name = "trygg.outages"
    label = "outages"
    verbose_name = _("Outages")
