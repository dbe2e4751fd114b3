from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "trygg.sensors"
    label = "sensors"
    verbose_name = _("Infrared camera sensors")

    def ready(self) -> None:
        from trygg import worker
        from trygg.alarms import event_names
        from trygg.core import menu, record

        from .access import can_open_sensors
        from .constants import SensorEventKind, alarm_code
        from .demo import DEMO_BEAT_EVERY, beat_demo_cameras
        from .record import register_section

        # The alarms the cameras raise are named on the console and the phones by the event
        # ("Fall (infraröd kamera)"), never by Trygg's code.
        for kind in SensorEventKind:
            event_names.register_code(alarm_code(kind.value), _LABELS[kind.value])
        register_section()
        # A rule opened on its own page (and the sensors page's rules) are logged under this.
        record.register_log_title("sensor_rules", _("Alarm rules"))
        # The demo's cameras keep beating while the demo runs (nothing elsewhere).
        worker.register("sensors.demo_heartbeats", every=DEMO_BEAT_EVERY)(beat_demo_cameras)
        menu.register(
            "sensors", _("Sensors"), "sensors:events", position=55, shown=can_open_sensors
        )


_LABELS = {
    "fall": _("Fall (infrared camera)"),
    "sitting_up": _("Sitting up in bed (infrared camera)"),
    "left_bed": _("Left the bed (infrared camera)"),
    "not_back_in_bed": _("Not back in bed (infrared camera)"),
    "left_room": _("Left the room (infrared camera)"),
    "bathroom_too_long": _("Too long in the bathroom (infrared camera)"),
    "no_movement": _("No movement (infrared camera)"),
    "connection_lost": _("Sensor lost its connection (infrared camera)"),
    "covered": _("Camera covered or unplugged (infrared camera)"),
}
