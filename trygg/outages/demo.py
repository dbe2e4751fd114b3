"""Demo outages for `trygg seed --demo`: maintenance windows, two announced outages with their
notice logs (one close enough that everyone sees its banner, one further off), one completed.
Each keeps every notice rule, announced in good time. Calm on purpose: nothing is down while
someone tries the demo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.models import Municipality, RoleAssignment, User
from trygg.notifications.models import Notification

from . import services
from .constants import System
from .models import MaintenanceWindow, Outage

# (system, ISO weekdays, from, until): the routines' Tue/Wed 09-14 for the visit app and
# the locks; Trygg itself Tue-Thu in office hours.
DEMO_WINDOWS = [
    (System.VISIT_APP, "23", dt.time(9), dt.time(14)),
    (System.LOCKS, "23", dt.time(9), dt.time(14)),
    (System.TRYGG, "234", dt.time(8), dt.time(16)),
]


def _planner(municipality: Municipality) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            municipality=municipality,
            role__in=[Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("role", "user_id")
        .first()
    )
    return assignment.user if assignment else None


def _weekday_on_or_after(day: dt.date, iso_weekday: int) -> dt.date:
    return day + dt.timedelta(days=(iso_weekday - day.isoweekday()) % 7)


def _at(day: dt.date, hour: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


def _mark_emailed(outage: Outage, at: dt.datetime, *, read: bool) -> None:
    # The demo's announcements happened days ago: their e-mails count as sent then, so
    # seeding prints no mail and the worker sends none.
    Notification.objects.filter(topic=f"outages.outage:{outage.pk}").update(
        emailed_at=at, read_at=at if read else None
    )


def _window_day_near(today: dt.date, weekdays: str, days_ahead: int) -> dt.date:
    """The day in the window's weekdays nearest `days_ahead` from today, never sooner than
    two days ahead nor later than six: inside users' seven days of banner, whatever today."""
    for offset in sorted(range(2, 7), key=lambda d: (abs(d - days_ahead), d)):
        day = today + dt.timedelta(days=offset)
        if str(day.isoweekday()) in weekdays:
            return day
    raise ValueError(f"No day in {weekdays!r} from 2 to 6 days ahead of {today}.")


def seed_demo(municipality: Municipality, now: dt.datetime | None = None) -> int:
    """Create the demo windows and outages once. Returns how many outages were made (0 when
    the municipality already has some)."""
    if Outage.objects.filter(municipality=municipality).exists():
        return 0
    now = now or timezone.now()
    tz = municipality.zone
    planner = _planner(municipality)
    today = municipality.local_date(now)
    with transaction.atomic():
        for system, weekdays, start, end in DEMO_WINDOWS:
            MaintenanceWindow.objects.get_or_create(
                municipality=municipality,
                system=system,
                weekdays=weekdays,
                start_time=start,
                end_time=end,
            )

        # Announced two days ago, a Tuesday more than two weeks after that.
        announced = now - dt.timedelta(days=2)
        day = _weekday_on_or_after(today + dt.timedelta(days=16), 2)
        upcoming = services.plan_outage(
            municipality=municipality,
            system=System.VISIT_APP,
            title="Uppgradering av besöksappen",
            description=(
                "Besöksappen uppgraderas till en ny version. Registrera besök på papper under "
                "tiden och för in dem i appen efteråt. Digitala nycklar fungerar som vanligt."
            ),
            starts_at=_at(day, 9, tz),
            ends_at=_at(day, 12, tz),
            by=planner,
            now=announced - dt.timedelta(hours=1),
        )
        services.announce_outage(upcoming, planner, now=announced)
        _mark_emailed(upcoming, announced, read=False)

        # In about five days, inside Trygg's own window (Tue-Thu 08-16), so the banner shows
        # from the first login: announced 16 days before it starts, which leaves managers
        # their 14 days and users their 7.
        day = _window_day_near(today, "234", 5)
        starts_at = _at(day, 14, tz)
        announced = starts_at - dt.timedelta(days=16)
        soon = services.plan_outage(
            municipality=municipality,
            system=System.TRYGG,
            title="Uppdatering av Trygg",
            description=(
                "Trygg uppdateras till en ny version och går inte att använda under en timme. "
                "Beställningar och ärenden kan läggas in efteråt."
            ),
            starts_at=starts_at,
            ends_at=_at(day, 15, tz),
            by=planner,
            now=announced - dt.timedelta(hours=1),
        )
        services.announce_outage(soon, planner, now=announced)
        _mark_emailed(soon, announced, read=True)

        # Three weeks back, a Wednesday, announced well ahead and completed on time.
        day = _weekday_on_or_after(today - dt.timedelta(days=24), 3)
        planned_at = _at(day, 9, tz) - dt.timedelta(days=20)
        done = services.plan_outage(
            municipality=municipality,
            system=System.LOCKS,
            title="Uppdatering av låsens programvara",
            description="Låsen uppdateras. Använd reservnyckeln om ett lås inte svarar.",
            starts_at=_at(day, 9, tz),
            ends_at=_at(day, 11, tz),
            by=planner,
            now=planned_at,
        )
        services.announce_outage(done, planner, now=planned_at)
        _mark_emailed(done, planned_at, read=True)
        services.complete_outage(done, planner, now=_at(day, 11, tz) + dt.timedelta(minutes=5))
    return 3
