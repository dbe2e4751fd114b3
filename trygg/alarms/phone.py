"""What the alarm phone shows a person, for the page (views.phone) and the API alike: the
care alarms offered to them now (access.offers), and where they stand: on a responder shift
(until when), or off shift and when their team's next shift starts, by the municipality's
clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from trygg.core.models import User

from . import access
from .models import Alarm, AlarmCategory
from .shifts import TeamStanding

PHONE_LIMIT = 50
# Alarm ids whose client the person has already been logged as seeing in a list: the
# console and the phone reload on every event, and one read per alarm is what the log needs.
SEEN_SESSION_KEY = "alarms_listed"
SEEN_KEEP = 500


def offered(user: User, now: dt.datetime) -> list[Alarm]:
    """The open calls for help offered to the person now, in the console's order."""
    return list(
        access.offered_alarms(user, now)
        .unresolved()
        .filter(category=AlarmCategory.CARE)
        .select_related(
            "client", "unit", "team", "backup_team", "provider", "acknowledged_by", "assigned_to"
        )
        .by_priority()[:PHONE_LIMIT]
    )


def phone_context(user: User, now: dt.datetime) -> dict[str, Any]:
    duty = access.duty_for(user)
    standing = duty.standing(now)
    on_shift = [team for team in standing if team.on_shift]
    coming = duty.next_shift(now) if not on_shift else None
    headline, detail = _standing_in_words(bool(duty.team_ids), on_shift, coming, now)
    return {
        "alarms": offered(user, now),
        "now": now,
        "has_teams": bool(duty.team_ids),
        "on_shift": on_shift,
        # Times as the municipality's clock reads them (a template would use the server's).
        "on_shift_until": {
            team.team_id: team.until.strftime("%H:%M") for team in on_shift if team.until
        },
        "next_shift": coming,
        "headline": headline,
        "detail": detail,
        "reload_at": duty.next_change(now),
        "server_now": now.replace(microsecond=0),  # whole seconds: Date.parse reads them
        "watches": access.watches_the_console(user),
    }


def _standing_in_words(
    has_teams: bool, on_shift: list[TeamStanding], coming: TeamStanding | None, now: dt.datetime
) -> tuple[str, str]:
    if on_shift:
        teams = ", ".join(
            _("%(team)s until %(time)s") % {"team": t.team_name, "time": t.until.strftime("%H:%M")}
            if t.until
            else t.team_name
            for t in on_shift
        )
        return _("On a responder shift"), teams
    if not has_teams:
        return _("You are not in a responder team"), _(
            "Alarms come to this phone only for the members of a responder team on shift, "
            "and for whoever the alarm centre sends."
        )
    if coming is not None and coming.next_start is not None:
        detail = _("Your team's next shift starts %(when)s: %(team)s.") % {
            "when": when_label(coming.next_start, now),
            "team": coming.team_name,
        }
    else:
        detail = _("Your teams have no responder shift in the coming week.")
    return _("You are not on a responder shift now"), detail


def when_label(moment: dt.datetime, now: dt.datetime) -> str:
    """A coming time as people say it, by the clock of `moment`'s zone: "today at 22:00",
    "tomorrow at 07:00", "Monday at 07:00", "Monday 7 December at 07:00"."""
    today = now.astimezone(moment.tzinfo).date()
    days = (moment.date() - today).days
    clock = moment.strftime("%H:%M")
    if days <= 0:
        return _("today at %(time)s") % {"time": clock}
    if days == 1:
        return _("tomorrow at %(time)s") % {"time": clock}
    weekday = date_format(moment, "l")
    if days < 7:
        return _("%(weekday)s at %(time)s") % {"weekday": weekday, "time": clock}
    return _("%(weekday)s %(date)s at %(time)s") % {
        "weekday": weekday,
        "date": date_format(moment, "j F"),
        "time": clock,
    }
