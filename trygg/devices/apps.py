from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "trygg.devices"
    label = "devices"
    verbose_name = _("Devices")

    def ready(self) -> None:
        from trygg.core import menu

        from .access import can_open_phones
        from .record import register_section

        register_section()  # the client record's devices

        menu.register(
            "phones", _("Phones"), "devices:phone_list", position=60, shown=can_open_phones
        )
