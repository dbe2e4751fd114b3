"""The back office's demo: a month to bill and a day to review, for `trygg seed --demo`.

- Last month, for every provider: the visits the granted services call for (personal care
  several times a week, meals every day, night visits, showers, cleaning, shopping), at
  realistic times, shared among each team's care workers; a few without the tag, a few
  corrected afterwards, a few where nobody was at home. The municipal provider's teams
  approved the month and the municipality locked it; Norrsken approved but is not locked;
  Lindgården has approved nothing yet.
- Yesterday, for the municipal provider's team Norr (the `omsorg` and `teamledare` logins):
  a day of visits sent through the sync as phones send them, so review has something to
  work through: a visit without the tag, a very short one, a task nobody granted, a late
  sync, an overlap, two staff together, a client not at home; a few corrected afterwards
  (a forgotten scan-out, a duplicate struck out) and one flag cleared by the team leader.

Written once: a second run finds the first visit's id and makes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.models import Client, GrantedService, Municipality, Provider, RoleAssignment, User
from trygg.devices.models import NfcTag
from trygg.devices.tags import DEFAULT_TAG_MODEL
from trygg.lib import tagcodes
from trygg.lib.bulkinsert import insert_rows

from . import corrections
from .billing import add_months, month_end, month_start
from .models import (
    CorrectionReason,
    FlagKind,
    NoTagReason,
    Outcome,
    PeriodLock,
    Presence,
    Visit,
    VisitApproval,
    VisitCorrection,
    VisitFlag,
    VisitTask,
)
from .services import Calendar, Registrar, share_minutes
from .sync import sync

DEMO_SEED = 20261207
_NAMESPACE = uuid.UUID("6f2d9a4e-1c1b-4f0e-9a57-3e1f00c0ffee")
VISITED = ("PERS", "DUSCH", "SERV", "INKOP", "NATT", "MAT")
_STAFF_ROLES = (Role.CARE_WORKER, Role.NIGHT_SUPERVISOR, Role.TEAM_LEADER)


def _uuid(municipality: Municipality, n: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"demo-visit-{municipality.pk}-{n}")


def seed_demo(municipality: Municipality, today: dt.date | None = None) -> dict[str, int]:
    """Make the month and the day once; returns what it made (nothing the second time)."""
    if Visit.objects.filter(uuid__in=[_uuid(municipality, 0), _uuid(municipality, 1000)]).exists():
        return {}
    today = today or municipality.today()
    rng = random.Random(DEMO_SEED)
    with transaction.atomic():
        month = _Month(municipality, rng, today)
        made = month.make()
        made.update(_day(municipality, rng, today))
    return made


# Last month -----------------------------------------------------------------------------


@dataclass
class _Planned:
    client: Client
    team_id: int | None
    code: str
    start: dt.datetime
    minutes: int
    night: bool


class _Month:
    def __init__(self, municipality: Municipality, rng: random.Random, today: dt.date) -> None:
        self.municipality = municipality
        self.rng = rng
        self.today = today
        self.zone = municipality.zone
        self.first = add_months(month_start(today), -1)
        # Yesterday is the demo's day to review: the month stops before it.
        self.last = min(month_end(self.first), today - dt.timedelta(days=2))
        self.calendar = Calendar(municipality)
        self.serial = 1000  # the day's visits are 0 to 999
        self.welfare_tech = _first_user(municipality, [Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN])

    def make(self) -> dict[str, int]:
        counts = {"visits": 0, "corrections": 0, "approvals": 0}
        if self.last < self.first:
            return counts
        for provider in Provider.objects.filter(municipality=self.municipality).order_by("pk"):
            made = self._provider(provider)
            for key, n in made.items():
                counts[key] += n
        return counts

    def _provider(self, provider: Provider) -> dict[str, int]:
        clients = {
            c.pk: c
            for c in Client.objects.filter(provider=provider, start_date__lte=self.last).exclude(
                end_date__lt=self.first
            )
        }
        grants = list(
            GrantedService.objects.filter(
                provider=provider, client_id__in=clients, service_type__code__in=VISITED
            ).select_related("service_type")
        )
        if not grants:
            return {}
        tags = _tags_at_doors(
            self.welfare_tech, list(clients.values()), self.first - dt.timedelta(days=60)
        )
        planned = self._plan(grants, clients)
        staff = _staff_by_team(provider)
        visits, tasks_by_visit = self._assign(provider, planned, staff, tags)
        insert_rows(visits)
        tasks: list[VisitTask] = []
        for visit in visits:
            for task in tasks_by_visit[id(visit)]:
                task.visit_id = visit.pk
                tasks.append(task)
        insert_rows(tasks)
        made = {"visits": len(visits), "corrections": self._afterwards(visits), "approvals": 0}
        made["approvals"] = self._approve_and_lock(provider, staff)
        return made

    def _plan(self, grants: list[GrantedService], clients: dict[int, Client]) -> list[_Planned]:
        rng, planned = self.rng, []
        day = self.first
        while day <= self.last:
            weekday = day.weekday()
            for grant in grants:
                client = clients[grant.client_id]
                if not grant.is_active_on(day) or not client.is_active_on(day):
                    continue
                code, minutes = grant.service_type.code, grant.granted_minutes
                slots: list[tuple[dt.time, int]] = []
                if code == "PERS":
                    per_week = max(1, min(14, round(minutes / 60)))
                    each = max(10, minutes // per_week)
                    if per_week >= 7:
                        slots.append((dt.time(7, 30), each))
                        if per_week >= 10 and weekday < (per_week - 7):
                            slots.append((dt.time(19, 0), each))
                    elif weekday in _spread(per_week, client.pk):
                        slots.append((dt.time(8, 30), each))
                elif code == "DUSCH" and weekday == client.pk % 5:
                    slots.append((dt.time(10, 0), minutes))
                elif code == "INKOP" and weekday == (client.pk + 2) % 5:
                    slots.append((dt.time(13, 0), minutes))
                elif code == "SERV" and day.day in (8, 22):
                    slots.append((dt.time(10, 30), max(15, minutes // 2)))
                elif code == "NATT":
                    slots.append((dt.time(23, 0), minutes))
                elif code == "MAT" and weekday in (0, 2, 4):
                    # Chilled meals three times a week, the granted days' worth each time.
                    slots.append((dt.time(11, 30), minutes * (3 if weekday == 4 else 2)))
                for at, length in slots:
                    start = dt.datetime.combine(day, at, tzinfo=self.zone) + dt.timedelta(
                        minutes=rng.randint(0, 90)
                    )
                    planned.append(
                        _Planned(
                            client,
                            client.team_id,
                            code,
                            start,
                            max(2, round(length * rng.uniform(0.8, 1.15))),
                            at.hour >= 22,
                        )
                    )
            day += dt.timedelta(days=1)
        planned.sort(key=lambda p: p.start)
        return planned

    def _assign(
        self,
        provider: Provider,
        planned: list[_Planned],
        staff: dict[int | None, list[int]],
        tags: dict[int, NfcTag],
    ) -> tuple[list[Visit], dict[int, list[VisitTask]]]:
        """Each planned visit to the team's first free care worker (or the next in turn
        when all are busy), with what a phone would have sent."""
        rng = self.rng
        free_at: dict[int, dt.datetime] = {}
        turn: dict[int | None, int] = defaultdict(int)
        visits: list[Visit] = []
        tasks: dict[int, list[VisitTask]] = {}
        grant_ids = {
            (client_id, code): pk
            for pk, client_id, code in GrantedService.objects.filter(provider=provider).values_list(
                "pk", "client_id", "service_type__code"
            )
        }
        type_ids = dict(
            GrantedService.objects.filter(provider=provider).values_list(
                "service_type__code", "service_type_id"
            )
        )
        everyone = [pk for team in staff.values() for pk in team]
        for plan in planned:
            team_staff = staff.get(plan.team_id) or everyone
            if not team_staff:
                continue
            end = plan.start + dt.timedelta(minutes=plan.minutes)
            staff_id = next(
                (pk for pk in team_staff if free_at.get(pk, plan.start) <= plan.start), None
            )
            if staff_id is None:
                staff_id = team_staff[turn[plan.team_id] % len(team_staff)]
                turn[plan.team_id] += 1
            free_at[staff_id] = end + dt.timedelta(minutes=10)
            outcome = Outcome.NOT_HOME if rng.random() < 0.015 else Outcome.PERFORMED
            proven = rng.random()
            arrival = (
                Presence.TAG
                if proven < 0.93
                else Presence.QR
                if proven < 0.95
                else Presence.CODE
                if proven < 0.96
                else Presence.NONE
            )
            tag = tags.get(plan.client.pk) if arrival != Presence.NONE else None
            if arrival != Presence.NONE and tag is None:
                arrival = Presence.NONE
            ended = end if outcome == Outcome.PERFORMED else plan.start
            day, band = self.calendar.place(plan.start)
            minutes = plan.minutes if outcome == Outcome.PERFORMED else 0
            visit = Visit(
                uuid=_uuid(self.municipality, self.serial),
                municipality_id=self.municipality.pk,
                provider_id=provider.pk,
                team_id=plan.team_id,
                client_id=plan.client.pk,
                staff_id=staff_id,
                started_at=plan.start.astimezone(dt.UTC),
                ended_at=ended.astimezone(dt.UTC),
                minutes=minutes,
                local_date=day,
                band=band,
                outcome=outcome,
                arrival=arrival,
                departure=arrival,
                tag=tag,
                no_tag_reason=rng.choice([NoTagReason.TAG_MISSING, NoTagReason.PHONE_FAULT])
                if arrival == Presence.NONE
                else "",
                phone_clock_offset=rng.randint(-20, 20),
                synced_at=ended.astimezone(dt.UTC) + dt.timedelta(minutes=rng.randint(1, 40)),
            )
            self.serial += 1
            visits.append(visit)
            tasks[id(visit)] = (
                [
                    VisitTask(
                        service_type_id=type_ids[plan.code],
                        granted_service_id=grant_ids.get((plan.client.pk, plan.code)),
                        minutes=share_minutes(minutes, 1)[0],
                    )
                ]
                if outcome == Outcome.PERFORMED
                else []
            )
        return visits, tasks

    def _afterwards(self, visits: list[Visit]) -> int:
        """What review did with the month: a forgotten scan-out corrected now and then,
        every visit without the tag flagged and cleared by the team leader."""
        rng, now = self.rng, timezone.now()
        leader = {
            a.provider_id: a.user
            for a in RoleAssignment.objects.filter(
                municipality=self.municipality, role=Role.TEAM_LEADER
            ).select_related("user")
        }
        flags: list[VisitFlag] = []
        fixes: list[VisitCorrection] = []
        for visit in visits:
            who = leader.get(visit.provider_id)
            if who is None:
                continue
            if visit.arrival == Presence.NONE:
                flags.append(
                    VisitFlag(
                        visit_id=visit.pk,
                        kind=FlagKind.NO_TAG,
                        detail=visit.get_no_tag_reason_display(),
                        raised_at=visit.synced_at,
                        cleared_at=min(now, visit.synced_at + dt.timedelta(days=1)),
                        cleared_by=who,
                        clear_note="Taggen saknades vid besöket; ny tagg beställd.",
                    )
                )
            if visit.outcome == Outcome.PERFORMED and rng.random() < 0.03:
                before = corrections.snapshot(visit, [])
                early = visit.started_at + dt.timedelta(minutes=1)
                before.update(ended_at=early.isoformat(), minutes=1)
                after = corrections.snapshot(visit, [])
                fixes.append(
                    VisitCorrection(
                        visit_id=visit.pk,
                        at=min(now, visit.synced_at + dt.timedelta(hours=3)),
                        by_id=visit.staff_id,
                        reason=CorrectionReason.FORGOT_SCAN,
                        before=before,
                        after=after,
                    )
                )
        VisitFlag.objects.bulk_create(flags, batch_size=500)
        VisitCorrection.objects.bulk_create(fixes, batch_size=500)
        Visit.objects.filter(pk__in=[fix.visit_id for fix in fixes]).update(corrected=True)
        return len(fixes)

    def _approve_and_lock(self, provider: Provider, staff: dict[int | None, list[int]]) -> int:
        """Hemtjänsten (the municipality's own) approved and is locked; Norrsken approved;
        Lindgården has not approved yet."""
        if "Lindgård" in provider.name:
            return 0
        approver = _first_user(self.municipality, [Role.TEAM_LEADER], provider=provider)
        if approver is None:
            return 0
        made = 0
        for team_id in staff:
            if team_id is None:
                continue
            approval = VisitApproval.objects.create(
                provider=provider,
                team_id=team_id,
                first_day=self.first,
                last_day=self.last,
                approved_by=approver,
                approved_at=min(
                    timezone.now(),
                    dt.datetime.combine(self.last, dt.time(15), tzinfo=self.zone)
                    + dt.timedelta(days=2),
                ),
            )
            Visit.objects.filter(team_id=team_id).between(self.first, self.last).update(
                approval=approval
            )
            made += 1
        admin = _first_user(self.municipality, [Role.MUNICIPAL_ADMIN])
        if provider.kind == "municipal" and admin is not None:
            PeriodLock.objects.create(
                provider=provider, locked_through=self.last, set_by=admin, set_at=timezone.now()
            )
        return made


def _spread(per_week: int, seed: int) -> set[int]:
    """`per_week` weekdays (0-6) spread over the week, shifted per client."""
    step = 7 / per_week
    return {(round(i * step) + seed) % 7 for i in range(per_week)}


def _first_user(
    municipality: Municipality, roles: list[str], provider: Provider | None = None
) -> User | None:
    assignments = RoleAssignment.objects.filter(
        municipality=municipality, role__in=roles, user__is_active=True
    )
    if provider is not None:
        assignments = assignments.filter(provider=provider)
    found = assignments.select_related("user").order_by("role", "user_id").first()
    return found.user if found else None


def _staff_by_team(provider: Provider) -> dict[int | None, list[int]]:
    """Care workers per team (who goes out to clients), in a fixed order."""
    teams: dict[int | None, list[int]] = defaultdict(list)
    for assignment in (
        RoleAssignment.objects.filter(
            provider=provider, role=Role.CARE_WORKER, user__is_active=True
        )
        .prefetch_related("teams")
        .order_by("user_id")
    ):
        for team in assignment.teams.all() or [None]:
            if assignment.user_id not in teams[team.pk if team else None]:
                teams[team.pk if team else None].append(assignment.user_id)
    return teams


def _tags_at_doors(
    actor: User | None, clients: list[Client], placed_on: dt.date
) -> dict[int, NfcTag]:
    """Each client's tag, put up by the welfare-technology team where there is none (as
    `devices.tags.place_tag` does, in one statement: the demo's whole city at once)."""
    found = {
        tag.client_id: tag
        for tag in NfcTag.objects.filter(client__in=clients, retired_on__isnull=True)
        if tag.client_id is not None
    }
    missing = [client for client in clients if client.pk not in found]
    if not missing:
        return found
    taken = set(
        NfcTag.objects.filter(municipality_id=missing[0].municipality_id).values_list(
            "code", flat=True
        )
    )
    tags = []
    for client in missing:
        code = tagcodes.generate()
        while code in taken:
            code = tagcodes.generate()
        taken.add(code)
        tags.append(
            NfcTag(
                municipality_id=client.municipality_id,
                model_name=DEFAULT_TAG_MODEL,
                code=code,
                client=client,
                location="Innanför ytterdörren",
                placed_on=placed_on,
                registered_by=actor,
            )
        )
    for tag in NfcTag.objects.bulk_create(tags, batch_size=500):
        assert tag.client_id is not None
        found[tag.client_id] = tag
    return found


# Yesterday ------------------------------------------------------------------------------


def _not_granted(client: Client) -> str:
    """A task the client has no granted service for (the visit review then flags)."""
    granted = set(client.granted_services.values_list("service_type__code", flat=True))
    return next(code for code in ("DUSCH", "INKOP", "SERV", "NATT", "MAT") if code not in granted)


def _day(municipality: Municipality, rng: random.Random, today: dt.date) -> dict[str, int]:
    """Team Norr's yesterday, through the sync, with what review then did."""
    yesterday = today - dt.timedelta(days=1)
    omsorg = User.objects.filter(username="omsorg").first()
    leader = User.objects.filter(username="teamledare").first()
    if omsorg is None or leader is None:
        return {}
    assignment = RoleAssignment.objects.filter(user=omsorg, municipality=municipality).first()
    if assignment is None or assignment.provider_id is None:
        return {}
    # The home-care team (a care worker may also be on an alarm patrol, which has no clients).
    team = assignment.teams.filter(clients__isnull=False).distinct().order_by("pk").first()
    colleagues = [
        a.user
        for a in RoleAssignment.objects.filter(
            provider_id=assignment.provider_id, role=Role.CARE_WORKER, teams=team
        )
        .exclude(user=omsorg)
        .select_related("user")
        .order_by("user_id")[:3]
    ]
    clients = list(
        Client.objects.filter(provider_id=assignment.provider_id, team=team)
        .filter(granted_services__service_type__code="PERS")
        .active_on(yesterday)
        .distinct()
        .order_by("last_name", "pk")[:24]
    )
    if len(clients) < 12 or len(colleagues) < 2:
        return {}
    tags = _tags_at_doors(
        _first_user(municipality, [Role.WELFARE_TECH]), clients, yesterday - dt.timedelta(days=90)
    )
    zone = municipality.zone

    def at(hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(yesterday, dt.time(hour, minute), tzinfo=zone)

    def item(
        n: int, client: Client, start: dt.datetime, minutes: int, **fields: Any
    ) -> dict[str, Any]:
        code = tags[client.pk].code
        body: dict[str, Any] = {
            "id": str(_uuid(municipality, n)),
            "client_id": client.pk,
            "arrival": {"at": start.isoformat(), "by": "tag", "tag": code},
            "departure": {
                "at": (start + dt.timedelta(minutes=minutes)).isoformat(),
                "by": "tag",
                "tag": code,
            },
            "tasks": ["PERS"],
        }
        body.update(fields)
        return body

    evening = at(16, 30)
    c = clients
    mine = [
        item(0, c[0], at(7, 30), 35),
        item(
            1,
            c[1],
            at(8, 15),
            25,
            arrival={"at": at(8, 15).isoformat(), "by": "none"},
            departure={"at": at(8, 40).isoformat(), "by": "none"},
            no_tag_reason="tag_missing",
        ),
        item(2, c[2], at(9, 0), 1),  # forgot to scan out: corrected below
        item(3, c[3], at(9, 45), 30, tasks=["PERS", _not_granted(c[3])]),
        item(4, c[4], at(10, 40), 2),  # very short
        item(5, c[5], at(11, 30), 8, tasks=["MAT"]),
        item(6, c[6], at(13, 0), 40, partner_id=colleagues[0].pk),
        item(7, c[7], at(14, 0), 0, outcome="not_home", departure=None, tasks=[]),
        item(8, c[8], at(14, 20), 30),
        item(9, c[9], at(14, 35), 20),  # overlaps the one before
    ]
    made = 0
    [*answers] = sync(Registrar.for_user(omsorg), evening, mine, received_at=evening).items
    made += sum(1 for a in answers if a.status == "accepted")
    others: list[tuple[User, list[dict[str, Any]], dt.datetime]] = []
    n, long_n, duplicate_n = 20, 0, 0
    for index, colleague in enumerate(colleagues):
        batch = []
        for slot in range(5):
            client = c[10 + (index * 5 + slot) % (len(c) - 10)]
            start = at(7 + slot * 2, 10 * index)
            batch.append(item(n, client, start, rng.randint(20, 45)))
            n += 1
        if index == 0:
            long_n, duplicate_n = n, n + 1
            batch.append(item(long_n, c[10], at(17, 0), 150))  # very long: cleared below
            batch.append(item(duplicate_n, c[10], at(17, 5), 140))  # twice: struck out below
            n += 2
        received = evening if index < 2 else evening + dt.timedelta(hours=14)  # late sync
        others.append((colleague, batch, received))
    for colleague, batch, received in others:
        result = sync(Registrar.for_user(colleague), received, batch, received_at=received)
        made += result.count("accepted")

    # Review the next morning: a forgotten scan-out corrected, a duplicate struck out, a
    # planned long visit cleared with a note.
    morning = timezone.now()
    forgot = Visit.objects.filter(uuid=_uuid(municipality, 2)).first()
    if forgot is not None:
        corrections.correct_visit(
            omsorg,
            forgot,
            corrections.Change(
                started_at=forgot.started_at,
                ended_at=forgot.started_at + dt.timedelta(minutes=28),
                outcome=Outcome.PERFORMED,
                tasks=("PERS",),
                client_id=forgot.client_id,
            ),
            CorrectionReason.FORGOT_SCAN,
            "Glömde skanna ut, gick 09.28",
            now=morning,
        )
    duplicate = Visit.objects.filter(uuid=_uuid(municipality, duplicate_n)).first()
    if duplicate is not None:
        corrections.strike_visit(
            leader, duplicate, CorrectionReason.REGISTERED_TWICE, "Samma besök två gånger"
        )
    long = Visit.objects.filter(uuid=_uuid(municipality, long_n)).first()
    if long is not None:
        corrections.clear_flags(
            leader,
            list(long.flags.filter(kind=FlagKind.LONG)),
            "Planerat längre besök: storstädning efter sjukhusvistelse",
        )
    return {"visits yesterday": made}
