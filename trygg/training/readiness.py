"""Who needs which training, and whether a starting provider keeps the one-week margin.

Borås's routine (§5): the service desk trains work leaders, operations managers and support
users in teacher-led sessions; everyone else takes a web course. "Utbildningen skall vara
genomförd senast en vecka innan överenskommen verksamhetsstart": the deadline is the start
date minus `MARGIN_DAYS`, and training completed on the deadline itself keeps the margin.

Everything here reads; nothing writes. `provider_training` answers for a list of providers
in a fixed number of queries, so the municipality's overview costs the same for three
starting providers as for thirty.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trygg.core.constants import Role
from trygg.core.models import Provider, RoleAssignment, User

from .constants import MARGIN_DAYS, TEACHER_LED_ROLES, Need, PersonState, Readiness
from .models import Booking, StartPlan, SupportUser, WebCourseCompletion


def needed_training(roles: Iterable[str], support_user: bool = False) -> Need:
    """Teacher-led training for managers, work leaders and support users; the web course
    for everyone else."""
    if support_user or set(roles) & TEACHER_LED_ROLES:
        return Need.TEACHER_LED
    return Need.WEB_COURSE


def deadline_for(starts_on: dt.date) -> dt.date:
    """The last day training may be completed and still keep the one-week margin."""
    return starts_on - dt.timedelta(days=MARGIN_DAYS)


def staff_of(provider: Provider) -> QuerySet[User]:
    """The people working for a provider now: an active login with a role there."""
    return (
        User.objects.filter(role_assignments__provider=provider, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


@dataclass
class PersonTraining:
    """One person at a provider: what they need and where they stand."""

    person: User
    roles: list[str]
    support_user: bool
    need: Need
    state: PersonState
    completed_on: dt.date | None = None
    # The booking that decides the state: the upcoming (or not yet recorded) one, else the
    # last one they missed. A completion made through another provider has none here.
    booking: Booking | None = None
    web_course: WebCourseCompletion | None = None

    @property
    def role_labels(self) -> list[str]:
        labels = [str(Role(role).label) for role in sorted(self.roles)]
        if self.support_user:
            labels.append(_("Support user"))
        return labels

    @property
    def done(self) -> bool:
        return self.state == PersonState.DONE

    @property
    def state_label(self) -> str:
        return str(PersonState(self.state).label)

    @property
    def need_label(self) -> str:
        return str(Need(self.need).label)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass
class ProviderTraining:
    """A provider's training and, with a start date, its readiness for the start."""

    provider: Provider
    plan: StartPlan | None
    today: dt.date
    people: list[PersonTraining] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    status: Readiness | None = None
    deadline: dt.date | None = None
    # Days between the training's completion and the start: the actual margin once all is
    # done, the planned one while every missing person is booked; None otherwise.
    margin_days: int | None = None
    completed_on: dt.date | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def days_to_deadline(self) -> int | None:
        if self.deadline is None:
            return None
        return (self.deadline - self.today).days

    @property
    def days_overdue(self) -> int:
        """Days since the deadline passed (0 while it has not)."""
        left = self.days_to_deadline
        return -left if left is not None and left < 0 else 0

    @property
    def days_to_start(self) -> int | None:
        if self.plan is None:
            return None
        return (self.plan.starts_on - self.today).days

    @property
    def teacher_led(self) -> list[PersonTraining]:
        return [p for p in self.people if p.need == Need.TEACHER_LED]

    @property
    def web_course(self) -> list[PersonTraining]:
        return [p for p in self.people if p.need == Need.WEB_COURSE]

    @property
    def web_course_missing(self) -> list[PersonTraining]:
        return [p for p in self.web_course if not p.done]

    @property
    def web_course_done(self) -> list[PersonTraining]:
        done = [p for p in self.web_course if p.done]
        return sorted(done, key=lambda p: p.completed_on or dt.date.min, reverse=True)

    @property
    def teacher_led_done(self) -> int:
        return sum(1 for p in self.teacher_led if p.done)

    @property
    def web_course_done_count(self) -> int:
        return sum(1 for p in self.web_course if p.done)

    @property
    def status_label(self) -> str:
        return str(Readiness(self.status).label) if self.status else ""

    @property
    def warning(self) -> bool:
        return self.status in (Readiness.AT_RISK, Readiness.LATE)


def provider_training(
    providers: Sequence[Provider], today: dt.date | None = None
) -> list[ProviderTraining]:
    """Each provider's people, bookings and readiness, in the order given. `today` is the
    municipal clock's day (each provider's municipality's own when not given)."""
    if not providers:
        return []
    ids = [p.pk for p in providers]
    plans = {plan.provider_id: plan for plan in StartPlan.objects.filter(provider_id__in=ids)}
    roles: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    people: dict[int, User] = {}
    assignments = RoleAssignment.objects.filter(
        provider_id__in=ids, user__is_active=True
    ).select_related("user")
    for assignment in assignments:
        assert assignment.provider_id is not None
        roles[assignment.provider_id][assignment.user_id].add(assignment.role)
        people[assignment.user_id] = assignment.user
    support = set(
        SupportUser.objects.filter(provider_id__in=ids).values_list("provider_id", "person_id")
    )
    municipality_ids = {p.municipality_id for p in providers}
    # A teacher-led session attended counts wherever it was booked in the municipality:
    # the person knows the systems. The first attendance is when they were trained.
    attended: dict[tuple[int, int], dt.date] = {}
    for booking in (
        Booking.objects.active()
        .filter(person_id__in=people, attended=True, session__municipality_id__in=municipality_ids)
        .select_related("session__municipality")
    ):
        key = (booking.session.municipality_id, booking.person_id)
        day = booking.session.local_date
        attended[key] = min(day, attended.get(key, day))
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for booking in (
        Booking.objects.active()
        .filter(provider_id__in=ids)
        .select_related("session__municipality", "person", "booked_by", "attendance_recorded_by")
        .order_by("session__starts_at", "pk")
    ):
        bookings[booking.provider_id].append(booking)
    web = {
        (c.municipality_id, c.person_id): c
        for c in WebCourseCompletion.objects.filter(
            person_id__in=people, municipality_id__in=municipality_ids
        ).select_related("recorded_by")
    }

    result = []
    for provider in providers:
        day = today if today is not None else provider.municipality.today()
        held = roles.get(provider.pk, {})
        entries = []
        for person_id, person_roles in held.items():
            entries.append(
                _person(
                    people[person_id],
                    person_roles,
                    (provider.pk, person_id) in support,
                    attended.get((provider.municipality_id, person_id)),
                    [b for b in bookings.get(provider.pk, []) if b.person_id == person_id],
                    web.get((provider.municipality_id, person_id)),
                )
            )
        entries.sort(
            key=lambda p: (
                p.need != Need.TEACHER_LED,
                p.person.last_name,
                p.person.first_name,
                p.person.pk,
            )
        )
        training = ProviderTraining(
            provider=provider,
            plan=plans.get(provider.pk),
            today=day,
            people=entries,
            bookings=bookings.get(provider.pk, []),
        )
        _judge(training)
        result.append(training)
    return result


def _person(
    person: User,
    roles: set[str],
    support_user: bool,
    attended_on: dt.date | None,
    bookings: list[Booking],
    web_course: WebCourseCompletion | None,
) -> PersonTraining:
    need = needed_training(roles, support_user)
    entry = PersonTraining(
        person=person,
        roles=sorted(roles),
        support_user=support_user,
        need=need,
        state=PersonState.NOT_DONE,
        web_course=web_course,
    )
    if need == Need.WEB_COURSE:
        if web_course is not None:
            entry.state = PersonState.DONE
            entry.completed_on = web_course.completed_on
        # A care worker may be booked on a session too; it is shown, and counts only for
        # the teacher-led need.
        entry.booking = next((b for b in bookings if b.attended is not False), None)
        return entry
    waiting = [b for b in bookings if b.attended is None]
    missed = [b for b in bookings if b.attended is False]
    if attended_on is not None:
        entry.state = PersonState.DONE
        entry.completed_on = attended_on
        entry.booking = next((b for b in bookings if b.attended), None)
    elif waiting:
        entry.state = PersonState.BOOKED
        entry.booking = waiting[0]
    elif missed:
        entry.state = PersonState.ABSENT
        entry.booking = missed[-1]
    else:
        entry.state = PersonState.NOT_BOOKED
    return entry


def _judge(training: ProviderTraining) -> None:
    """Readiness against the start date: ready, at risk or late, with the reasons."""
    plan = training.plan
    if plan is None:
        return
    deadline = deadline_for(plan.starts_on)
    training.deadline = deadline
    today = training.today
    reasons = training.reasons
    teacher_led = training.teacher_led
    missing = [p for p in training.people if not p.done]
    done_late = [
        p for p in training.people if p.done and p.completed_on and p.completed_on > deadline
    ]

    if not teacher_led:
        reasons.append(
            Reason(
                "no_teacher_led",
                _(
                    "Nobody at the provider is a manager, work leader or support user: "
                    "there is nobody to book on the teacher-led training."
                ),
            )
        )
    not_booked = [p for p in teacher_led if p.state == PersonState.NOT_BOOKED]
    absent = [p for p in teacher_led if p.state == PersonState.ABSENT]
    booked = [p for p in teacher_led if p.state == PersonState.BOOKED]
    booked_late = [p for p in booked if p.booking and p.booking.session.local_date > deadline]
    web_missing = [p for p in training.web_course if not p.done]
    if not_booked:
        reasons.append(
            Reason(
                "not_booked",
                ngettext(
                    "%(count)d person who needs the teacher-led training is not booked.",
                    "%(count)d people who need the teacher-led training are not booked.",
                    len(not_booked),
                )
                % {"count": len(not_booked)},
            )
        )
    if absent:
        reasons.append(
            Reason(
                "absent",
                ngettext(
                    "%(count)d person did not attend their session and needs a new booking.",
                    "%(count)d people did not attend their session and need a new booking.",
                    len(absent),
                )
                % {"count": len(absent)},
            )
        )
    if booked_late:
        reasons.append(
            Reason(
                "booked_after_deadline",
                ngettext(
                    "%(count)d person is booked on a session after %(deadline)s, too late "
                    "for the week's margin.",
                    "%(count)d people are booked on a session after %(deadline)s, too late "
                    "for the week's margin.",
                    len(booked_late),
                )
                % {"count": len(booked_late), "deadline": deadline.isoformat()},
            )
        )
    waiting = [p for p in booked if p not in booked_late]
    if waiting:
        reasons.append(
            Reason(
                "booked_not_completed",
                ngettext(
                    "%(count)d person is booked but has not completed the training yet.",
                    "%(count)d people are booked but have not completed the training yet.",
                    len(waiting),
                )
                % {"count": len(waiting)},
            )
        )
    if web_missing:
        reasons.append(
            Reason(
                "web_course_missing",
                ngettext(
                    "%(count)d person has not completed the web course.",
                    "%(count)d people have not completed the web course.",
                    len(web_missing),
                )
                % {"count": len(web_missing)},
            )
        )
    if done_late:
        reasons.append(
            Reason(
                "completed_late",
                ngettext(
                    "%(count)d person completed their training after %(deadline)s.",
                    "%(count)d people completed their training after %(deadline)s.",
                    len(done_late),
                )
                % {"count": len(done_late), "deadline": deadline.isoformat()},
            )
        )

    if teacher_led and not missing:
        completed = max(p.completed_on for p in training.people if p.completed_on)
        training.completed_on = completed
        training.margin_days = (plan.starts_on - completed).days
        training.status = Readiness.READY if completed <= deadline else Readiness.LATE
        return
    if booked and not not_booked and not absent and not web_missing:
        latest = max(p.booking.session.local_date for p in booked if p.booking)
        training.margin_days = (plan.starts_on - latest).days
    if today > deadline:
        reasons.insert(
            0,
            Reason(
                "deadline_passed",
                _("The training was to be completed by %(deadline)s.")
                % {"deadline": deadline.isoformat()},
            ),
        )
        training.status = Readiness.LATE
    elif booked_late or done_late:
        training.status = Readiness.LATE
    else:
        training.status = Readiness.AT_RISK
