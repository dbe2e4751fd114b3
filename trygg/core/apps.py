from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "trygg.core"
    label = "core"
    verbose_name = _("People and clients")

    def ready(self) -> None:
        from trygg import worker

        from . import access, menu, outbox

        menu.register(
            "clients", _("Clients"), "core:client_list", position=10, shown=access.can_open_clients
        )
        menu.register(
            "staff", _("Staff"), "core:staff_list", position=20, shown=access.can_open_clients
        )
        menu.register(
            "teams", _("Teams"), "core:team_list", position=30, shown=access.can_open_clients
        )
        menu.register(
            "providers",
            _("Providers"),
            "core:provider_list",
            position=40,
            shown=access.can_open_clients,
        )
        menu.register(
            "access_log",
            _("Access log"),
            "core:access_log",
            position=90,
            shown=access.can_review_access_log,
        )
        menu.register(
            "admin",
            _("Master data"),
            "admin:index",
            position=200,
            shown=access.can_open_master_data,
        )

        # Every outbox topic whose app has no delivery loop of its own (trygg/core/outbox.py).
        worker.register("core.outbox", every=1)(outbox.deliver_all)
        worker.register("core.outbox_prune", every=3600)(outbox.prune_delivered)
