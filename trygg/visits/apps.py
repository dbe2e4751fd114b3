from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "trygg.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from trygg.core import menu

        from . import access

        menu.register(
            "my_visits", _("My visits"), "visits:mine", position=7, shown=access.has_own_visits
        )
        menu.register(
            "visit_office",
            _("Visits"),
            "visits:list",
            position=35,
            shown=access.leads_visits,
        )
        menu.register(
            "billing",
            _("Billing basis"),
            "visits:billing",
            position=85,
            shown=access.opens_billing,
        )
