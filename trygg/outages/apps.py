from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    name = "trygg.outages"
    label = "outages"
    verbose_name = _("Outages")

    def ready(self) -> None:
        from trygg.core import menu

        from .access import can_plan

        # The outage list for those who plan outages; the status page for everyone.
        menu.register("outages", _("Outages"), "outages:list", position=110, shown=can_plan)
        menu.register("status", _("Status"), "outages:status", position=120)
