"""The outages as an iCalendar feed (RFC 5545), for the calendars of the people affected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .constants import OutageStatus, System
from .models import Outage

CONTENT_TYPE = "text/calendar; charset=utf-8"


def outage_uid(outage: Outage, host: str) -> str:
    """Stable for the outage's life, so calendars update the event instead of adding one."""
    return f"outage-{outage.pk}@{host}"


def build_calendar(outages: Iterable[Outage], *, host: str, url: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Trygg//Outages//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for outage in outages:
        event = Event()
        event.add("uid", outage_uid(outage, host))
        # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2).
        event.add("dtstamp", outage.updated_at.astimezone(dt.UTC))
        event.add("last-modified", outage.updated_at.astimezone(dt.UTC))
        event.add("sequence", outage.sequence)
        event.add("dtstart", outage.starts_at.astimezone(dt.UTC))
        event.add("dtend", outage.ends_at.astimezone(dt.UTC))
        event.add("summary", f"{System(outage.system).label}: {outage.title}")
        description = outage.description.strip()
        event.add("description", f"{description}\n\n{url}" if description else url)
        event.add("url", url)
        event.add("categories", [str(_("Outage"))])
        cancelled = outage.status == OutageStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # An outage is not a meeting: it must not make people look busy.
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
