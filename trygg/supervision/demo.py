"""Demo night supervision: clients of the night staff's teams with safety cameras ordered,
installed and reported back as the routine has it, their plans, a week of look-ins behind
them and tonight's round (some due now, one missed and raised to the night patrol), one
camera reported faulty with its ticket, and a camera order still waiting for installation.

Orders go through the service desk's `place_order` and the report-back through
`orders.report_back`, so the preconditions and the checklist are the real ones.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import ConsentRelation, Role, ServiceCategory, Technology
from trygg.core.models import (
    Client,
    Consent,
    GrantedService,
    Municipality,
    RoleAssignment,
    ServiceType,
    Team,
    User,
)
from trygg.devices.models import AlarmProtocol, AlarmUnitKind
from trygg.devices.services import register_alarm_unit
from trygg.locks.constants import KeyHolder, SignedHow
from trygg.locks.models import KeyReceipt
from trygg.servicedesk import services as desk
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.constants import OrderStatus
from trygg.servicedesk.models import OrderType

from . import orders, plans, rounds
from .constants import LookInStatus, Outcome
from .models import CameraSession, LookIn, SupervisionPlan
from .schedule import make_lookins, raise_missed
from .times import format_times, moment_of, night_of

_SEED = 20261207
CAMERAS = 9
INSTALLED = 6
HISTORY_NIGHTS = 7


def _first(municipality: Municipality, role: str, username: str) -> RoleAssignment | None:
    assignments = RoleAssignment.objects.filter(municipality=municipality, role=role)
    return (
        assignments.filter(user__username=username).select_related("user", "provider").first()
        or assignments.select_related("user", "provider").order_by("user_id").first()
    )


def _near(now: dt.datetime, municipality: Municipality, minutes: int) -> dt.time:
    local = municipality.localtime(now + dt.timedelta(minutes=minutes))
    return dt.time(local.hour, local.minute - local.minute % 5)


def seed_demo(municipality: Municipality, now: dt.datetime | None = None) -> int:
    """Once per municipality; returns how many plans it made (0 when there are some, or
    the demo's people are missing)."""
    if SupervisionPlan.objects.filter(municipality=municipality).exists():
        return 0
    night_staff = _first(municipality, Role.NIGHT_SUPERVISOR, "natt")
    leader = _first(municipality, Role.TEAM_LEADER, "teamledare")
    tech_assignment = _first(municipality, Role.WELFARE_TECH, "vft")
    if night_staff is None or leader is None or tech_assignment is None:
        return 0
    provider = night_staff.provider
    if provider is None or leader.provider_id != provider.pk:
        return 0
    tech = tech_assignment.user
    ensure_default_catalogue(municipality)
    order_type = OrderType.objects.filter(municipality=municipality, code="safety_camera").first()
    if order_type is None:
        return 0
    now = now or timezone.now()
    rng = random.Random(_SEED)
    # The night patrol looks in on the day teams' clients (as the alarm demo has it: night
    # staff are in the patrol, and only there); made here if the alarm demo has not yet.
    night_team, _new = Team.objects.get_or_create(
        provider=provider, code="NATT", defaults={"name": "Nattpatrullen"}
    )
    night_staff.teams.add(night_team)
    clients = list(
        Client.objects.filter(provider=provider, end_date__isnull=True, team__isnull=False)
        .exclude(phone="")
        .exclude(team=night_team)
        .order_by("pk")[: INSTALLED + 1]
    )
    if len(clients) < INSTALLED + 1:
        return 0
    with transaction.atomic():
        made = _seed(
            municipality, now, rng, night_staff.user, leader.user, tech, clients, order_type
        )
    # Tonight: make the look-ins, and raise the one whose window has already closed.
    make_lookins(now)
    raise_missed(now)
    return made


def _prepare(municipality: Municipality, client: Client, leader: User, since: dt.date) -> None:
    """What the routine asks before ordering: the night service allocated, the letter and
    the key receipt, and the client's consent."""
    service_type, _made = ServiceType.objects.get_or_create(
        municipality=municipality,
        code="NATTKAM",
        defaults={"name": "Nattillsyn via kamera", "category": ServiceCategory.NIGHT_SUPERVISION},
    )
    if not GrantedService.objects.filter(
        client=client, service_type__category=ServiceCategory.NIGHT_SUPERVISION
    ).exists():
        GrantedService.objects.create(
            client=client,
            service_type=service_type,
            provider=client.provider,
            case_system_id=f"NATTKAM-{client.pk}",
            granted_minutes=3,
            period="day",
            valid_from=since,
        )
    KeyReceipt.objects.create(
        municipality=municipality,
        client=client,
        keys="Lägenhetsnyckel och porttagg",
        holder=KeyHolder.PROVIDER,
        holder_provider=client.provider,
        handed_over_on=since,
        signed_by=leader.get_full_name() or leader.username,
        signed_how=SignedHow.PAPER,
        registered_by=leader,
    )
    Consent.objects.create(
        client=client,
        technology=Technology.CAMERA_SUPERVISION,
        given_by=client.full_name,
        relation=ConsentRelation.CLIENT,
        given_on=since,
        review_on=since + dt.timedelta(days=180),
    )


def _seed(
    municipality: Municipality,
    now: dt.datetime,
    rng: random.Random,
    night_worker: User,
    leader: User,
    tech: User,
    clients: list[Client],
    order_type: OrderType,
) -> int:
    today = municipality.local_date(now)
    cameras = [
        register_alarm_unit(
            tech,
            municipality,
            serial_number=f"DEMO-KAM-{n:03d}",
            model_name="Trygghetskamera IR, demo",
            protocol=AlarmProtocol.API,
            kind=AlarmUnitKind.SAFETY_CAMERA,
            heartbeat_interval=0,
        )
        for n in range(1, CAMERAS + 1)
    ]
    # The first clients have look-ins around now, so the round has something due whenever
    # the demo is opened; the rest keep ordinary night times.
    near = [
        [_near(now, municipality, -45), dt.time(3)],
        [_near(now, municipality, -5), dt.time(2)],
        [_near(now, municipality, 25), dt.time(4)],
    ]
    ordinary = [[dt.time(22), dt.time(1), dt.time(4)], [dt.time(23), dt.time(3)]]
    made = 0
    for n, client in enumerate(clients):
        placed_at = now - dt.timedelta(days=30 - n)
        placed = municipality.local_date(placed_at)
        _prepare(municipality, client, leader, placed - dt.timedelta(days=3))
        times = near[n] if n < len(near) else ordinary[n % 2]
        order = desk.place_order(
            leader,
            order_type,
            {
                "client": str(client.pk),
                "supervision_times": format_times(times),
                "start_date": (placed + dt.timedelta(days=7)).isoformat(),
                "keys": "Nyckel och porttagg i teamets nyckelskåp",
                "booking_contact": f"{client.full_name}, {client.phone}",
                "letter_swedish": "on",
                "letter_languages": ["Arabiska"] if n % 3 == 2 else [],
                "sign_languages": ["Arabiska"] if n % 3 == 2 else [],
            },
            provider=client.provider,
            clients=Client.objects.filter(pk=client.pk),
            now=placed_at,
        )
        if n >= INSTALLED:
            continue  # waiting for the welfare-technology team: its form offers the stock
        for step in order.steps.all():
            if not orders.hooks.hooks_for(order_type.code).is_form_step(step.title):
                desk.complete_step(tech, step)
        plan = orders.report_back(
            tech,
            order,
            orders.ReportBack(
                camera=cameras[n],
                installed_on=placed + dt.timedelta(days=5),
                sign_languages=["Arabiska"] if n % 3 == 2 else [],
                sign_placement=rng.choice(
                    ["I hallen utanför sovrummet", "På sovrumsdörrens insida", "Vid garderoben"]
                ),
                tested=True,
            ),
        )
        desk.change_status(tech, order, OrderStatus.DONE)
        plans.confirm_journal(leader, plan, now=placed_at + dt.timedelta(days=6))
        plan.consent = Consent.objects.filter(client=client).first()
        plan.review_on = today + dt.timedelta(days=rng.choice([20, 60, 150]))
        plan.save(update_fields=["consent", "review_on"])
        _history(plan, night_worker, now, rng)
        made += 1
    # One camera reported faulty last night: its look-ins are visits, a ticket is open.
    faulty = SupervisionPlan.objects.filter(municipality=municipality).order_by("-pk").first()
    if faulty is not None:
        rounds.report_camera_fault(
            night_worker, faulty, "Bilden svart sedan 02:00, lampan blinkar rött.", now=now
        )
    return made


def _history(plan: SupervisionPlan, worker: User, now: dt.datetime, rng: random.Random) -> None:
    """The past week's look-ins of the plan, mostly seen and fine, a few missed; with the
    sessions that saw them."""
    zone = plan.municipality.zone
    tonight = night_of(now, zone)
    rows = []
    sessions = []
    for back in range(HISTORY_NIGHTS, 0, -1):
        night = tonight - dt.timedelta(days=back)
        if night < plan.start_date:
            continue
        for time in plan.times.all():
            at = moment_of(night, time.at, zone)
            missed = rng.random() < 0.06
            done_at = at + dt.timedelta(minutes=rng.randint(1, 20))
            outcome = "" if missed else rng.choice([Outcome.SEEN_FINE] * 12 + [Outcome.NOT_SEEN])
            rows.append(
                LookIn(
                    plan=plan,
                    municipality_id=plan.municipality_id,
                    client_id=plan.client_id,
                    team_id=plan.night_team_id or plan.client.team_id,
                    night=night,
                    scheduled_at=at,
                    window_ends_at=at + dt.timedelta(minutes=plan.window_minutes),
                    status=LookInStatus.MISSED if missed else LookInStatus.DONE,
                    outcome=outcome,
                    done_at=None if missed else done_at,
                    done_by=None if missed else worker,
                )
            )
            if not missed:
                sessions.append(
                    CameraSession(
                        plan=plan,
                        client_id=plan.client_id,
                        user=worker,
                        started_at=done_at - dt.timedelta(seconds=40),
                        ends_at=done_at - dt.timedelta(seconds=10),
                        seconds=plan.session_seconds,
                    )
                )
    LookIn.objects.bulk_create(rows)
    CameraSession.objects.bulk_create(sessions)
