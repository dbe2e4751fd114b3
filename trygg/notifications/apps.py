from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "trygg.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from trygg import worker

        from .services import send_pending_emails

        worker.register("notifications.email", every=60)(send_pending_emails)
