"""`trygg sensors simulate|token`: infrared cameras from the command line.

- `token --municipality CODE --camera SERIAL [--rotate]`: the camera's device token,
  printed once.
- `simulate --url URL [--municipality CODE] [--camera SERIAL ...] [--speed N]`: plays a
  night for each camera (default: every infrared camera placed now) through the real
  endpoint with each camera's own token (rotated for the run), with heartbeats; `--speed`
  compresses time (60: a minute a second); `--now` sends every event at once, timed over
  the last hours.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind
from trygg.devices.services import issue_device_token
from trygg.sensors.simulator import Played, SimulatedCamera, night


class Command(BaseCommand):
    help = "Infrared camera sensors: device tokens and the night simulator."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        token = actions.add_parser("token", help="Create a camera's device token, printed once.")
        token.add_argument("--municipality", required=True, help="Municipality code.")
        token.add_argument("--camera", required=True, metavar="SERIAL")
        token.add_argument("--rotate", action="store_true", help="Replace a live token.")
        simulate = actions.add_parser("simulate", help="Play a night through the camera API.")
        simulate.add_argument("--url", default="http://127.0.0.1:8000")
        simulate.add_argument("--municipality", help="Municipality code.")
        simulate.add_argument("--camera", action="append", metavar="SERIAL", default=[])
        simulate.add_argument("--speed", type=float, default=60.0)
        simulate.add_argument("--now", action="store_true", help="Send the night at once.")
        simulate.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "token":
            camera = self._cameras(options["municipality"], [options["camera"]])[0]
            _token, plain = issue_device_token(None, camera, rotate=options["rotate"])
            self.stdout.write(plain)
            return
        cameras = self._cameras(options["municipality"], options["camera"])
        rng = random.Random(options["seed"])
        players = []
        for camera in cameras:
            _token, plain = issue_device_token(None, camera, rotate=True)
            players.append((camera, SimulatedCamera(options["url"], plain)))
        if options["now"]:
            start = timezone.now() - dt.timedelta(hours=1, minutes=45)
            for camera, player in players:
                played = list(night(start, rng, hours=1.75))
                player.heartbeat()
                if played:
                    answer = player.send(played)
                    self.stdout.write(
                        f"{camera.serial_number}: {answer['stored']} stored, "
                        f"{sum(r['alarm'] for r in answer['results'])} alarms"
                    )
            return
        self._play(players, rng, options["speed"])

    def _play(
        self, players: list[tuple[AlarmUnit, SimulatedCamera]], rng: random.Random, speed: float
    ) -> None:
        begun = timezone.now()
        queue: list[tuple[dt.datetime, AlarmUnit, SimulatedCamera, Played]] = []
        for camera, player in players:
            for played in night(begun, rng):
                queue.append((played.at, camera, player, played))
        queue.sort(key=lambda item: item[0])
        last_beat = time.monotonic()
        for at, camera, player, played in queue:
            delay = (at - begun).total_seconds() / speed
            while (begun + dt.timedelta(seconds=delay)) > timezone.now():
                time.sleep(min(1.0, delay))
                if time.monotonic() - last_beat > 60:
                    for _camera, beat in players:
                        beat.heartbeat()
                    last_beat = time.monotonic()
            sent = Played(played.kind, timezone.now(), played.minutes, played.room)
            answer = player.send([sent])
            self.stdout.write(
                f"{timezone.localtime():%H:%M:%S} {camera.serial_number} {played.kind}: "
                f"{answer['results'][0]['outcome']}"
                + (" (alarm)" if answer["results"][0]["alarm"] else "")
            )

    def _cameras(self, municipality: str | None, serials: list[str]) -> list[AlarmUnit]:
        cameras = AlarmUnit.objects.filter(kind=AlarmUnitKind.INFRARED_CAMERA).select_related(
            "municipality"
        )
        if municipality:
            cameras = cameras.filter(municipality__code=municipality)
        if serials:
            cameras = cameras.filter(serial_number__in=serials)
        else:
            placed = AlarmPlacement.objects.active_on(timezone.localdate()).values("unit")
            cameras = cameras.filter(pk__in=placed)
        found = list(cameras.order_by("serial_number"))
        if not found:
            raise CommandError("No such infrared camera.")
        return found
