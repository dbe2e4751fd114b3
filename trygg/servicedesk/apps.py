from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServicedeskConfig(AppConfig):
    name = "trygg.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from trygg.core import menu, record
        from trygg.core.models import Municipality

        from . import phones  # noqa: F401  (registers the phone order's hooks)
        from .access import can_open_orders
        from .record import register_section

        register_section()  # the client record's orders
        # An order opened on its own page is logged as shown under "order".
        record.register_log_title("order", pgettext_lazy("a service-desk order", "Order"))

        menu.register(
            "orders", _("Orders"), "servicedesk:order_list", position=70, shown=can_open_orders
        )

        post_save.connect(
            _default_catalogue_for_new_municipality,
            sender=Municipality,
            dispatch_uid="servicedesk.default_catalogue",
        )


def _default_catalogue_for_new_municipality(
    sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """A new Swedish municipality can order from the start: the default catalogue is made
    with it. (Its names and forms are Swedish; a Norwegian catalogue is made in the admin.)"""
    from trygg.core.constants import Country

    from .catalogue import ensure_default_catalogue

    if created and not raw and instance.country == Country.SWEDEN:
        ensure_default_catalogue(instance)
