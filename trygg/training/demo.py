"""Demo training for `trygg seed --demo`: two private providers starting under the contract.

- Norrsken starts in twelve days: its manager, work leader and one support user are booked on
  a session in three days, before the deadline but not yet held, and some staff have not
  done the web course: at risk.
- Lindgården starts in four days: its manager attended a session ten days ago, but the work
  leader is booked after the deadline, which passed three days ago: the margin is not met.
- The fixed schedule of ongoing training: one session every four weeks.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.demo import DEMO_PROVIDERS
from trygg.core.models import Municipality, Provider, RoleAssignment, User
from trygg.notifications.models import Notification

from . import services
from .constants import SessionKind, TrainedSystem
from .models import Booking, StartPlan, TrainingSession, WebCourseCompletion

STARTUP_AGENDA = (
    "09.00 Välkomna, roller och ansvar\n"
    "09.20 Besöksappen (CareApp): logga in, registrera besök och insatser med NFC\n"
    "10.15 Paus\n"
    "10.30 Besöksregistreringens webb (TES-web): planering, granskning och attest\n"
    "11.15 Digitala lås (Phoniro): nycklar, behörigheter och reservnyckel\n"
    "11.45 Support, felanmälan och driftinformation\n"
    "12.00 Slut"
)
ONGOING_AGENDA = (
    "Nyheter i systemen sedan förra tillfället, vanliga frågor till servicedesken, och tid för "
    "egna frågor. För nya chefer, arbetsledare och stödanvändare."
)
STARTUP_SYSTEMS = [
    TrainedSystem.VISIT_APP,
    TrainedSystem.VISIT_WEB,
    TrainedSystem.LOCKS,
    TrainedSystem.REMOTE_ACCESS,
]


def _trainer(municipality: Municipality) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            municipality=municipality, role=Role.WELFARE_TECH, user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return assignment.user if assignment else None


def _provider(municipality: Municipality, key: str) -> Provider | None:
    name = next(spec.name for spec in DEMO_PROVIDERS if spec.key == key)
    return Provider.objects.filter(municipality=municipality, name=name).first()


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def _at(municipality: Municipality, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=municipality.zone)


def _staff(provider: Provider, role: Role) -> list[User]:
    return list(
        User.objects.filter(role_assignments__provider=provider, role_assignments__role=role)
        .distinct()
        .order_by("username")
    )


def seed_demo(municipality: Municipality, now: dt.datetime | None = None) -> dict[str, int]:
    """Make the demo's training once; nothing when the municipality has some already."""
    if TrainingSession.objects.filter(municipality=municipality).exists():
        return {}
    norrsken = _provider(municipality, "norrsken")
    lindgarden = _provider(municipality, "lindgarden")
    trainer = _trainer(municipality)
    if norrsken is None or lindgarden is None or trainer is None:
        return {}
    now = now or timezone.now()
    today = municipality.local_date(now)
    with transaction.atomic():
        # A startup session already held, ten days ago, with attendance recorded.
        held_day = today - dt.timedelta(days=10)
        while held_day.isoweekday() > 5:
            held_day -= dt.timedelta(days=1)
        held = TrainingSession.objects.create(
            municipality=municipality,
            kind=SessionKind.STARTUP,
            title="Uppstartsutbildning för nya utförare",
            starts_at=_at(municipality, held_day, 9),
            ends_at=_at(municipality, held_day, 12),
            place="Servicedesk vård och omsorg, Stadshuset, sal 3",
            systems=",".join(STARTUP_SYSTEMS),
            agenda=STARTUP_AGENDA,
            seats=12,
            created_by=trainer,
            created_at=now - dt.timedelta(days=30),
        )
        coming = services.schedule_sessions(
            municipality,
            kind=SessionKind.STARTUP,
            title="Uppstartsutbildning för nya utförare",
            starts_at=_at(municipality, _weekday_on_or_after(today + dt.timedelta(days=3)), 9),
            ends_at=_at(municipality, _weekday_on_or_after(today + dt.timedelta(days=3)), 12),
            place="Servicedesk vård och omsorg, Stadshuset, sal 3",
            systems=STARTUP_SYSTEMS,
            agenda=STARTUP_AGENDA,
            seats=12,
            by=trainer,
            now=now,
        )[0]
        online_day = _weekday_on_or_after(today + dt.timedelta(days=1))
        online = services.schedule_sessions(
            municipality,
            kind=SessionKind.STARTUP,
            title="Uppstartsutbildning på distans",
            starts_at=_at(municipality, online_day, 13),
            ends_at=_at(municipality, online_day, 16),
            link="https://moten.example/servicedesk-uppstart",
            systems=STARTUP_SYSTEMS,
            agenda=STARTUP_AGENDA,
            seats=8,
            by=trainer,
            now=now,
        )[0]
        ongoing = services.schedule_sessions(
            municipality,
            kind=SessionKind.ONGOING,
            title="Löpande utbildning: nyheter och frågor",
            starts_at=_at(municipality, _weekday_on_or_after(today + dt.timedelta(days=21)), 13),
            ends_at=_at(municipality, _weekday_on_or_after(today + dt.timedelta(days=21)), 15),
            link="https://moten.example/servicedesk-lopande",
            systems=[TrainedSystem.VISIT_APP, TrainedSystem.LOCKS, TrainedSystem.TRYGG],
            agenda=ONGOING_AGENDA,
            seats=30,
            by=trainer,
            repeat_weeks=4,
            occurrences=4,
            now=now,
        )

        # Norrsken: starts in twelve days, everyone booked before the deadline: at risk.
        services.set_start_plan(
            norrsken,
            approved_on=today - dt.timedelta(days=30),
            starts_on=today + dt.timedelta(days=12),
            note="Godkänd enligt LOV, avtal tecknat.",
            by=trainer,
        )
        workers = [u for u in _staff(norrsken, Role.CARE_WORKER) if u.username != "omsorg.norrsken"]
        support = workers[0]
        services.name_support_user(norrsken, support, trainer)
        for person in [
            *_staff(norrsken, Role.PROVIDER_MANAGER),
            *_staff(norrsken, Role.TEAM_LEADER),
            support,
        ]:
            services.book(coming, norrsken, person, trainer, now=now)
        for n, person in enumerate([*workers[1:5], *_staff(norrsken, Role.NIGHT_SUPERVISOR)[:1]]):
            WebCourseCompletion.objects.create(
                municipality=municipality,
                person=person,
                completed_on=today - dt.timedelta(days=2 + 3 * n),
                recorded_by=person,
            )

        # Lindgården: the deadline passed three days ago; the work leader is booked late.
        services.set_start_plan(
            lindgarden,
            approved_on=today - dt.timedelta(days=45),
            starts_on=today + dt.timedelta(days=4),
            note="Start flyttad en vecka framåt på utförarens begäran.",
            by=trainer,
        )
        for person in _staff(lindgarden, Role.PROVIDER_MANAGER):
            Booking.objects.create(
                session=held,
                provider=lindgarden,
                person=person,
                booked_by=trainer,
                booked_at=now - dt.timedelta(days=25),
                attended=True,
                attendance_recorded_by=trainer,
                attendance_recorded_at=held.ends_at + dt.timedelta(minutes=20),
            )
        for person in _staff(lindgarden, Role.TEAM_LEADER):
            services.book(online, lindgarden, person, trainer, now=now)
        for n, person in enumerate(_staff(lindgarden, Role.CARE_WORKER)):
            WebCourseCompletion.objects.create(
                municipality=municipality,
                person=person,
                completed_on=today - dt.timedelta(days=1 + 4 * n),
                recorded_by=person,
            )
        # The demo's bookings were made before anyone looked: their e-mails count as sent.
        Notification.objects.filter(
            topic__startswith="training.", recipient__role_assignments__municipality=municipality
        ).update(emailed_at=now)
    return {
        "starting providers": StartPlan.objects.filter(provider__municipality=municipality).count(),
        "sessions": 3 + len(ongoing),
        "bookings": Booking.objects.filter(session__municipality=municipality).count(),
    }
