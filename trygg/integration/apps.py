from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "trygg.integration"
    label = "integration"
    verbose_name = _("Case-system integration")

    def ready(self) -> None:
        from trygg.core import menu

        from .access import can_import

        menu.register("import", _("Import"), "integration:import", position=80, shown=can_import)
