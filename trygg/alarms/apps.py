from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "trygg.alarms"
    label = "alarms"
    verbose_name = _("Alarms")

    def ready(self) -> None:
        from trygg import worker
        from trygg.core import menu, outbox
        from trygg.receivers import registry

        from . import extracts  # noqa: F401  registers the log extract's hooks and job
        from .access import answers_on_the_phone, watches_the_console
        from .demo import DEMO_BEAT_EVERY, beat_demo_alarm_units
        from .dispatch import OUTBOX_BATCH, OUTBOX_TOPICS, deliver_alarm_messages, run_dispatcher
        from .heartbeats import raise_lost_connections
        from .ingest import api_device, dc09_keys, ingest
        from .record import register_section

        # What the receivers (DC-09, SCAIP, the HTTPS device API) hand their signals to, and
        # what they need to know about alarm units before a signal reaches the ingest.
        registry.register_ingest(ingest)
        registry.register_key_loader(dc09_keys)
        registry.register_device_lookup(api_device)
        # Every second: a silent unit is raised within interval + grace + about a second
        # (plus the other jobs' run time in the same loop). An idle run is one indexed read.
        worker.register("alarms.heartbeats", every=1)(raise_lost_connections)
        # The demo's DC-09 and SCAIP units keep beating while the demo runs (nothing
        # elsewhere); by name this job runs before "alarms.heartbeats" in each pass.
        worker.register("alarms.demo_heartbeats", every=DEMO_BEAT_EVERY)(beat_demo_alarm_units)
        # New alarms are routed and announced within a fraction of a second, and escalate
        # on time: a loop of its own, woken by the ingest through the event bus.
        worker.register_loop("alarms.dispatch")(run_dispatcher)
        # That loop delivers the alarm topics of the core outbox itself; the worker's
        # `core.outbox` job leaves them alone.
        outbox.register(OUTBOX_TOPICS, deliver_alarm_messages, batch=OUTBOX_BATCH, own_loop=True)
        register_section()  # the client record's alarms
        # Those who go out get their alarms first in the menu, one tap from anywhere; those
        # who watch get the console.
        menu.register(
            "alarm_phone", _("My alarms"), "alarms:phone", position=5, shown=answers_on_the_phone
        )
        menu.register(
            "alarms", _("Alarms"), "alarms:console", position=50, shown=watches_the_console
        )
