"""The sync of registered visits: each item answered on its own, stored once, scoped to
the provider's clients, and what review will look at flagged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trygg.alarms.models import Alarm, AlarmCategory, AlarmKind
from trygg.core.tokens import create_token
from trygg.devices.models import AlarmProtocol, AlarmUnit
from trygg.visits.models import (
    Band,
    FlagKind,
    PeriodLock,
    PeriodUnlock,
    Visit,
    VisitFlag,
    VisitPolicy,
    VisitTask,
)
from trygg.visits.services import Registrar
from trygg.visits.sync import sync

from .conftest import NOON, Place

pytestmark = pytest.mark.django_db
SOON = NOON + dt.timedelta(hours=1)


def send(place: Place, *items: Any, sent_at: dt.datetime = SOON, received_at: dt.datetime = SOON):
    return sync(Registrar.for_user(place.worker), sent_at, list(items), received_at=received_at)


def test_a_visit_is_stored_with_its_tasks_time_and_tag(place: Place) -> None:
    item = place.item(tasks=["PERS", "STAD"], minutes=31)
    result = send(place, item)
    [answer] = result.items
    assert answer.status == "accepted", answer.reason
    assert answer.flags == []
    visit = Visit.objects.get(uuid=item["id"])
    assert visit.pk == answer.visit_id
    assert (visit.client, visit.staff, visit.provider, visit.team) == (
        place.client,
        place.worker,
        place.provider,
        place.north,
    )
    assert visit.minutes == 31
    assert visit.tag == place.tag
    assert visit.local_date == dt.date(2026, 12, 2)
    assert visit.band == Band.DAY
    shares = dict(
        VisitTask.objects.filter(visit=visit).values_list("service_type__code", "minutes")
    )
    assert shares == {"PERS": 16, "STAD": 15}
    assert all(task.granted_service_id for task in visit.tasks.all())


def test_the_same_batch_twice_stores_each_visit_once(place: Place) -> None:
    items = [place.item(start=NOON + dt.timedelta(hours=h)) for h in range(3)]
    first = send(place, *items, received_at=NOON + dt.timedelta(hours=4))
    again = send(place, *items, received_at=NOON + dt.timedelta(hours=4))
    assert [a.status for a in first.items] == ["accepted"] * 3
    assert [a.status for a in again.items] == ["duplicate"] * 3
    assert [a.visit_id for a in again.items] == [a.visit_id for a in first.items]
    assert Visit.objects.count() == 3


def test_an_id_repeated_within_a_batch_is_stored_once(place: Place) -> None:
    item = place.item()
    result = send(place, item, dict(item))
    assert [a.status for a in result.items] == ["accepted", "duplicate"]
    assert Visit.objects.count() == 1


def test_a_refused_item_never_blocks_the_others(place: Place) -> None:
    good = place.item()
    bad = place.item(start=NOON + dt.timedelta(hours=2))
    bad["departure"]["at"] = (NOON + dt.timedelta(hours=1)).isoformat()
    result = send(place, good, bad, {"not": "a visit"}, "text")
    statuses = [(a.status, a.code) for a in result.items]
    assert statuses == [
        ("accepted", ""),
        ("refused", "ends_before_start"),
        ("refused", "invalid"),
        ("refused", "invalid"),
    ]
    assert result.items[1].reason == "The departure is before the arrival."
    assert result.items[2].reason == "The registration is missing the registration id."
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code", "reason"),
    [
        (
            lambda p, i: i.update(client_id=p.other_client.pk),
            "not_your_client",
            "The client is not among your provider's clients.",
        ),
        (
            lambda p, i: i.update(client_id=10**12),
            "not_your_client",
            "The client is not among your provider's clients.",
        ),
        (lambda p, i: i["arrival"].update(tag="7K3M-Q9XB"), "unknown_tag", None),
        (
            lambda p, i: i["arrival"].update(tag="not a code"),
            "unknown_tag",
            "The tag code could not be read: scan or type it again.",
        ),
        (lambda p, i: i["arrival"].update(tag=p.second_tag.code), "tag_elsewhere", None),
        (lambda p, i: i.update(tasks=[]), "no_tasks", "Tick at least one task you performed."),
        (
            lambda p, i: i.update(tasks=["NOPE"]),
            "unknown_task",
            "Trygg does not know the task NOPE.",
        ),
        (lambda p, i: i.update(departure=None), "no_departure", None),
        (
            lambda p, i: i["departure"].update(at=(NOON + dt.timedelta(hours=17)).isoformat()),
            "too_long",
            None,
        ),
        (
            lambda p, i: i["arrival"].update(by="none", tag=""),
            "no_tag_reason",
            "Give a reason for registering without the tag.",
        ),
        (lambda p, i: i.update(partner_id=p.stranger.pk), "unknown_partner", None),
        (lambda p, i: i.update(alarm_id=123456), "unknown_alarm", None),
        (lambda p, i: i.update(staff_id=p.colleague.pk), "wrong_staff", None),
        (
            lambda p, i: i.update(id="not-a-uuid"),
            "invalid",
            "The registration has an invalid value for the registration id.",
        ),
        (lambda p, i: i["arrival"].update(at="2026-12-02T12:00:00"), "invalid", None),
        (
            lambda p, i: i.update(colour="blue"),
            "invalid",
            "The registration has a field Trygg does not know: colour.",
        ),
    ],
)
def test_bad_items_are_refused_with_a_reason_and_nothing_is_written(
    place: Place, change: Any, code: str, reason: str | None
) -> None:
    item = place.item()
    change(place, item)
    [answer] = send(place, item).items
    assert (answer.status, answer.code) == ("refused", code)
    assert answer.reason
    if reason:
        assert answer.reason == reason
    assert not Visit.objects.exists()
    assert not VisitTask.objects.exists()


def test_another_providers_client_is_refused_like_one_that_does_not_exist(place: Place) -> None:
    theirs = send(place, place.item(client_id=place.other_client.pk)).items[0]
    nobody = send(place, place.item(client_id=10**12)).items[0]
    assert (theirs.code, theirs.reason) == (nobody.code, nobody.reason)


def test_a_visit_without_the_tag_needs_a_reason_and_is_flagged(place: Place) -> None:
    item = place.item(no_tag_reason="tag_missing")
    item["arrival"] = {"at": NOON.isoformat(), "by": "none"}
    item["departure"]["by"] = "none"
    [answer] = send(place, item).items
    assert answer.status == "accepted"
    assert answer.flags == [FlagKind.NO_TAG]
    flag = VisitFlag.objects.get()
    assert flag.detail == "The tag is missing or broken"
    assert Visit.objects.get().tag is None


def test_a_typed_code_or_the_link_on_the_tag_proves_presence(place: Place) -> None:
    typed = place.item()
    typed["arrival"] = {
        "at": NOON.isoformat(),
        "by": "code",
        "tag": place.tag.code.lower().replace("-", " "),
    }
    linked = place.item(start=NOON + dt.timedelta(hours=1))
    linked["arrival"] = {
        "at": (NOON + dt.timedelta(hours=1)).isoformat(),
        "by": "qr",
        "tag": f"https://trygg.example/t/{place.tag.code}",
    }
    result = send(place, typed, linked)
    assert [(a.status, a.flags) for a in result.items] == [("accepted", []), ("accepted", [])]


def test_client_not_at_home_needs_one_scan_and_no_tasks(place: Place) -> None:
    item = place.item(outcome="not_home", departure=None, tasks=[])
    [answer] = send(place, item).items
    assert answer.status == "accepted", answer.reason
    visit = Visit.objects.get()
    assert (visit.outcome, visit.minutes, visit.tasks.count()) == ("not_home", 0, 0)


def test_double_staffing_names_a_colleague_and_an_alarm_visit_its_alarm(place: Place) -> None:
    unit = AlarmUnit.objects.create(
        municipality=place.municipality,
        model_name="Trygghetslarm",
        serial_number="SN-1",
        protocol=AlarmProtocol.DC09,
        dc09_account="1234",
        heartbeat_interval=0,
        heartbeat_grace=0,
    )
    alarm = Alarm.objects.create(
        municipality=place.municipality,
        unit=unit,
        client=place.client,
        provider=place.provider,
        category=AlarmCategory.CARE,
        kind=AlarmKind.ALARM,
    )
    item = place.item(partner_id=place.colleague.pk, alarm_id=alarm.pk)
    [answer] = send(place, item).items
    assert answer.status == "accepted", answer.reason
    visit = Visit.objects.get()
    assert (visit.partner, visit.alarm) == (place.colleague, alarm)


def test_review_flags_short_long_overlapping_ungranted_and_late_visits(place: Place) -> None:
    short = place.item(minutes=1)
    long_ = place.item(start=NOON + dt.timedelta(hours=1), minutes=150)
    overlapping = place.item(
        client_id=place.second_client.pk, start=NOON + dt.timedelta(hours=2), minutes=20
    )
    overlapping["arrival"]["tag"] = overlapping["departure"]["tag"] = place.second_tag.code
    ungranted = place.item(start=NOON + dt.timedelta(hours=5), tasks=["MAT"])
    later = NOON + dt.timedelta(days=1)
    result = send(place, short, long_, overlapping, ungranted, sent_at=later, received_at=later)
    flags = [set(a.flags) for a in result.items]
    assert flags[0] == {FlagKind.SHORT, FlagKind.LATE_SYNC}
    assert flags[1] == {FlagKind.LONG, FlagKind.OVERLAP, FlagKind.LATE_SYNC}
    assert flags[2] == {FlagKind.OVERLAP, FlagKind.LATE_SYNC}
    assert flags[3] == {FlagKind.NO_GRANT, FlagKind.LATE_SYNC}
    task = VisitTask.objects.get(visit__uuid=ungranted["id"])
    assert task.granted_service is None


def test_an_overlap_with_a_visit_stored_earlier_is_found(place: Place) -> None:
    send(place, place.item(minutes=60))
    later = place.item(client_id=place.second_client.pk, start=NOON + dt.timedelta(minutes=30))
    later["arrival"]["tag"] = later["departure"]["tag"] = place.second_tag.code
    [answer] = send(place, later).items
    assert answer.flags == [FlagKind.OVERLAP]


def elsewhere(place: Place, **fields: Any) -> dict[str, Any]:
    """A registration at the second client's door (scanned with its tag)."""
    item = place.item(client_id=place.second_client.pk, **fields)
    item["arrival"]["tag"] = item["departure"]["tag"] = place.second_tag.code
    return item


def test_a_stored_visit_that_a_new_one_overlaps_is_flagged_too(place: Place) -> None:
    [first] = send(place, place.item(minutes=60)).items
    assert first.flags == []
    [later] = send(place, elsewhere(place, start=NOON + dt.timedelta(minutes=30))).items
    assert later.flags == [FlagKind.OVERLAP]
    flagged = VisitFlag.objects.filter(kind=FlagKind.OVERLAP, cleared_at__isnull=True)
    assert set(flagged.values_list("visit_id", flat=True)) == {first.visit_id, later.visit_id}
    # A third visit in the same hour flags itself; the first keeps its one flag.
    [third] = send(place, elsewhere(place, start=NOON + dt.timedelta(minutes=45))).items
    assert FlagKind.OVERLAP in third.flags
    assert VisitFlag.objects.filter(visit_id=first.visit_id).count() == 1


def test_a_refused_or_struck_visit_flags_no_stored_one(place: Place) -> None:
    [first] = send(place, place.item(minutes=60)).items
    refused = elsewhere(place, start=NOON + dt.timedelta(minutes=30), tasks=["NOPE"])
    [answer] = send(place, refused).items
    assert answer.status == "refused"
    assert not VisitFlag.objects.exists()
    Visit.objects.filter(pk=first.visit_id).update(struck=True)
    [answer] = send(place, elsewhere(place, start=NOON + dt.timedelta(minutes=30))).items
    assert answer.flags == []
    assert not VisitFlag.objects.exists()


def test_a_cleared_overlap_stays_cleared_and_a_locked_day_is_not_flagged(place: Place) -> None:
    [first] = send(place, place.item(minutes=60)).items
    send(place, elsewhere(place, start=NOON + dt.timedelta(minutes=30)))
    VisitFlag.objects.filter(visit_id=first.visit_id).update(
        cleared_at=SOON, cleared_by=place.leader, clear_note="Dubbelbemanning"
    )
    [again] = send(place, elsewhere(place, start=NOON + dt.timedelta(minutes=40), minutes=5)).items
    assert FlagKind.OVERLAP in again.flags
    flag = VisitFlag.objects.get(visit_id=first.visit_id)
    assert (flag.cleared_at, flag.clear_note) == (SOON, "Dubbelbemanning")

    # 23:30-00:40 local time: a visit of 1 December, whose day is then locked.
    night = dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC)
    [before_midnight] = send(place, place.item(start=night, minutes=70)).items
    assert before_midnight.status == "accepted"
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 1), set_by=place.manager
    )
    [after_midnight] = send(place, elsewhere(place, start=night + dt.timedelta(minutes=40))).items
    assert after_midnight.status == "accepted", after_midnight.reason
    assert FlagKind.OVERLAP in after_midnight.flags
    assert not VisitFlag.objects.filter(
        visit_id=before_midnight.visit_id, kind=FlagKind.OVERLAP
    ).exists()


def test_a_batch_with_malformed_items_answers_each_and_stores_the_rest(place: Place) -> None:
    good = [place.item(start=NOON + dt.timedelta(hours=h)) for h in range(3)]
    no_client = place.item(start=NOON + dt.timedelta(hours=4))
    del no_client["client_id"]
    bad_time = place.item(start=NOON + dt.timedelta(hours=5))
    bad_time["departure"]["at"] = "yesterday"
    result = send(place, good[0], no_client, good[1], bad_time, 7, good[2], dict(good[0]))
    assert [(a.status, a.code) for a in result.items] == [
        ("accepted", ""),
        ("refused", "invalid"),
        ("accepted", ""),
        ("refused", "invalid"),
        ("refused", "invalid"),
        ("accepted", ""),
        ("duplicate", ""),
    ]
    assert result.items[1].reason == "The registration is missing the client."
    assert result.items[3].reason == "The registration has an invalid value for the departure."
    assert result.items[4].reason == "Each registration is an object."
    assert [a.id for a in result.items][:2] == [good[0]["id"], no_client["id"]]
    assert Visit.objects.count() == 3


def test_a_phone_clock_off_by_more_than_the_limit_is_flagged(place: Place) -> None:
    VisitPolicy.objects.create(municipality=place.municipality, clock_skew_limit=120)
    fine = send(place, place.item(), sent_at=SOON - dt.timedelta(seconds=100))
    assert (fine.clock_offset, fine.clock_flagged, fine.items[0].flags) == (100, False, [])
    off = send(
        place,
        place.item(start=NOON + dt.timedelta(hours=2)),
        sent_at=SOON - dt.timedelta(minutes=10),
    )
    assert (off.clock_offset, off.clock_flagged) == (600, True)
    assert off.items[0].flags == [FlagKind.CLOCK]
    assert Visit.objects.get(uuid=off.items[0].id).phone_clock_offset == 600


def test_time_bands_follow_the_municipal_clock_and_holidays(place: Place) -> None:
    evening = place.item(start=dt.datetime(2026, 12, 2, 21, 30, tzinfo=dt.UTC))  # 22:30 local
    christmas_eve = place.item(start=dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC))
    saturday = place.item(start=dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC))
    send(
        place,
        evening,
        christmas_eve,
        saturday,
        received_at=dt.datetime(2026, 12, 24, 12, tzinfo=dt.UTC),
    )
    bands = {str(v.uuid): (v.local_date, v.band) for v in Visit.objects.all()}
    assert bands[evening["id"]] == (dt.date(2026, 12, 2), Band.EVENING_NIGHT)
    assert bands[christmas_eve["id"]] == (dt.date(2026, 12, 24), Band.WEEKEND_HOLIDAY)
    assert bands[saturday["id"]] == (dt.date(2026, 12, 5), Band.WEEKEND_HOLIDAY)


def test_a_locked_period_refuses_registrations_until_an_administrator_opens_it(
    place: Place,
) -> None:
    PeriodLock.objects.create(
        provider=place.provider, locked_through=dt.date(2026, 12, 2), set_by=place.manager
    )
    [answer] = send(place, place.item()).items
    assert (answer.status, answer.code) == ("refused", "locked")
    assert "2026-12-02" in answer.reason
    PeriodUnlock.objects.create(
        provider=place.provider,
        first_day=dt.date(2026, 12, 1),
        last_day=dt.date(2026, 12, 2),
        reason="Sena registreringar efter nätverksfel",
        unlocked_by=place.welfare_tech,
    )
    [answer] = send(place, place.item()).items
    assert answer.status == "accepted"


def test_a_provider_token_registers_for_its_staff_only(place: Place) -> None:
    token, _secret = create_token(
        "Planeringssystem", place.municipality, provider=place.provider, scopes="visits"
    )
    registrar = Registrar.for_token(token)
    mine = place.item(staff_id=place.colleague.pk)
    theirs = place.item(start=NOON + dt.timedelta(hours=1), staff_id=place.stranger.pk)
    unnamed = place.item(start=NOON + dt.timedelta(hours=2))
    result = sync(registrar, SOON, [mine, theirs, unnamed], received_at=SOON)
    assert [(a.status, a.code) for a in result.items] == [
        ("accepted", ""),
        ("refused", "unknown_staff"),
        ("refused", "no_staff"),
    ]
    assert Visit.objects.get().staff == place.colleague


def test_a_token_without_the_visits_scope_or_provider_may_not_register(place: Place) -> None:
    wrong_scope, _s = create_token("Import", place.municipality, provider=place.provider)
    municipal, _s = create_token("Kommun", place.municipality, scopes="visits")
    for token in (wrong_scope, municipal):
        with pytest.raises(PermissionError):
            Registrar.for_token(token)
