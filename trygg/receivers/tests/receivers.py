"""Running a receiver for a test: its own event loop in a thread, real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from django.db import connections

from trygg.receivers.committer import GroupCommitter, IngestFunction

StartServer = Callable[[GroupCommitter], Awaitable[Any]]


@contextlib.contextmanager
def running(start: StartServer, ingest: IngestFunction | None = None) -> Iterator[Any]:
    """Start a receiver (`start(committer)` returns the server) in a thread; yield it."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        committer = GroupCommitter(ingest) if ingest is not None else GroupCommitter()
        committer.start()
        try:
            holder["server"] = await start(committer)
        except BaseException as exc:
            holder["error"] = exc
            ready.set()
            raise
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        holder["committer"] = committer
        ready.set()
        await stop.wait()
        await holder["server"].close()
        await committer.close()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test below
            holder.setdefault("error", exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="test-receiver", daemon=True)
    thread.start()
    assert ready.wait(20), "the receiver did not start"
    if "error" in holder:
        raise holder["error"]
    try:
        yield holder["server"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(20)
        assert not thread.is_alive(), "the receiver did not stop"
        if "error" in holder:
            raise holder["error"]


def tcp_exchange(port: int, data: bytes, *, answers: int = 1, timeout: float = 10.0) -> bytes:
    """Send `data` on a new TCP connection; read until `answers` frames (CR-terminated)
    have come back or the peer is silent for `timeout` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_frames(sock, answers)


def read_frames(sock: socket.socket, answers: int) -> bytes:
    received = b""
    while received.count(b"\r") < answers:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        if not chunk:
            break
        received += chunk
    return received


def udp_exchange(port: int, data: bytes, *, timeout: float = 10.0) -> bytes | None:
    """Send one datagram; the answer, or None if none came within `timeout` seconds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, ("127.0.0.1", port))
        try:
            answer, _ = sock.recvfrom(4096)
        except TimeoutError:
            return None
        return answer
