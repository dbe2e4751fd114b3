"""What an infrared camera sensor (RoomMate type) reports, and how each report becomes an
alarm when a rule asks for one."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

# A camera's clock may run a little ahead of the server's; further ahead, the event is
# refused: its time cannot be trusted, and ordering by it would put it before real ones.
CLOCK_AHEAD = dt.timedelta(minutes=5)
# An event that arrives later than this after it happened (a camera that was offline and
# sends its buffer) is recorded, not raised: nobody can act on a night-old "left bed", and
# the lost connection meanwhile was raised by heartbeat supervision.
RAISE_WITHIN = dt.timedelta(hours=2)
MAX_EVENTS = 200
# How long the events pages look back by default.
RECENT_DAYS = 14


class SensorEventKind(models.TextChoices):
    FALL = "fall", _("Fall")
    SITTING_UP = "sitting_up", _("Sitting up in bed")
    LEFT_BED = "left_bed", _("Left the bed")
    NOT_BACK_IN_BED = "not_back_in_bed", _("Not back in bed")
    LEFT_ROOM = "left_room", _("Left the room")
    BATHROOM_TOO_LONG = "bathroom_too_long", _("Too long in the bathroom")
    NO_MOVEMENT = "no_movement", _("No movement")
    CONNECTION_LOST = "connection_lost", _("Sensor lost its connection")
    COVERED = "covered", _("Camera covered or unplugged")


# The sensor's own reports about itself: technical alarms for the welfare-technology team,
# the rest are about the client (care alarms for the night staff).
TECHNICAL_KINDS = frozenset({SensorEventKind.CONNECTION_LOST, SensorEventKind.COVERED})
# Kinds whose event says after how many minutes the camera reported it.
TIMED_KINDS = frozenset(
    {
        SensorEventKind.NOT_BACK_IN_BED,
        SensorEventKind.BATHROOM_TOO_LONG,
        SensorEventKind.NO_MOVEMENT,
    }
)


def alarm_code(kind: str) -> str:
    """Trygg's own alarm code for a sensor event kind (`alarms.event_names`)."""
    return f"sensor_{kind}"


class Outcome(StrEnum):
    """What became of one event a camera sent."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
