from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "trygg.supervision"
    label = "supervision"
    verbose_name = _("Night supervision")

    def ready(self) -> None:
        from trygg.alarms import event_names
        from trygg.core import menu, record

        from . import access, schedule  # noqa: F401  (schedule registers the worker's jobs)
        from .constants import CODE_MISSED, CODE_NOT_SEEN
        from .orders import register_hooks
        from .record import register_section

        register_hooks()
        register_section()
        # A look-in through the camera is logged as shown under this.
        record.register_log_title("camera_session", _("Camera session"))
        event_names.register_code(CODE_MISSED, _("Look-in not done in its window"))
        event_names.register_code(CODE_NOT_SEEN, _("Look-in: the client needs a visit"))
        # Night staff open their round first, next to "My alarms".
        menu.register(
            "night_round",
            _("Night round"),
            "supervision:round",
            position=5,
            shown=access.is_night_staff,
        )
        menu.register(
            "supervision",
            _("Night supervision"),
            "supervision:plans",
            position=36,
            shown=access.can_open_plans,
        )
        menu.register(
            "supervision_report",
            _("Look-in report"),
            "supervision:report",
            position=86,
            shown=access.can_open_reports,
        )
