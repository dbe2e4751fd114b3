"""Marking text for translation in code that must not need Django's settings.

The protocol codecs (DC-09, SCAIP) are plain data and pure functions, importable without a
configured Django. Their English labels are marked with this `gettext_noop`, which returns
the text unchanged: `makemessages` finds the calls by the name (as it finds Django's own
`gettext_noop`), and the pages translate the labels when they show them.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """`message`, unchanged, marked for translation."""
    return message
