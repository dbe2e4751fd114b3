from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "trygg.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from trygg.alarms import links as alarm_links
        from trygg.core import menu
        from trygg.devices.tags import places_tags

        from . import access
        from .access import registers_visits
        from .phone import alarm_visit_url, registers_alarm_visit
        from .record import register_section
        from .tag_orders import register_hooks

        # Next to "My alarms": the phone pages of those who go out to the clients.
        menu.register(
            "visit_phone", _("Register visits"), "visits:phone", position=6, shown=registers_visits
        )
        # An alarm the person took on the alarm phone: the visit it led to, one tap away.
        alarm_links.register(
            "visit", _("Register visit"), url=alarm_visit_url, shown=registers_alarm_visit
        )
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
        # Next to "Phones": the tags at the clients' doors that prove the visits.
        menu.register("tags", _("NFC tags"), "visits:tags", position=62, shown=places_tags)
        register_section()  # the client record's tags
        register_hooks()  # the NFC-tag order ends with its tags registered
