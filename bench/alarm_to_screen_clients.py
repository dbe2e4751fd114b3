"""The alarm-to-screen benchmark's clients: consoles that log in and hold the alarm stream
open, the bus listener (PostgreSQL), and alarm units that dial in with one DC-09 frame
each. See bench/alarm_to_screen.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.alarm_to_screen_system import OPERATOR, OPERATOR_PASSWORD
from trygg.receivers.dc09 import (
    SIA_DCS,
    SiaEvent,
    build_frame,
    format_sia_dcs,
)

DRAIN_S = 15.0  # after the last ACK: how long the consoles may take to see everything


# The console: login and server-sent events ----------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(port: int) -> str:
    """Log in as the operator through the login form; the Cookie header to send."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login/")
        response = conn.getresponse()
        page = response.read().decode()
        cookies = _cookies(response)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or token is None or "csrftoken" not in cookies:
            raise SystemExit(f"GET /login/ answered {response.status} without a CSRF token")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": OPERATOR,
                "password": OPERATOR_PASSWORD,
            }
        )
        conn.request(
            "POST",
            "/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
            },
        )
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"POST /login/ answered {response.status}: not logged in")
    finally:
        conn.close()
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@dataclass
class Console:
    """One subscribed console: when each raised alarm arrived, and what else came."""

    index: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: dict[int, float] = field(default_factory=dict)  # alarm id -> time.time()
    sent: dict[int, float] = field(default_factory=dict)  # alarm id -> the server's "sent"
    twice: int = 0
    other: Counter[str] = field(default_factory=Counter)
    error: str = ""


def parse_sse(buffer: bytearray) -> list[tuple[str, str]]:
    """Take the complete events off the front of `buffer`: (event, data) pairs."""
    events = []
    while (end := buffer.find(b"\n\n")) >= 0:
        block = bytes(buffer[:end]).decode()
        del buffer[: end + 2]
        name, data = "message", []
        for line in block.split("\n"):
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data or name != "message":
            events.append((name, "\n".join(data)))
    return events


async def watch(console: Console, port: int, cookie: str) -> None:
    """Hold /alarms/stream/ open and record its events until cancelled."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"GET /alarms/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            console.error = head.split("\r\n", 1)[0]
            console.ready.set()
            return
        chunked = "transfer-encoding: chunked" in head.lower()
        buffer = bytearray()
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    break
                buffer += (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
                buffer += data
            now = time.time()
            for name, data_text in parse_sse(buffer):
                if name == "ready":
                    console.ready.set()
                elif name == "alarm":
                    event = json.loads(data_text)
                    if event.get("action") != "raised":
                        console.other[str(event.get("action"))] += 1
                    elif event["alarm"] in console.arrived:
                        console.twice += 1
                    else:
                        console.arrived[event["alarm"]] = now
                        console.sent[event["alarm"]] = float(event["sent"])
                else:
                    console.other[name] += 1
        console.error = console.error or "stream ended"
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        console.error = f"connection lost ({type(exc).__name__})"
    finally:
        console.ready.set()
        writer.close()


async def listen_bus(heard: dict[int, float], ready: asyncio.Event) -> None:
    """On PostgreSQL: LISTEN beside the Trygg processes and note when each alarm's "raised"
    notification arrives, i.e. when the dispatcher's transaction committed."""
    import psycopg
    from django.conf import settings

    from trygg.core.events import PG_CHANNEL

    params = settings.DATABASES["default"]
    conninfo: dict[str, Any] = {
        "dbname": params["NAME"],
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
    }
    given: dict[str, Any] = {k: v for k, v in conninfo.items() if v is not None}
    connection = await psycopg.AsyncConnection.connect(**given, autocommit=True)
    try:
        await connection.execute(f"LISTEN {PG_CHANNEL}")
        ready.set()
        async for notify in connection.notifies():
            now = time.time()
            data = json.loads(notify.payload).get("d", {})
            if data.get("action") == "raised":
                heard.setdefault(int(data["alarm"]), now)
    finally:
        ready.set()
        await connection.close()


# The alarm units ------------------------------------------------------------------------


def make_frame(account: str, zone: int) -> bytes:
    """A unit's emergency alarm (SIA-DCS QA) in zone `zone`, its sequence from the zone."""
    data = format_sia_dcs([SiaEvent("QA", zone=str(zone), area="1")], account=account)
    return build_frame(
        SIA_DCS,
        sequence=(zone - 1) % 9999 + 1,
        account=account,
        receiver="1",
        line_prefix="1",
        data=data,
        timestamp=dt.datetime.now(dt.UTC).replace(microsecond=0),
    )


@dataclass
class Sent:
    account: str
    zone: int
    measured: bool  # after the warm-up
    acked_at: float | None = None  # time.time() when the ACK arrived
    answer: str = ""


async def send_alarm(port: int, alarm: Sent) -> None:
    """Dial in, send one frame, wait for its ACK, hang up: as a unit reporting one event."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        alarm.answer = f"connect failed ({type(exc).__name__})"
        return
    try:
        writer.write(make_frame(alarm.account, alarm.zone))
        answer = await asyncio.wait_for(reader.readuntil(b"\r"), DRAIN_S)
        if b'"ACK"' in answer:
            alarm.acked_at = time.time()
        else:
            alarm.answer = answer[answer.find(b'"') : answer.find(b'"', 8) + 1].decode()
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
        alarm.answer = type(exc).__name__
    finally:
        writer.close()
