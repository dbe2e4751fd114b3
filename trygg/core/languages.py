"""The language to write to a person in when no request is there to choose it.

Messages and e-mails sent from a service or the worker (an order done, an outage announced)
go out in the person's saved preference, else in the language of the municipality's country,
else Swedish: never in the English of Django's source strings because nobody chose one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Municipality, User

COUNTRY_LANGUAGE = {"SE": "sv", "NO": "nb"}


def language_of(user: User, municipality: Municipality) -> str:
    """The language to write to `user` about something in `municipality`."""
    return user.preferred_language or COUNTRY_LANGUAGE.get(municipality.country, "sv")
