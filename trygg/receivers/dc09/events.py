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

The labels are English, marked for translation: the alarm pages name each event in the
reader's language from its code (`trygg.alarms.event_names`).

Contact ID restores are the qualifier (3), not a code: a restore of an alarm, fire or
technical code becomes kind RESTORE with `restores` naming what ended. SIA has separate
restore codes (MH, YR, AR, TR, ...), listed here with the same `restores`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

# Marks the labels for translation and returns them unchanged: the codec stays plain data,
# and the alarm pages show each label in the reader's language (alarms.event_names).
from trygg.lib.translatable import gettext_noop


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

HEARTBEAT = Meaning(EventKind.HEARTBEAT, gettext_noop("Link test (NULL message)"))

# SIA DC-03 two-letter codes.
SIA_CODES: dict[str, Meaning] = {
    # alarms
    "MA": Meaning(A, gettext_noop("Medical alarm"), social=True),
    "QA": Meaning(A, gettext_noop("Emergency alarm, help button"), social=True),
    "NA": Meaning(A, gettext_noop("No activity (inactivity)"), social=True),
    "PA": Meaning(A, gettext_noop("Panic alarm")),
    "HA": Meaning(A, gettext_noop("Holdup (duress) alarm")),
    "UA": Meaning(A, gettext_noop("Untyped zone alarm")),
    "BA": Meaning(A, gettext_noop("Burglary alarm")),
    "BV": Meaning(A, gettext_noop("Burglary verified")),
    "GA": Meaning(A, gettext_noop("Gas alarm")),
    "WA": Meaning(A, gettext_noop("Water alarm")),
    "ZA": Meaning(A, gettext_noop("Freeze alarm")),
    # fire
    "FA": Meaning(F, gettext_noop("Fire alarm")),
    "FM": Meaning(F, gettext_noop("Fire alarm, cross point")),
    "KA": Meaning(F, gettext_noop("Heat alarm")),
    "SA": Meaning(F, gettext_noop("Sprinkler alarm")),
    # technical: low battery
    "YT": Meaning(T, gettext_noop("System battery trouble"), BAT),
    "XT": Meaning(T, gettext_noop("Transmitter battery trouble"), BAT),
    "YM": Meaning(T, gettext_noop("System battery missing"), BAT),
    # technical: tamper
    "TA": Meaning(T, gettext_noop("Tamper alarm"), TAMP),
    "TT": Meaning(T, gettext_noop("Tamper trouble"), TAMP),
    "ES": Meaning(T, gettext_noop("Expansion device tamper"), TAMP),
    "XS": Meaning(T, gettext_noop("RF receiver tamper"), TAMP),
    # technical: mains
    "AT": Meaning(T, gettext_noop("AC (mains) trouble"), MAINS),
    # technical: other faults
    "YP": Meaning(T, gettext_noop("Power supply trouble")),
    "YC": Meaning(T, gettext_noop("Communications fail")),
    "YS": Meaning(T, gettext_noop("Communications trouble")),
    "LT": Meaning(T, gettext_noop("Phone line trouble")),
    "NT": Meaning(T, gettext_noop("Network failure")),
    "ET": Meaning(T, gettext_noop("Expansion trouble")),
    "EM": Meaning(T, gettext_noop("Expansion device missing")),
    "XQ": Meaning(T, gettext_noop("RF interference")),
    "XL": Meaning(T, gettext_noop("Low received signal strength")),
    "UY": Meaning(T, gettext_noop("Untyped missing trouble")),
    "UT": Meaning(T, gettext_noop("Untyped zone trouble")),
    "MT": Meaning(T, gettext_noop("Medical zone trouble")),
    "QT": Meaning(T, gettext_noop("Emergency zone trouble")),
    "PT": Meaning(T, gettext_noop("Panic zone trouble")),
    "FT": Meaning(T, gettext_noop("Fire trouble")),
    "IA": Meaning(T, gettext_noop("Equipment failure")),
    "YX": Meaning(T, gettext_noop("Service required")),
    # tests
    "RP": Meaning(EventKind.TEST, gettext_noop("Automatic test")),
    "RX": Meaning(EventKind.TEST, gettext_noop("Manual test")),
    "TX": Meaning(EventKind.TEST, gettext_noop("Test report")),
    "RY": Meaning(EventKind.TEST, gettext_noop("Test off normal")),
    # restores
    "MH": Meaning(R, gettext_noop("Medical alarm restore"), restores=A, social=True),
    "MR": Meaning(R, gettext_noop("Medical restoral"), restores=A, social=True),
    "QH": Meaning(R, gettext_noop("Emergency alarm restore"), restores=A, social=True),
    "QR": Meaning(R, gettext_noop("Emergency restoral"), restores=A, social=True),
    "NS": Meaning(R, gettext_noop("Activity resumed"), restores=A, social=True),
    "PH": Meaning(R, gettext_noop("Panic alarm restore"), restores=A),
    "PR": Meaning(R, gettext_noop("Panic restoral"), restores=A),
    "HH": Meaning(R, gettext_noop("Holdup alarm restore"), restores=A),
    "HR": Meaning(R, gettext_noop("Holdup restoral"), restores=A),
    "UH": Meaning(R, gettext_noop("Untyped alarm restore"), restores=A),
    "UR": Meaning(R, gettext_noop("Untyped zone restoral"), restores=A),
    "BH": Meaning(R, gettext_noop("Burglary alarm restore"), restores=A),
    "BR": Meaning(R, gettext_noop("Burglary restoral"), restores=A),
    "GH": Meaning(R, gettext_noop("Gas alarm restore"), restores=A),
    "GR": Meaning(R, gettext_noop("Gas restoral"), restores=A),
    "WH": Meaning(R, gettext_noop("Water alarm restore"), restores=A),
    "WR": Meaning(R, gettext_noop("Water restoral"), restores=A),
    "ZH": Meaning(R, gettext_noop("Freeze alarm restore"), restores=A),
    "ZR": Meaning(R, gettext_noop("Freeze restoral"), restores=A),
    "FH": Meaning(R, gettext_noop("Fire alarm restore"), restores=F),
    "FR": Meaning(R, gettext_noop("Fire restoral"), restores=F),
    "KH": Meaning(R, gettext_noop("Heat alarm restore"), restores=F),
    "KR": Meaning(R, gettext_noop("Heat restoral"), restores=F),
    "SH": Meaning(R, gettext_noop("Sprinkler alarm restore"), restores=F),
    "SR": Meaning(R, gettext_noop("Sprinkler restoral"), restores=F),
    "YR": Meaning(R, gettext_noop("System battery restoral"), BAT, restores=T),
    "XR": Meaning(R, gettext_noop("Transmitter battery restoral"), BAT, restores=T),
    "TR": Meaning(R, gettext_noop("Tamper restoral"), TAMP, restores=T),
    "TH": Meaning(R, gettext_noop("Tamper alarm restore"), TAMP, restores=T),
    "TJ": Meaning(R, gettext_noop("Tamper trouble restore"), TAMP, restores=T),
    "EJ": Meaning(R, gettext_noop("Expansion tamper restore"), TAMP, restores=T),
    "XJ": Meaning(R, gettext_noop("RF receiver tamper restoral"), TAMP, restores=T),
    "AR": Meaning(R, gettext_noop("AC (mains) restoral"), MAINS, restores=T),
    "YQ": Meaning(R, gettext_noop("Power supply restored"), restores=T),
    "YK": Meaning(R, gettext_noop("Communications restoral"), restores=T),
    "LR": Meaning(R, gettext_noop("Phone line restoral"), restores=T),
    "NR": Meaning(R, gettext_noop("Network restoral"), restores=T),
    "ER": Meaning(R, gettext_noop("Expansion restoral"), restores=T),
    "EN": Meaning(R, gettext_noop("Expansion missing restore"), restores=T),
    "XH": Meaning(R, gettext_noop("RF interference restoral"), restores=T),
    "UJ": Meaning(R, gettext_noop("Untyped trouble restore"), restores=T),
    "MJ": Meaning(R, gettext_noop("Medical trouble restore"), restores=T),
    "QJ": Meaning(R, gettext_noop("Emergency trouble restore"), restores=T),
    "PJ": Meaning(R, gettext_noop("Panic trouble restore"), restores=T),
    "FJ": Meaning(R, gettext_noop("Fire trouble restore"), restores=T),
    "IR": Meaning(R, gettext_noop("Equipment fail restoral"), restores=T),
}

# Contact ID three-digit event codes, for qualifier 1 (new event) and 6 (still present).
CID_CODES: dict[str, Meaning] = {
    "100": Meaning(A, gettext_noop("Medical"), social=True),
    "101": Meaning(A, gettext_noop("Personal emergency"), social=True),
    "102": Meaning(A, gettext_noop("Fail to report in"), social=True),
    "641": Meaning(A, gettext_noop("Senior watch trouble (inactivity)"), social=True),
    "120": Meaning(A, gettext_noop("Panic")),
    "121": Meaning(A, gettext_noop("Duress")),
    "122": Meaning(A, gettext_noop("Silent panic")),
    "123": Meaning(A, gettext_noop("Audible panic")),
    "124": Meaning(A, gettext_noop("Duress, access granted")),
    "125": Meaning(A, gettext_noop("Duress, egress granted")),
    "130": Meaning(A, gettext_noop("Burglary")),
    "131": Meaning(A, gettext_noop("Perimeter")),
    "132": Meaning(A, gettext_noop("Interior")),
    "133": Meaning(A, gettext_noop("24 hour")),
    "134": Meaning(A, gettext_noop("Entry/exit")),
    "135": Meaning(A, gettext_noop("Day/night")),
    "136": Meaning(A, gettext_noop("Outdoor")),
    "139": Meaning(A, gettext_noop("Intrusion verifier")),
    "140": Meaning(A, gettext_noop("General alarm")),
    "146": Meaning(A, gettext_noop("Silent burglary")),
    "150": Meaning(A, gettext_noop("24 hour non-burglary")),
    "151": Meaning(A, gettext_noop("Gas detected")),
    "154": Meaning(A, gettext_noop("Water leakage")),
    "158": Meaning(A, gettext_noop("High temperature")),
    "159": Meaning(A, gettext_noop("Low temperature")),
    "162": Meaning(A, gettext_noop("Carbon monoxide detected")),
    "110": Meaning(F, gettext_noop("Fire")),
    "111": Meaning(F, gettext_noop("Smoke")),
    "112": Meaning(F, gettext_noop("Combustion")),
    "113": Meaning(F, gettext_noop("Water flow")),
    "114": Meaning(F, gettext_noop("Heat")),
    "115": Meaning(F, gettext_noop("Pull station")),
    "116": Meaning(F, gettext_noop("Duct")),
    "117": Meaning(F, gettext_noop("Flame")),
    "118": Meaning(F, gettext_noop("Near alarm")),
    "302": Meaning(T, gettext_noop("Low system battery"), BAT),
    "309": Meaning(T, gettext_noop("Battery test failure"), BAT),
    "311": Meaning(T, gettext_noop("Battery missing/dead"), BAT),
    "338": Meaning(T, gettext_noop("Expansion module low battery"), BAT),
    "384": Meaning(T, gettext_noop("RF low battery"), BAT),
    "137": Meaning(T, gettext_noop("Tamper"), TAMP),
    "144": Meaning(T, gettext_noop("Sensor tamper"), TAMP),
    "145": Meaning(T, gettext_noop("Expansion module tamper"), TAMP),
    "341": Meaning(T, gettext_noop("Expansion module tamper"), TAMP),
    "383": Meaning(T, gettext_noop("Sensor tamper"), TAMP),
    "301": Meaning(T, gettext_noop("AC (mains) loss"), MAINS),
    "342": Meaning(T, gettext_noop("Expansion module AC loss"), MAINS),
    "143": Meaning(T, gettext_noop("Expansion module failure")),
    "147": Meaning(T, gettext_noop("Sensor supervision failure")),
    "300": Meaning(T, gettext_noop("System trouble")),
    "305": Meaning(T, gettext_noop("System reset")),
    "307": Meaning(T, gettext_noop("Self-test failure")),
    "312": Meaning(T, gettext_noop("Power supply overcurrent")),
    "330": Meaning(T, gettext_noop("System peripheral trouble")),
    "333": Meaning(T, gettext_noop("Expansion module failure")),
    "344": Meaning(T, gettext_noop("RF receiver jam detect")),
    "350": Meaning(T, gettext_noop("Communication trouble")),
    "351": Meaning(T, gettext_noop("Telco 1 fault")),
    "352": Meaning(T, gettext_noop("Telco 2 fault")),
    "353": Meaning(T, gettext_noop("Long range radio transmitter fault")),
    "354": Meaning(T, gettext_noop("Failure to communicate event")),
    "355": Meaning(T, gettext_noop("Loss of radio supervision")),
    "373": Meaning(T, gettext_noop("Fire trouble")),
    "375": Meaning(T, gettext_noop("Panic zone trouble")),
    "380": Meaning(T, gettext_noop("Sensor trouble")),
    "381": Meaning(T, gettext_noop("Loss of supervision, RF")),
    "389": Meaning(T, gettext_noop("Sensor self-test failure")),
    "393": Meaning(T, gettext_noop("Maintenance alert")),
    "601": Meaning(EventKind.TEST, gettext_noop("Manual trigger test report")),
    "602": Meaning(EventKind.TEST, gettext_noop("Periodic test report")),
    "603": Meaning(EventKind.TEST, gettext_noop("Periodic RF transmission")),
    "604": Meaning(EventKind.TEST, gettext_noop("Fire test")),
    "607": Meaning(EventKind.TEST, gettext_noop("Walk test mode")),
    "608": Meaning(EventKind.TEST, gettext_noop("Periodic test, system trouble present")),
    "611": Meaning(EventKind.TEST, gettext_noop("Point tested OK")),
    "613": Meaning(EventKind.TEST, gettext_noop("Intrusion zone walk tested")),
    "614": Meaning(EventKind.TEST, gettext_noop("Fire zone walk tested")),
    "615": Meaning(EventKind.TEST, gettext_noop("Panic zone walk tested")),
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
