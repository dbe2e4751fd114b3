"""Which responder team an alarm goes to: the shift in force for the client at that moment.

The municipality describes its responder organisation as shifts (models.ResponderShift):
a team, the times and weekdays it covers, and optionally a district (by postal code) and a
provider whose clients only it serves. Day teams per district, an evening team, one night
patrol for the whole municipality: each is a shift. The most specific shift in force wins;
with none in force the alarm goes straight to the alarm centre.

A team is on shift while one of its shifts is in force (`shifts.py`): the route says until
when, so that an alarm nobody has taken when the team goes off shift is handed over to the
team on shift then (dispatch.escalate_due) instead of waiting at a team gone home.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trygg.core.models import Team

from .models import Alarm, District, ResponderShift
from .shifts import Stretch, stretch_at


@dataclass(frozen=True)
class Route:
    team: Team | None
    backup_team: Team | None
    shift: ResponderShift | None
    district: District | None
    # When the team goes off shift; None when it is on around the clock (or there is none).
    until: dt.datetime | None = None


class Roster:
    """A municipality's active shifts and districts, loaded once for a batch of alarms."""

    def __init__(self, municipality_id: int) -> None:
        self.municipality_id = municipality_id
        self.shifts = list(
            ResponderShift.objects.filter(municipality_id=municipality_id, active=True)
            .select_related("team", "backup_team", "district", "municipality")
            .order_by("priority", "pk")
        )
        self.districts = list(District.objects.filter(municipality_id=municipality_id))
        self._prefixes = sorted(
            ((prefix, district) for district in self.districts for prefix in district.prefixes),
            key=lambda item: -len(item[0]),
        )

    def district_for(self, postal_code: str) -> District | None:
        """The district whose longest postal-code prefix matches; None when none does."""
        code = postal_code.replace(" ", "")
        if not code:
            return None
        for prefix, district in self._prefixes:
            if code.startswith(prefix):
                return district
        return None

    def route(
        self,
        at_local: dt.datetime,
        *,
        provider_id: int | None,
        postal_code: str = "",
    ) -> Route:
        district = self.district_for(postal_code)
        candidates = [
            shift
            for shift in self.shifts
            if shift.covers(at_local)
            and (shift.provider_id is None or shift.provider_id == provider_id)
            and (shift.district_id is None or (district and shift.district_id == district.pk))
        ]
        if not candidates:
            return Route(None, None, None, district)
        best = min(
            candidates,
            key=lambda s: (s.provider_id is None, s.district_id is None, s.priority, s.pk),
        )
        until = self.team_stretch(best.team_id, at_local).until
        return Route(best.team, best.backup_team, best, district, until)

    def team_stretch(self, team_id: int, at: dt.datetime) -> Stretch:
        """Whether the team is on one of its shifts at `at`, until when, or when next."""
        shifts = [shift for shift in self.shifts if shift.team_id == team_id]
        if not shifts:
            return Stretch(False)
        return stretch_at(shifts, shifts[0].municipality.zone, at)

    def available_as_backup(self, team_id: int, at: dt.datetime) -> bool:
        """Whether escalation may name this team now: it is on one of its shifts, or it has
        none of its own (a standby team that is there only as others' backup). A day team
        that went home at 16:00 is not asked at 16:02."""
        if not any(shift.team_id == team_id for shift in self.shifts):
            return True
        return self.team_stretch(team_id, at).on_shift

    def route_alarm(self, alarm: Alarm, at: dt.datetime) -> Route:
        """The route for `alarm` raised at `at`, by its municipality's clock."""
        at_local = alarm.municipality.localtime(at)
        client = alarm.client
        return self.route(
            at_local,
            provider_id=alarm.provider_id,
            postal_code=client.postal_code if client is not None else "",
        )
