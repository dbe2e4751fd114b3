from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "trygg.support"
    label = "support"
    verbose_name = _("Support and service catalogue")

    def ready(self) -> None:
        from trygg.core import menu

        # "Who do I call now?" is for everyone with a login (support/access.py).
        menu.register("support", _("Support"), "support:who_to_call", position=100)
