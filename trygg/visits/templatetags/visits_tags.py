"""NFC tags on the pages: a door's name from its code."""

from __future__ import annotations

from django import template

from trygg.devices.constants import TagDoor

register = template.Library()


@register.filter
def tag_door(code: str) -> str:
    """The door's name ("Ytterdörr") for its code; the code itself if Trygg no longer knows
    it, so nothing is hidden."""
    try:
        return str(TagDoor(code).label)
    except ValueError:
        return str(code)
