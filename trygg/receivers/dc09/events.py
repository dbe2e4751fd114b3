"""What SIA and Contact ID event codes mean to Trygg, as data.

Sources for the codes: the SIA DC-03 event code list (as carried, with descriptions, in
pysiaalarm's `data/sia_codes.py`) and the Ademco Contact ID code list (SIA DC-05; e.g. the
tables in homebridge-envisalink-ademco `cid.js`). Only codes with a Trygg meaning are
listed; any other code is kind OTHER (stored and shown, never dropped).

Codes that are specific to social alarms (trygghetslarm / trygghetsalarm) are marked
`social=True`:

- SIA MA "Medical alarm" and QA "Emergency alarm": the pendant or "Help" button of a safety
  alarm; units also use them for fall detectors.
- SIA NA "No activity": an inactivity alarm (no movement for a programmed time).
- CID 100 "Medical" and 101 "Personal emergency": the pendant and "Help" button; fall
  detectors report one of them on their own zone.
- CID 102 "Fail to report in": the client did not check in. Some vendors (Climax/Vesta)
  send 102 for "Fall detected"; both need a responder, so it is an alarm.
- CID 641 "Senior watch trouble": inactivity; also an alarm for home care.

Contact ID restores are the qualifier (3), not a code: a restore of an alarm, fire or
technical code becomes kind RESTORE with `restores` naming what ended. SIA has separate
restore codes (MH, YR, AR, TR, ...), listed here with the same `restores`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class EventKind(StrEnum):
    """What an event means to Trygg."""

    ALARM = "alarm"  # someone needs help: personal emergency, medical, panic, inactivity
    FIRE = "fire"
    TECHNICAL = "technical"  # the unit or a sensor needs attention (see Technical)
    TEST = "test"  # periodic or manual test report
    RESTORE = "restore"  # a condition reported before has ended
    HEARTBEAT = "heartbeat"  # DC-09 NULL message (link supervision)
    OTHER = "other"


class Technical(StrEnum):
    """The technical faults Trygg tells apart."""

    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    MAINS_LOSS = "mains_loss"


@dataclass(frozen=True, slots=True)
class Meaning:
    """What one event code means."""

    kind: EventKind
    label: str
    technical: Technical | None = None
    restores: EventKind | None = None  # for RESTORE: the kind of condition that ended
    social: bool = False  # a code specific to social alarms

    @property
    def flat_kind(self) -> str:
        """One word: the technical fault for TECHNICAL with a known fault, else the kind.

        The same vocabulary as the SCAIP receiver's EventKind (alarm, heartbeat, test,
        low_battery, tamper, mains_loss, restore, other), plus fire and technical.
        """
        if self.kind is EventKind.TECHNICAL and self.technical is not None:
            return self.technical.value
        return self.kind.value


A = EventKind.ALARM
F = EventKind.FIRE
T = EventKind.TECHNICAL
R = EventKind.RESTORE
BAT, TAMP, MAINS = Technical.LOW_BATTERY, Technical.TAMPER, Technical.MAINS_LOSS

HEARTBEAT = Meaning(EventKind.HEARTBEAT, "Link test (NULL message)")

# SIA DC-03 two-letter codes.
SIA_CODES: dict[str, Meaning] = {
    # alarms
    "MA": Meaning(A, "Medical alarm", social=True),
    "QA": Meaning(A, "Emergency alarm", social=True),
    "NA": Meaning(A, "No activity (inactivity)", social=True),
    "PA": Meaning(A, "Panic alarm"),
    "HA": Meaning(A, "Holdup (duress) alarm"),
    "UA": Meaning(A, "Untyped zone alarm"),
    "BA": Meaning(A, "Burglary alarm"),
    "BV": Meaning(A, "Burglary verified"),
    "GA": Meaning(A, "Gas alarm"),
    "WA": Meaning(A, "Water alarm"),
    "ZA": Meaning(A, "Freeze alarm"),
    # fire
    "FA": Meaning(F, "Fire alarm"),
    "FM": Meaning(F, "Fire alarm, cross point"),
    "KA": Meaning(F, "Heat alarm"),
    "SA": Meaning(F, "Sprinkler alarm"),
    # technical: low battery
    "YT": Meaning(T, "System battery trouble", BAT),
    "XT": Meaning(T, "Transmitter battery trouble", BAT),
    "YM": Meaning(T, "System battery missing", BAT),
    # technical: tamper
    "TA": Meaning(T, "Tamper alarm", TAMP),
    "TT": Meaning(T, "Tamper trouble", TAMP),
    "ES": Meaning(T, "Expansion device tamper", TAMP),
    "XS": Meaning(T, "RF receiver tamper", TAMP),
    # technical: mains
    "AT": Meaning(T, "AC (mains) trouble", MAINS),
    # technical: other faults
    "YP": Meaning(T, "Power supply trouble"),
    "YC": Meaning(T, "Communications fail"),
    "YS": Meaning(T, "Communications trouble"),
    "LT": Meaning(T, "Phone line trouble"),
    "NT": Meaning(T, "Network failure"),
    "ET": Meaning(T, "Expansion trouble"),
    "EM": Meaning(T, "Expansion device missing"),
    "XQ": Meaning(T, "RF interference"),
    "XL": Meaning(T, "Low received signal strength"),
    "UY": Meaning(T, "Untyped missing trouble"),
    "UT": Meaning(T, "Untyped zone trouble"),
    "MT": Meaning(T, "Medical zone trouble"),
    "QT": Meaning(T, "Emergency zone trouble"),
    "PT": Meaning(T, "Panic zone trouble"),
    "FT": Meaning(T, "Fire trouble"),
    "IA": Meaning(T, "Equipment failure"),
    "YX": Meaning(T, "Service required"),
    # tests
    "RP": Meaning(EventKind.TEST, "Automatic test"),
    "RX": Meaning(EventKind.TEST, "Manual test"),
    "TX": Meaning(EventKind.TEST, "Test report"),
    "RY": Meaning(EventKind.TEST, "Test off normal"),
    # restores
    "MH": Meaning(R, "Medical alarm restore", restores=A, social=True),
    "MR": Meaning(R, "Medical restoral", restores=A, social=True),
    "QH": Meaning(R, "Emergency alarm restore", restores=A, social=True),
    "QR": Meaning(R, "Emergency restoral", restores=A, social=True),
    "NS": Meaning(R, "Activity resumed", restores=A, social=True),
    "PH": Meaning(R, "Panic alarm restore", restores=A),
    "PR": Meaning(R, "Panic restoral", restores=A),
    "HH": Meaning(R, "Holdup alarm restore", restores=A),
    "HR": Meaning(R, "Holdup restoral", restores=A),
    "UH": Meaning(R, "Untyped alarm restore", restores=A),
    "UR": Meaning(R, "Untyped zone restoral", restores=A),
    "BH": Meaning(R, "Burglary alarm restore", restores=A),
    "BR": Meaning(R, "Burglary restoral", restores=A),
    "GH": Meaning(R, "Gas alarm restore", restores=A),
    "GR": Meaning(R, "Gas restoral", restores=A),
    "WH": Meaning(R, "Water alarm restore", restores=A),
    "WR": Meaning(R, "Water restoral", restores=A),
    "ZH": Meaning(R, "Freeze alarm restore", restores=A),
    "ZR": Meaning(R, "Freeze restoral", restores=A),
    "FH": Meaning(R, "Fire alarm restore", restores=F),
    "FR": Meaning(R, "Fire restoral", restores=F),
    "KH": Meaning(R, "Heat alarm restore", restores=F),
    "KR": Meaning(R, "Heat restoral", restores=F),
    "SH": Meaning(R, "Sprinkler alarm restore", restores=F),
    "SR": Meaning(R, "Sprinkler restoral", restores=F),
    "YR": Meaning(R, "System battery restoral", BAT, restores=T),
    "XR": Meaning(R, "Transmitter battery restoral", BAT, restores=T),
    "TR": Meaning(R, "Tamper restoral", TAMP, restores=T),
    "TH": Meaning(R, "Tamper alarm restore", TAMP, restores=T),
    "TJ": Meaning(R, "Tamper trouble restore", TAMP, restores=T),
    "EJ": Meaning(R, "Expansion tamper restore", TAMP, restores=T),
    "XJ": Meaning(R, "RF receiver tamper restoral", TAMP, restores=T),
    "AR": Meaning(R, "AC (mains) restoral", MAINS, restores=T),
    "YQ": Meaning(R, "Power supply restored", restores=T),
    "YK": Meaning(R, "Communications restoral", restores=T),
    "LR": Meaning(R, "Phone line restoral", restores=T),
    "NR": Meaning(R, "Network restoral", restores=T),
    "ER": Meaning(R, "Expansion restoral", restores=T),
    "EN": Meaning(R, "Expansion missing restore", restores=T),
    "XH": Meaning(R, "RF interference restoral", restores=T),
    "UJ": Meaning(R, "Untyped trouble restore", restores=T),
    "MJ": Meaning(R, "Medical trouble restore", restores=T),
    "QJ": Meaning(R, "Emergency trouble restore", restores=T),
    "PJ": Meaning(R, "Panic trouble restore", restores=T),
    "FJ": Meaning(R, "Fire trouble restore", restores=T),
    "IR": Meaning(R, "Equipment fail restoral", restores=T),
}

# Contact ID three-digit event codes, for qualifier 1 (new event) and 6 (still present).
CID_CODES: dict[str, Meaning] = {
    "100": Meaning(A, "Medical", social=True),
    "101": Meaning(A, "Personal emergency", social=True),
    "102": Meaning(A, "Fail to report in", social=True),
    "641": Meaning(A, "Senior watch trouble (inactivity)", social=True),
    "120": Meaning(A, "Panic"),
    "121": Meaning(A, "Duress"),
    "122": Meaning(A, "Silent panic"),
    "123": Meaning(A, "Audible panic"),
    "124": Meaning(A, "Duress, access granted"),
    "125": Meaning(A, "Duress, egress granted"),
    "130": Meaning(A, "Burglary"),
    "131": Meaning(A, "Perimeter"),
    "132": Meaning(A, "Interior"),
    "133": Meaning(A, "24 hour"),
    "134": Meaning(A, "Entry/exit"),
    "135": Meaning(A, "Day/night"),
    "136": Meaning(A, "Outdoor"),
    "139": Meaning(A, "Intrusion verifier"),
    "140": Meaning(A, "General alarm"),
    "146": Meaning(A, "Silent burglary"),
    "150": Meaning(A, "24 hour non-burglary"),
    "151": Meaning(A, "Gas detected"),
    "154": Meaning(A, "Water leakage"),
    "158": Meaning(A, "High temperature"),
    "159": Meaning(A, "Low temperature"),
    "162": Meaning(A, "Carbon monoxide detected"),
    "110": Meaning(F, "Fire"),
    "111": Meaning(F, "Smoke"),
    "112": Meaning(F, "Combustion"),
    "113": Meaning(F, "Water flow"),
    "114": Meaning(F, "Heat"),
    "115": Meaning(F, "Pull station"),
    "116": Meaning(F, "Duct"),
    "117": Meaning(F, "Flame"),
    "118": Meaning(F, "Near alarm"),
    "302": Meaning(T, "Low system battery", BAT),
    "309": Meaning(T, "Battery test failure", BAT),
    "311": Meaning(T, "Battery missing/dead", BAT),
    "338": Meaning(T, "Expansion module low battery", BAT),
    "384": Meaning(T, "RF low battery", BAT),
    "137": Meaning(T, "Tamper", TAMP),
    "144": Meaning(T, "Sensor tamper", TAMP),
    "145": Meaning(T, "Expansion module tamper", TAMP),
    "341": Meaning(T, "Expansion module tamper", TAMP),
    "383": Meaning(T, "Sensor tamper", TAMP),
    "301": Meaning(T, "AC (mains) loss", MAINS),
    "342": Meaning(T, "Expansion module AC loss", MAINS),
    "143": Meaning(T, "Expansion module failure"),
    "147": Meaning(T, "Sensor supervision failure"),
    "300": Meaning(T, "System trouble"),
    "305": Meaning(T, "System reset"),
    "307": Meaning(T, "Self-test failure"),
    "312": Meaning(T, "Power supply overcurrent"),
    "330": Meaning(T, "System peripheral trouble"),
    "333": Meaning(T, "Expansion module failure"),
    "344": Meaning(T, "RF receiver jam detect"),
    "350": Meaning(T, "Communication trouble"),
    "351": Meaning(T, "Telco 1 fault"),
    "352": Meaning(T, "Telco 2 fault"),
    "353": Meaning(T, "Long range radio transmitter fault"),
    "354": Meaning(T, "Failure to communicate event"),
    "355": Meaning(T, "Loss of radio supervision"),
    "373": Meaning(T, "Fire trouble"),
    "375": Meaning(T, "Panic zone trouble"),
    "380": Meaning(T, "Sensor trouble"),
    "381": Meaning(T, "Loss of supervision, RF"),
    "389": Meaning(T, "Sensor self-test failure"),
    "393": Meaning(T, "Maintenance alert"),
    "601": Meaning(EventKind.TEST, "Manual trigger test report"),
    "602": Meaning(EventKind.TEST, "Periodic test report"),
    "603": Meaning(EventKind.TEST, "Periodic RF transmission"),
    "604": Meaning(EventKind.TEST, "Fire test"),
    "607": Meaning(EventKind.TEST, "Walk test mode"),
    "608": Meaning(EventKind.TEST, "Periodic test, system trouble present"),
    "611": Meaning(EventKind.TEST, "Point tested OK"),
    "613": Meaning(EventKind.TEST, "Intrusion zone walk tested"),
    "614": Meaning(EventKind.TEST, "Fire zone walk tested"),
    "615": Meaning(EventKind.TEST, "Panic zone walk tested"),
}

CID_QUALIFIERS = {"1": "new event", "3": "restore", "6": "previous event still present"}
# Kinds whose Contact ID qualifier 3 means "ended". For open/close (4xx) 3 means "closed"
# (armed) and for tests it is not used, so those keep their kind.
_RESTORABLE = frozenset({A, F, T})


def _restore_of(meaning: Meaning) -> Meaning:
    return replace(meaning, kind=R, label=f"{meaning.label} restore", restores=meaning.kind)


CID_RESTORES: dict[str, Meaning] = {
    code: _restore_of(m) for code, m in CID_CODES.items() if m.kind in _RESTORABLE
}


def sia_meaning(code: str) -> Meaning:
    """The meaning of a two-letter SIA code."""
    return SIA_CODES.get(code) or Meaning(EventKind.OTHER, f"SIA {code}")


def cid_meaning(qualifier: str, code: str) -> Meaning:
    """The meaning of a Contact ID event: qualifier 1/3/6 and three-digit code."""
    if qualifier == "3" and code in CID_RESTORES:
        return CID_RESTORES[code]
    return CID_CODES.get(code) or Meaning(EventKind.OTHER, f"Contact ID {code}")
