"""The camera adapter: what Trygg asks a camera for one session, and the simulated camera.

A session's picture goes from the camera to the viewer: an adapter returns either a link
to the camera's own viewer, valid for that one session, or a snapshot Trygg passes on
without keeping it. Nothing is recorded or stored. A real vendor's adapter registers
itself for the camera's model name (`register`); every other camera is the simulated one,
which draws a picture per session (the room, the time, the session's end), so the demo and
the tests need no camera at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape

from trygg.devices.models import AlarmUnit


@dataclass(frozen=True)
class View:
    """What the viewer is shown for one session: a link to open, or a picture."""

    url: str = ""
    content: bytes = b""
    content_type: str = ""


class CameraAdapter(Protocol):
    def view(
        self, camera: AlarmUnit, session_id: int, moment: dt.datetime, ends_at: dt.datetime
    ) -> View: ...


class SimulatedCamera:
    """A camera that draws its picture: a dim bedroom with a figure in the bed (or not, one
    night in a while), the camera's clock and when the session closes."""

    def view(
        self, camera: AlarmUnit, session_id: int, moment: dt.datetime, ends_at: dt.datetime
    ) -> View:
        zone = camera.municipality.zone
        local = moment.astimezone(zone)
        closes = ends_at.astimezone(zone)
        seed = hashlib.sha256(f"{camera.serial_number}:{session_id}".encode()).digest()
        in_bed = seed[0] % 8 != 0  # now and then the bed is empty: the client is up
        shift = seed[1] % 30
        figure = (
            f'<ellipse cx="{330 + shift}" cy="205" rx="95" ry="28" fill="#5d6f86"/>'
            f'<circle cx="{232 + shift}" cy="196" r="20" fill="#8b9bb0"/>'
            if in_bed
            else ""
        )
        label = escape(f"{camera.model_name} {camera.serial_number}")
        size = 'viewBox="0 0 640 360" width="640" height="360"'
        mono = 'font-family="monospace"'
        svg = f"""<svg xmlns="http://www.w3.org/2000/svg" {size}>
<rect width="640" height="360" fill="#1d2530"/>
<rect x="40" y="60" width="120" height="90" fill="#2a3544" stroke="#3c4a5c"/>
<rect x="190" y="170" width="330" height="90" rx="8" fill="#3a4657"/>
<rect x="190" y="160" width="70" height="40" rx="6" fill="#4a5869"/>
{figure}
<rect x="540" y="200" width="60" height="60" fill="#2f3a49"/>
<text x="16" y="28" fill="#d7e3f2" {mono} font-size="18">{local:%Y-%m-%d %H:%M:%S}</text>
<text x="16" y="344" fill="#9fb1c7" {mono} font-size="14">{label} · IR · {session_id} · \
→ {closes:%H:%M:%S}</text>
</svg>"""
        return View(content=svg.encode(), content_type="image/svg+xml")


_adapters: dict[str, CameraAdapter] = {}
_SIMULATED = SimulatedCamera()


def register(model_name: str, adapter: CameraAdapter) -> None:
    """Use `adapter` for cameras of this model (again on a reload: the last one wins)."""
    _adapters[model_name.casefold()] = adapter


def adapter_for(camera: AlarmUnit) -> CameraAdapter:
    return _adapters.get(camera.model_name.casefold(), _SIMULATED)
