"""The data inside the brackets: SIA-DCS and ADM-CID (Contact ID) events, extended data.

SIA-DCS (SIA DC-03 data in DC-09), e.g. ``#1001|Nri1/BA12`` or ``Nri01/FA12^Kitchen^``:

- ``#acct|``: the account again (optional; some units send only ``|``);
- ``N``: a block of new events; blocks are separated by ``|``; an ``A`` block is ASCII
  text for the event before it (``NRR|AStart``);
- inside a block, items separated by ``/`` (or simply one after another): modifiers, two
  lower-case letters and a value (``ri`` area/partition, ``id`` user, ``ti`` time, ...),
  which hold for the events after them in the block; events, a two-letter upper-case
  code and a zone or user number (``BA12``, ``RP``); ``^text^`` describing the item
  before it.

ADM-CID (Contact ID), e.g. ``#1001|1130 01 012``: qualifier (1 new event, 3 restore, 6
previous event still present), three-digit event code, two-digit group (partition) and
three-digit zone or user.

Extended data after the data block: ``[X..]`` longitude, ``[Y..]`` latitude, ``[M..]`` MAC
address, ``[V..]`` verification URL, ``[I..]`` alarm text, ``[H..]`` time of occurrence and
others (DC-09 §5.5.1.9 and later editions): kept as (letter, value), in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import BadPayload
from .events import EventKind, Meaning, Technical, cid_meaning, sia_meaning

EXTENDED_NAMES = {
    "A": "authentication hash",
    "H": "time of occurrence",
    "I": "alarm text",
    "K": "encryption key",
    "L": "location",
    "M": "MAC address",
    "N": "network address",
    "P": "authentication hash",
    "R": "room",
    "S": "site name",
    "V": "verification",
    "X": "longitude",
    "Y": "latitude",
    "Z": "altitude",
}

_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_MODIFIER_RE = re.compile(r"([a-z]{2})([0-9:.,\-]*)")
_SIA_EVENT_RE = re.compile(r"([A-Z]{2})([0-9]*)")
_CID_EVENT_RE = re.compile(
    r"(?P<q>[0-9A-Fa-f])(?P<code>[0-9A-Fa-f]{3}) (?P<group>[0-9A-Fa-f]{2}) (?P<zone>[0-9A-Fa-f]{3})"
)
_ACCOUNT_RE = re.compile(r"#([0-9A-Fa-f]{3,16})\|")


def text_value(raw: str) -> str:
    """Text from the wire: bodies are read as Latin-1 (lossless); UTF-8 text is restored."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return raw


@dataclass(frozen=True, slots=True)
class ExtendedData:
    """One `[Xvalue]` block after the data."""

    letter: str
    value: str

    @property
    def name(self) -> str:
        return EXTENDED_NAMES.get(self.letter, "unknown")


@dataclass(frozen=True, slots=True)
class Dc09Event:
    """One event of a message, with its Trygg meaning."""

    code: str  # SIA two letters ("BA") or Contact ID three digits ("130"); "NULL"
    meaning: Meaning
    qualifier: str | None = None  # Contact ID: "1", "3" or "6"
    area: str | None = None  # SIA ri modifier / Contact ID group (partition), as sent
    zone: str | None = None  # zone or user number, as sent
    text: str | None = None  # SIA ^text^ or A block
    modifiers: tuple[tuple[str, str], ...] = ()  # SIA modifiers in force, e.g. (("ri", "1"),)

    @property
    def kind(self) -> EventKind:
        return self.meaning.kind

    @property
    def technical(self) -> Technical | None:
        return self.meaning.technical

    @property
    def restores(self) -> EventKind | None:
        return self.meaning.restores

    @property
    def is_status(self) -> bool:
        """Contact ID qualifier 6: a condition reported before is still present."""
        return self.qualifier == "6"


def split_account(data: str) -> tuple[str | None, str]:
    """(`acct` of a leading `#acct|`, the rest). A bare leading `|` is dropped too."""
    m = _ACCOUNT_RE.match(data)
    if m:
        return m[1], data[m.end() :]
    if data.startswith("|"):
        return None, data[1:]
    return None, data


def parse_sia_dcs(data: str) -> tuple[str | None, tuple[Dc09Event, ...]]:
    """(account inside the data, events) of SIA-DCS data. Raises BadPayload."""
    account, rest = split_account(data)
    events: list[Dc09Event] = []
    modifiers: dict[str, str] = {}
    last_was_event = False
    block_start = True
    i, n = 0, len(rest)
    while i < n:
        c = rest[i]
        if c == "|":
            i += 1
            block_start = True
            continue
        if block_start:
            block_start = False
            if c == "N":  # new-event block marker
                i += 1
                modifiers = {}
                last_was_event = False
                continue
            if c == "A" and events:  # ASCII text block, for the event before it
                end = rest.find("|", i)
                end = n if end < 0 else end
                if events and events[-1].text is None:
                    events[-1] = _with_text(events[-1], rest[i + 1 : end])
                i = end
                continue
            # No block marker: read it as events all the same (older units).
        if c == "/" or c == " ":
            i += 1
        elif c == "^":
            end = rest.find("^", i + 1)
            if end < 0:
                raise BadPayload(f"unterminated ^text^ in SIA data {data!r}")
            if last_was_event:  # text after a modifier (an area name) is not kept
                events[-1] = _with_text(events[-1], rest[i + 1 : end])
            i = end + 1
        elif c in _LOWER:
            m = _MODIFIER_RE.match(rest, i)
            if m is None:
                raise BadPayload(f"bad modifier at {rest[i:]!r} in SIA data {data!r}")
            modifiers[m[1]] = m[2]
            last_was_event = False
            i = m.end()
        elif c in _UPPER:
            m = _SIA_EVENT_RE.match(rest, i)
            if m is None:
                raise BadPayload(f"bad event code at {rest[i:]!r} in SIA data {data!r}")
            code, zone = m[1], m[2]
            events.append(
                Dc09Event(
                    code=code,
                    meaning=sia_meaning(code),
                    area=modifiers.get("ri"),
                    zone=zone or None,
                    modifiers=tuple(modifiers.items()),
                )
            )
            last_was_event = True
            i = m.end()
        else:
            raise BadPayload(f"unexpected {c!r} in SIA data {data!r}")
    if not events:
        raise BadPayload(f"no event in SIA data {data!r}")
    return account, tuple(events)


def _with_text(event: Dc09Event, raw: str) -> Dc09Event:
    return Dc09Event(
        code=event.code,
        meaning=event.meaning,
        qualifier=event.qualifier,
        area=event.area,
        zone=event.zone,
        text=text_value(raw),
        modifiers=event.modifiers,
    )


def parse_adm_cid(data: str) -> tuple[str | None, tuple[Dc09Event, ...]]:
    """(account inside the data, events) of ADM-CID data. Raises BadPayload."""
    account, rest = split_account(data)
    events = []
    for part in rest.split("/"):
        m = _CID_EVENT_RE.fullmatch(part.strip())
        if m is None:
            raise BadPayload(f"Contact ID data is 'QEEE GG ZZZ', not {part!r}")
        if m["q"] not in "136":
            raise BadPayload(f"Contact ID qualifier is 1, 3 or 6, not {m['q']!r}")
        code = m["code"].upper()
        events.append(
            Dc09Event(
                code=code,
                meaning=cid_meaning(m["q"], code),
                qualifier=m["q"],
                area=m["group"],
                zone=m["zone"],
            )
        )
    return account, tuple(events)


_EXTENDED_RE = re.compile(r"\[([^\[\]]*)\]")


def parse_extended(text: str) -> tuple[ExtendedData, ...]:
    """`[X..][Y..]` blocks (already known to be well formed) as ExtendedData."""
    out = []
    for m in _EXTENDED_RE.finditer(text):
        block = m[1]
        if block:
            out.append(ExtendedData(block[0], text_value(block[1:])))
    return tuple(out)


# Writing (the test suite and the benchmark act as alarm units) --------------------------


@dataclass(frozen=True, slots=True)
class SiaEvent:
    """An event to write as SIA-DCS data."""

    code: str
    zone: str = ""
    area: str | None = None
    text: str | None = None


def format_sia_dcs(events: Sequence[SiaEvent], account: str | None = None) -> str:
    """SIA-DCS data such as `#1001|Nri1/BA12^Kitchen^/ri2/FA3`."""
    parts = []
    area: str | None = None
    for event in events:
        if event.area is not None and event.area != area:
            parts.append(f"ri{event.area}")
            area = event.area
        text = "" if event.text is None else f"^{event.text}^"
        parts.append(f"{event.code}{event.zone}{text}")
    prefix = "" if account is None else f"#{account}|"
    return f"{prefix}N{'/'.join(parts)}"


def format_adm_cid(
    qualifier: str, code: str, group: str = "00", zone: str = "000", account: str | None = None
) -> str:
    """ADM-CID data such as `#1001|1101 01 003` (qualifier 1/3/6, code, group, zone)."""
    prefix = "" if account is None else f"#{account}|"
    return f"{prefix}{qualifier}{code} {group} {zone}"
