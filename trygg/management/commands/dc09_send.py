"""`trygg dc09_send`: play an alarm unit and send one DC-09 message to a receiver.

For the welfare-technology team and the demo: check that a receiver answers, that a new
unit's account and key are right, or raise an alarm on the console without hardware::

    trygg dc09_send --account 1001 --code QA              # an alarm over TCP
    trygg dc09_send --account 1001 --null --udp           # a heartbeat over UDP
    trygg dc09_send --account 2001 --key 000102...0E0F    # encrypted
"""

from __future__ import annotations

import datetime as dt
import random
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trygg.receivers.dc09 import (
    ADM_CID,
    NULL,
    SIA_DCS,
    Dc09Error,
    SiaEvent,
    build_frame,
    format_adm_cid,
    format_sia_dcs,
    key_from_hex,
    parse_response,
)


class Command(BaseCommand):
    help = "Send one DC-09 message to a receiver, as an alarm unit does, and show the answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="The unit's account, e.g. 1001.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="Default: DC09_PORT.")
        parser.add_argument("--udp", action="store_true", help="Send over UDP, not TCP.")
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--code", default="QA", help="SIA event code (default QA, alarm).")
        what.add_argument("--cid", help="Contact ID event as qualifier+code, e.g. 1101.")
        what.add_argument("--null", action="store_true", help="A NULL (heartbeat) message.")
        parser.add_argument("--zone", default="1")
        parser.add_argument("--sequence", type=int, default=None, help="Default: random.")
        parser.add_argument("--key", default="", help="AES key in hex, to send encrypted.")
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        account: str = options["account"].upper()
        sequence = options["sequence"]
        if sequence is None:
            sequence = random.randint(1, 9999)
        if not 0 <= sequence <= 9999:
            raise CommandError("A sequence number is 0 to 9999.")
        try:
            key = key_from_hex(options["key"]) if options["key"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        now = dt.datetime.now(dt.UTC)
        if options["null"]:
            token, data = NULL, ""
        elif options["cid"]:
            cid = options["cid"]
            if len(cid) != 4 or not cid.isdigit():
                raise CommandError("--cid is a qualifier and a code, four digits: 1101.")
            token = ADM_CID
            data = format_adm_cid(cid[0], cid[1:], "01", f"{int(options['zone']):03d}", account)
        else:
            token = SIA_DCS
            data = format_sia_dcs([SiaEvent(options["code"], zone=options["zone"])], account)
        try:
            frame = build_frame(
                token,
                sequence=sequence,
                account=account,
                data=data,
                key=key,
                timestamp=now if key is not None else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        port = options["port"] or settings.DC09_PORT
        answer = self._send(frame, options["host"], port, options["udp"], options["timeout"])
        if not answer:
            raise CommandError(
                f"No answer from {options['host']}:{port} within {options['timeout']:g} s."
            )
        try:
            response = parse_response(answer, key)
        except Dc09Error as exc:
            raise CommandError(f"The answer is not DC-09: {exc}") from exc
        self.stdout.write(
            f"Sent {token} {sequence:04d} for account {account}; "
            f"the receiver answered {response.token}."
        )
        if response.token != "ACK":  # noqa: S105 - a DC-09 answer, not a password
            raise CommandError(f"Not acknowledged ({response.token}).")

    @staticmethod
    def _send(frame: bytes, host: str, port: int, udp: bool, timeout: float) -> bytes:
        try:
            if udp:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.settimeout(timeout)
                    sock.sendto(frame, (host, port))
                    return sock.recvfrom(4096)[0]
            with socket.create_connection((host, port), timeout=timeout) as sock:
                sock.sendall(frame)
                received = b""
                while not received.endswith(b"\r"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                return received
        except TimeoutError:
            return b""
        except OSError as exc:
            raise CommandError(f"Cannot reach {host}:{port}: {exc}") from exc
