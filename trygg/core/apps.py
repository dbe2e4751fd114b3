from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "trygg.core"
    label = "core"
    verbose_name = _("People and clients")

    def ready(self) -> None:
        from trygg import worker

        from . import outbox

        # Every outbox topic whose app has no delivery loop of its own (trygg/core/outbox.py).
        worker.register("core.outbox", every=1)(outbox.deliver_all)
        worker.register("core.outbox_prune", every=3600)(outbox.prune_delivered)
