from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "trygg.alarms"
    label = "alarms"
    verbose_name = _("Alarms")

    def ready(self) -> None:
        from trygg import worker

        from .supervision import raise_lost_connections

        # Every second: a silent unit is raised within interval + grace + about a second
        # (plus the other jobs' run time in the same loop). An idle run is one indexed read.
        worker.register("alarms.supervision", every=1)(raise_lost_connections)
