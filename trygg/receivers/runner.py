"""Running the alarm receivers: alone (`trygg receive`) or beside the web app (`trygg serve`).

The receivers of one process share one event loop and one `GroupCommitter`, so DC-09 and
SCAIP frames that arrive together are committed together. Any number of such processes can
run against one PostgreSQL: the ingest locks each unit's row, so two processes given the
same retransmitted frame store it once.

Stopping (SIGTERM, SIGINT, or the web app shutting down): the listening sockets close, the
batch being committed is finished and answered, and what had not reached the database yet
is left unanswered, so the units send it again to whichever receiver is up.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

from .committer import GroupCommitter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceiverOptions:
    """Where the receivers listen; a port of None leaves that receiver out."""

    host: str = "127.0.0.1"
    dc09_port: int | None = 7100
    scaip_port: int | None = 5060
    municipality_id: int | None = None

    @classmethod
    def from_settings(cls, **overrides: Any) -> ReceiverOptions:
        values: dict[str, Any] = {
            "host": settings.RECEIVER_HOST,
            "dc09_port": settings.DC09_PORT,
            "scaip_port": settings.SCAIP_PORT,
            "municipality_id": settings.RECEIVER_MUNICIPALITY_ID,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


async def serve(
    options: ReceiverOptions,
    stop: asyncio.Event,
    listening_callback: Callable[[list[str]], None] | None = None,
) -> list[str]:
    """Run the receivers until `stop` is set; `listening_callback` is told once every
    socket listens. Returns what listened, for the log."""
    committer = GroupCommitter()
    committer.start()
    servers: list[Any] = []
    listening: list[str] = []
    try:
        if options.dc09_port is not None:
            from .dc09_server import start_dc09_server

            dc09 = await start_dc09_server(
                committer,
                host=options.host,
                port=options.dc09_port,
                municipality_id=options.municipality_id,
            )
            servers.append(dc09)
            listening.append(f"DC-09 on {options.host} TCP {dc09.tcp_port}, UDP {dc09.udp_port}")
        if options.scaip_port is not None:
            from .scaip_server import start_scaip_server

            scaip = await start_scaip_server(
                committer,
                host=options.host,
                port=options.scaip_port,
                municipality_id=options.municipality_id,
            )
            servers.append(scaip)
            listening.append(f"SCAIP on {options.host} UDP {scaip.udp_port}, TCP {scaip.tcp_port}")
        for line in listening:
            logger.info("Alarm receiver listening: %s", line)
        if listening_callback is not None:
            listening_callback(listening)
        await stop.wait()
    finally:
        for server in reversed(servers):
            await server.close()
        await committer.close()
    return listening


def run(options: ReceiverOptions) -> None:
    """`trygg receive`: run in the foreground until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(options, stop)

    asyncio.run(main())
    logger.info("Alarm receivers stopped")


class ReceiverThread:
    """The receivers in a thread of their own beside the web app (`trygg serve`)."""

    def __init__(self, options: ReceiverOptions) -> None:
        self.options = options
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.listening: list[str] = []
        self._thread = threading.Thread(target=self._main, name="trygg-receivers", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start and wait until the sockets listen; raises what stopped them from it."""
        self._thread.start()
        self._ready.wait(timeout)
        if self.error is not None:
            raise self.error

    def stop(self, timeout: float = 15.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _listening(self, listening: list[str]) -> None:
        self.listening = listening
        self._ready.set()

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.options, self._stop, self._listening)

        try:
            asyncio.run(main())
        except BaseException as exc:
            self.error = exc
            logger.exception("The alarm receivers stopped with an error")
        finally:
            self._ready.set()  # a bind failure: start() raises it
            connections.close_all()
