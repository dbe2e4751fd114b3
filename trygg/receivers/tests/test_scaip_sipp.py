"""Against a SIP implementation we did not write: SIPp (Debian's sip-tester) plays the alarm
unit with `sipp/alarm_unit.xml`, one call per line of `sipp/alarm_unit.csv`, over UDP and
over TCP, against the receiver on a free loopback port. SIPp checks the 200 OK and the <mrs>
(Content-Type, reference, status number) and exits 0 only if every call passed; the test then
checks what was stored."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from trygg.alarms.models import Alarm, Signal
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.devices.tests.places import Place
from trygg.receivers.committer import GroupCommitter
from trygg.receivers.scaip_server import start_scaip_server

SCENARIO = Path(__file__).parent / "sipp" / "alarm_unit.xml"
CALLS = Path(__file__).parent / "sipp" / "alarm_unit.csv"
SIPP_TIMEOUT = 60


def sipp_binary() -> str:
    # Not a skip: under CI=true a skip fails the run anyway, and a missing tool should say
    # how to get it.
    path = shutil.which("sipp")
    if path is None:
        pytest.fail(
            "sipp is not installed: apt-get install -y sip-tester "
            "(scripts/system-deps.sh installs it)",
            pytrace=False,
        )
    return path


async def play(sipp: str, transport: str, workdir: Path) -> tuple[int, str]:
    """Run the scenario against a receiver on a free port; SIPp's exit code and output."""
    committer = GroupCommitter()
    committer.start()
    server = await start_scaip_server(committer, port=0)
    port = server.udp_port if transport == "u1" else server.tcp_port
    errors = workdir / "errors.log"
    try:
        process = await asyncio.create_subprocess_exec(
            sipp,
            f"127.0.0.1:{port}",
            "-sf",
            str(SCENARIO),
            "-inf",
            str(CALLS),
            "-s",
            "alarm",
            "-t",
            transport,
            "-i",
            "127.0.0.1",
            "-m",
            str(len(CALLS.read_text().splitlines()) - 1),
            "-timeout",
            str(SIPP_TIMEOUT),
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            "-error_file",
            str(errors),
            "-trace_logs",
            "-log_file",
            str(workdir / "calls.log"),
            cwd=workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), SIPP_TIMEOUT + 10)
    finally:
        await server.close()
        await committer.close()
    text = output.decode("utf-8", "replace")
    for log in (errors, workdir / "calls.log"):
        if log.exists():
            text += f"\n--- {log.name} ---\n" + log.read_text("utf-8", "replace")
    assert process.returncode is not None
    return process.returncode, text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
def test_sipp_as_the_alarm_unit(place: Place, transport: str, tmp_path: Path) -> None:
    sipp = sipp_binary()
    button = place.unit("26317", protocol=AlarmProtocol.SCAIP)
    fall = place.unit("10149471", protocol=AlarmProtocol.SCAIP)

    returncode, output = asyncio.run(play(sipp, transport, tmp_path))

    assert returncode == 0, output[-6000:]
    # Five calls: an alarm, a heartbeat (not stored), a fall alarm, a reset, and one
    # without <dty> (answered with status 7, not stored).
    assert Signal.objects.count() == 3
    kinds = sorted(Alarm.objects.values_list("unit__scaip_controller_id", "kind", "code"))
    assert kinds == [
        ("10149471", "alarm", "0009"),
        ("10149471", "restore", "0093"),
        ("26317", "alarm", "0010"),
    ]
    for unit in (button, fall):
        unit = AlarmUnit.objects.get(pk=unit.pk)
        assert unit.supervision_due_at is not None
