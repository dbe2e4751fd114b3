"""Correcting a visit afterwards: the original is kept with who, when and why; the visit's
figures and the flags a correction can settle are worked out again; locks and the right
people decide who may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from trygg.core.constants import Role
from trygg.core.tests.factories import make_staff
from trygg.notifications.models import Notification
from trygg.visits import corrections, periods
from trygg.visits.corrections import Change, CorrectionRefused
from trygg.visits.models import (
    Band,
    CorrectionReason,
    FlagKind,
    Outcome,
    PeriodLock,
    Visit,
    VisitCorrection,
    VisitFlag,
    VisitTask,
)

from .conftest import NOON, Place
from .office import admin_of, flags_of, register, south_leader

pytestmark = pytest.mark.django_db
STOCKHOLM = dt.timezone(dt.timedelta(hours=1))  # December: CET
LATER = NOON + dt.timedelta(days=1)


def change(visit: Visit, **fields: object) -> Change:
    values: dict[str, object] = {
        "started_at": visit.started_at,
        "ended_at": visit.ended_at,
        "outcome": visit.outcome,
        "tasks": tuple(visit.tasks.values_list("service_type__code", flat=True)),
        "client_id": visit.client_id,
    }
    values.update(fields)
    return Change(**values)  # type: ignore[arg-type]


def shares(visit: Visit) -> dict[str, int]:
    return dict(VisitTask.objects.filter(visit=visit).values_list("service_type__code", "minutes"))


def test_a_correction_keeps_the_original_with_who_when_and_why(place: Place) -> None:
    visit = register(place, minutes=30, tasks=["PERS", "STAD"])
    start = NOON + dt.timedelta(minutes=10)
    corrections.correct_visit(
        place.worker,
        visit,
        change(visit, started_at=start, ended_at=start + dt.timedelta(minutes=45)),
        CorrectionReason.WRONG_TIME,
        "Glömde skanna ut",
        now=LATER,
    )
    visit.refresh_from_db()
    assert visit.minutes == 45
    assert visit.corrected
    assert shares(visit) == {"PERS": 23, "STAD": 22}
    [record] = VisitCorrection.objects.filter(visit=visit)
    assert (record.by, record.at, record.reason, record.note) == (
        place.worker,
        LATER,
        CorrectionReason.WRONG_TIME,
        "Glömde skanna ut",
    )
    assert record.before["started_at"] == NOON.isoformat()
    assert record.before["minutes"] == 30
    assert record.before["tasks"] == ["PERS", "STAD"]
    assert record.after["started_at"] == start.isoformat()
    assert record.after["minutes"] == 45


def test_each_correction_starts_from_the_last_and_the_first_keeps_the_original(
    place: Place,
) -> None:
    visit = register(place, minutes=30)
    for minutes in (40, 50):
        visit.refresh_from_db()
        corrections.correct_visit(
            place.worker,
            visit,
            change(visit, ended_at=NOON + dt.timedelta(minutes=minutes)),
            CorrectionReason.WRONG_TIME,
            now=LATER,
        )
    first, second = VisitCorrection.objects.filter(visit=visit).order_by("pk")
    assert (first.before["minutes"], first.after["minutes"]) == (30, 40)
    assert (second.before["minutes"], second.after["minutes"]) == (40, 50)


def test_the_date_and_time_band_follow_the_corrected_time(place: Place) -> None:
    visit = register(place)
    evening = dt.datetime(2026, 12, 2, 22, 30, tzinfo=STOCKHOLM)
    corrections.correct_visit(
        place.worker,
        visit,
        change(visit, started_at=evening, ended_at=evening + dt.timedelta(minutes=20)),
        CorrectionReason.WRONG_TIME,
        now=LATER,
    )
    visit.refresh_from_db()
    assert (visit.local_date, visit.band) == (dt.date(2026, 12, 2), Band.EVENING_NIGHT)
    saturday = dt.datetime(2026, 12, 5, 9, 0, tzinfo=STOCKHOLM)
    corrections.correct_visit(
        place.worker,
        visit,
        change(visit, started_at=saturday, ended_at=saturday + dt.timedelta(minutes=20)),
        CorrectionReason.WRONG_TIME,
        now=LATER + dt.timedelta(days=4),
    )
    visit.refresh_from_db()
    assert (visit.local_date, visit.band) == (dt.date(2026, 12, 5), Band.WEEKEND_HOLIDAY)


def test_a_correction_that_fixes_the_cause_clears_the_flag_and_others_remain(
    place: Place,
) -> None:
    visit = register(place, client=place.south_client, minutes=1)  # no tag at that door
    assert flags_of(visit) == {FlagKind.SHORT, FlagKind.NO_TAG}
    corrections.correct_visit(
        south_leader(place),
        visit,
        change(visit, ended_at=NOON + dt.timedelta(minutes=25)),
        CorrectionReason.FORGOT_SCAN,
        now=LATER,
    )
    assert flags_of(visit) == {FlagKind.NO_TAG}
    short = VisitFlag.objects.get(visit=visit, kind=FlagKind.SHORT)
    assert short.cleared_at == LATER
    assert short.clear_note == "Settled by a correction: Forgot to scan in or out"


def test_a_task_without_a_granted_service_is_flagged_and_settled_by_a_correction(
    place: Place,
) -> None:
    visit = register(place, tasks=["PERS"])
    corrections.correct_visit(
        place.worker, visit, change(visit, tasks=("PERS", "MAT")), "wrong_tasks", now=LATER
    )
    assert flags_of(visit) == {FlagKind.NO_GRANT}
    assert VisitTask.objects.get(visit=visit, service_type__code="MAT").granted_service is None
    assert VisitTask.objects.get(visit=visit, service_type__code="PERS").granted_service
    corrections.correct_visit(
        place.worker, visit, change(visit, tasks=("PERS",)), "wrong_tasks", now=LATER
    )
    assert flags_of(visit) == set()
    assert shares(visit) == {"PERS": 30}


def test_moving_a_visit_off_another_settles_the_overlap_of_both(place: Place) -> None:
    first = register(place, minutes=30)
    second = register(
        place, client=place.second_client, start=NOON + dt.timedelta(minutes=20), minutes=30
    )
    # The sync flags the visit that came second (it writes flags on what it stores).
    assert FlagKind.OVERLAP in flags_of(second)
    corrections.correct_visit(
        place.worker,
        second,
        change(second, started_at=NOON, ended_at=NOON + dt.timedelta(minutes=10)),
        CorrectionReason.WRONG_TIME,
        now=LATER,
    )
    # Still overlapping: now both are flagged, as a correction works out both sides.
    assert FlagKind.OVERLAP in flags_of(first)
    assert FlagKind.OVERLAP in flags_of(second)
    second.refresh_from_db()
    moved = NOON + dt.timedelta(minutes=30)
    corrections.correct_visit(
        place.worker,
        second,
        change(second, started_at=moved, ended_at=moved + dt.timedelta(minutes=30)),
        CorrectionReason.WRONG_TIME,
        now=LATER,
    )
    assert FlagKind.OVERLAP not in flags_of(first)
    assert FlagKind.OVERLAP not in flags_of(second)


def test_striking_out_keeps_the_registration_and_it_no_longer_counts(place: Place) -> None:
    first = register(place)
    twice = register(place, start=NOON + dt.timedelta(minutes=5))
    assert FlagKind.OVERLAP in flags_of(twice)
    corrections.strike_visit(place.worker, twice, CorrectionReason.REGISTERED_TWICE, now=LATER)
    twice.refresh_from_db()
    assert twice.struck
    assert twice.corrected
    assert Visit.objects.current().filter(pk=twice.pk).count() == 0
    assert FlagKind.OVERLAP not in flags_of(first)
    record = VisitCorrection.objects.get(visit=twice)
    assert (record.before["struck"], record.after["struck"]) == (False, True)
    with pytest.raises(CorrectionRefused, match="already struck out"):
        corrections.strike_visit(place.worker, twice, CorrectionReason.REGISTERED_TWICE)
    corrections.restore_visit(place.worker, twice, CorrectionReason.OTHER, "Fel rad", now=LATER)
    twice.refresh_from_db()
    assert not twice.struck
    assert twice.corrections.count() == 2


def test_the_client_changes_within_the_provider_and_the_team_follows(place: Place) -> None:
    visit = register(place)
    corrections.correct_visit(
        place.manager,
        visit,
        change(visit, client_id=place.south_client.pk),
        CorrectionReason.WRONG_CLIENT,
        now=LATER,
    )
    visit.refresh_from_db()
    assert (visit.client, visit.team) == (place.south_client, place.south)
    assert VisitTask.objects.get(visit=visit).granted_service.client == place.south_client


def test_a_client_of_another_provider_or_none_at_all_is_refused(place: Place) -> None:
    visit = register(place)
    for client_id in (place.other_client.pk, 10**12):
        with pytest.raises(CorrectionRefused, match="not among the provider's clients"):
            corrections.correct_visit(
                place.worker, visit, change(visit, client_id=client_id), "wrong_client"
            )
    assert not VisitCorrection.objects.exists()


def test_a_visit_not_carried_out_has_no_tasks(place: Place) -> None:
    visit = register(place, tasks=["PERS", "STAD"])
    corrections.correct_visit(
        place.worker,
        visit,
        change(visit, outcome=Outcome.NOT_HOME, tasks=("PERS",)),
        CorrectionReason.WRONG_OUTCOME,
        now=LATER,
    )
    visit.refresh_from_db()
    assert visit.outcome == Outcome.NOT_HOME
    assert not visit.tasks.exists()
    assert VisitCorrection.objects.get(visit=visit).after["tasks"] == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ended_at": NOON - dt.timedelta(minutes=1)}, "The departure is before the arrival."),
        ({"ended_at": NOON + dt.timedelta(hours=17)}, "more than 16 hours"),
        ({"tasks": ()}, "Tick at least one task"),
        ({"tasks": ("NOPE",)}, "Trygg does not know the task NOPE."),
        ({"outcome": "flew"}, "Choose what came of the visit."),
        ({}, "Nothing was changed."),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_written(
    place: Place, fields: dict[str, object], message: str
) -> None:
    visit = register(place)
    with pytest.raises(CorrectionRefused, match=message):
        corrections.correct_visit(
            place.worker, visit, change(visit, **fields), CorrectionReason.WRONG_TIME, now=LATER
        )
    assert not VisitCorrection.objects.exists()
    visit.refresh_from_db()
    assert (visit.minutes, visit.corrected) == (30, False)


def test_a_visit_cannot_be_moved_into_the_future(place: Place) -> None:
    visit = register(place)
    future = NOON + dt.timedelta(days=2)
    with pytest.raises(CorrectionRefused, match="future"):
        corrections.correct_visit(
            place.worker,
            visit,
            change(visit, started_at=future, ended_at=future + dt.timedelta(minutes=5)),
            CorrectionReason.WRONG_TIME,
            now=NOON + dt.timedelta(hours=3),
        )


def test_a_reason_is_required_and_other_needs_a_note(place: Place) -> None:
    visit = register(place)
    moved = change(visit, ended_at=NOON + dt.timedelta(minutes=40))
    with pytest.raises(CorrectionRefused, match="Choose the reason"):
        corrections.correct_visit(place.worker, visit, moved, "", now=LATER)
    with pytest.raises(CorrectionRefused, match="Describe the reason"):
        corrections.correct_visit(place.worker, visit, moved, CorrectionReason.OTHER, " ")


def test_who_may_correct(place: Place) -> None:
    visit = register(place)
    moved = change(visit, ended_at=NOON + dt.timedelta(minutes=40))
    for outsider in (place.colleague, south_leader(place), place.stranger, admin_of(place)):
        with pytest.raises(CorrectionRefused, match="may not correct"):
            corrections.correct_visit(outsider, visit, moved, "wrong_time", now=LATER)
    for allowed, minutes in ((place.worker, 40), (place.leader, 41), (place.manager, 42)):
        corrections.correct_visit(
            allowed,
            visit,
            change(visit, ended_at=NOON + dt.timedelta(minutes=minutes)),
            "wrong_time",
            now=LATER,
        )
    assert list(visit.corrections.values_list("by", flat=True)) == [
        place.worker.pk,
        place.leader.pk,
        place.manager.pk,
    ]


def test_someone_else_correcting_tells_the_staff_member(place: Place) -> None:
    visit = register(place)
    corrections.correct_visit(
        place.leader, visit, change(visit, ended_at=NOON + dt.timedelta(minutes=20)), "wrong_time"
    )
    [note] = Notification.objects.filter(recipient=place.worker)
    # In the staff member's language: a Swedish municipality's care worker reads Swedish.
    assert note.subject == "Ditt besök 2026-12-02 kl. 12:00 har rättats"
    assert note.url == f"/visits/{visit.pk}/"
    assert not note.email_wanted
    corrections.correct_visit(
        place.worker, visit, change(visit, ended_at=NOON + dt.timedelta(minutes=25)), "wrong_time"
    )
    assert Notification.objects.filter(recipient=place.worker).count() == 1


def test_nothing_on_or_before_the_lock_date_changes(place: Place) -> None:
    visit = register(place)
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 2), set_by=place.manager
    )
    moved = change(visit, ended_at=NOON + dt.timedelta(minutes=40))
    with pytest.raises(CorrectionRefused, match="locked"):
        corrections.correct_visit(place.worker, visit, moved, "wrong_time")
    with translation.override("sv"), pytest.raises(CorrectionRefused, match="är låst"):
        corrections.correct_visit(place.worker, visit, moved, "wrong_time")
    with pytest.raises(CorrectionRefused, match="locked"):
        corrections.strike_visit(place.worker, visit, "registered_twice")
    admin = admin_of(place)
    unlock = periods.unlock_period(
        admin, place.provider, dt.date(2026, 12, 1), dt.date(2026, 12, 2), "Fel i rapporten"
    )
    corrections.correct_visit(place.worker, visit, moved, "wrong_time")
    periods.relock(admin, unlock)
    visit.refresh_from_db()
    with pytest.raises(CorrectionRefused, match="locked"):
        corrections.correct_visit(
            place.worker,
            visit,
            change(visit, ended_at=NOON + dt.timedelta(minutes=50)),
            CorrectionReason.OTHER,
            "Sent upptäckt",
        )
    assert visit.minutes == 40


def test_a_visit_cannot_be_moved_into_a_locked_day(place: Place) -> None:
    visit = register(place, start=NOON + dt.timedelta(days=3))  # Saturday 5 December
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 2), set_by=place.manager
    )
    with pytest.raises(CorrectionRefused, match="2026-12-02 is locked"):
        corrections.correct_visit(
            place.worker,
            visit,
            change(visit, started_at=NOON, ended_at=NOON + dt.timedelta(minutes=30)),
            "wrong_time",
            now=LATER + dt.timedelta(days=5),
        )


def test_a_correction_after_approval_takes_the_approval_away(place: Place) -> None:
    visit = register(place)
    approval = periods.approve_period(
        place.leader, place.north, dt.date(2026, 11, 30), dt.date(2026, 12, 6)
    )
    visit.refresh_from_db()
    assert visit.approval == approval
    corrections.correct_visit(
        place.worker, visit, change(visit, ended_at=NOON + dt.timedelta(minutes=35)), "wrong_time"
    )
    visit.refresh_from_db()
    assert visit.approval is None
    assert periods.approval_of(visit) == (approval, True)
    [listed] = periods.with_renewal(periods.VisitApproval.objects.all())
    assert listed.changed == 1


# Clearing flags -------------------------------------------------------------------------


def test_a_team_leader_clears_flags_with_a_note(place: Place) -> None:
    visit = register(place, minutes=200)
    [flag] = VisitFlag.objects.filter(visit=visit)
    assert corrections.clear_flags(place.leader, [flag], "Brukaren var sjuk", now=LATER) == 1
    flag.refresh_from_db()
    assert (flag.cleared_at, flag.cleared_by, flag.clear_note) == (
        LATER,
        place.leader,
        "Brukaren var sjuk",
    )


def test_flags_are_cleared_by_someone_else_with_a_note_and_not_when_locked(
    place: Place,
) -> None:
    visit = register(place, minutes=200)
    flags = list(VisitFlag.objects.filter(visit=visit))
    with pytest.raises(CorrectionRefused, match="Write why"):
        corrections.clear_flags(place.leader, flags, "  ")
    for outsider in (place.worker, place.colleague, south_leader(place), admin_of(place)):
        with pytest.raises(CorrectionRefused, match="may not clear"):
            corrections.clear_flags(outsider, flags, "ok")
    own = register(place, staff=place.leader, minutes=200, start=NOON + dt.timedelta(hours=5))
    with pytest.raises(CorrectionRefused, match="may not clear"):
        corrections.clear_flags(place.leader, list(own.flags.all()), "ok")
    assert corrections.clear_flags(place.manager, list(own.flags.all()), "ok") == 1
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 3), set_by=place.manager
    )
    with pytest.raises(CorrectionRefused, match="locked"):
        corrections.clear_flags(place.leader, flags, "ok")
    assert flags_of(visit) == {FlagKind.LONG}


def test_a_night_team_leader_is_a_team_leader_too(place: Place) -> None:
    night_leader = make_staff(Role.TEAM_LEADER, provider=place.provider, teams=[place.north])
    visit = register(place, minutes=200)
    assert corrections.clear_flags(night_leader, list(visit.flags.all()), "ok") == 1
