from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "trygg.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from trygg.core import menu

        from .access import shown_in_menu

        # The municipality's trainers, and every provider's staff (their managers see the
        # provider, everyone else their own training).
        menu.register("training", _("Training"), "training:index", position=95, shown=shown_in_menu)
