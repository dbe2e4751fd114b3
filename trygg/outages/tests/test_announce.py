"""Announcing tells each audience by e-mail and banner, managers first, private providers
through their own managers, and logs every notice; twice sends nothing new."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from trygg.outages.constants import Channel, NoticeKind, OutageKind, OutageStatus, System
from trygg.outages.models import Outage, OutageNotice
from trygg.outages.services import (
    OutageError,
    announce_outage,
    cancel_outage,
    complete_outage,
    plan_outage,
    reschedule_outage,
)

from .conftest import World, local

START, END = local(2025, 3, 25, 9), local(2025, 3, 25, 12)
ANNOUNCED = START - dt.timedelta(days=20)

Capture = Callable[..., Any]


@pytest.fixture
def outage(world: World) -> Outage:
    return plan_outage(
        municipality=world.municipality,
        system=System.VISIT_APP,
        title="Uppgradering av besöksappen",
        description="Registrera på papper under tiden.",
        starts_at=START,
        ends_at=END,
        by=world.welfare_tech,
        now=ANNOUNCED,
    )


def _announce(capture: Capture, outage: Outage, world: World, **kwargs: Any) -> list[OutageNotice]:
    with capture(execute=True):
        return announce_outage(
            outage, world.welfare_tech, now=kwargs.pop("now", ANNOUNCED), **kwargs
        )


def _addressees() -> list[str]:
    return [address for message in mail.outbox for address in message.to]


def test_it_emails_every_audience_once_managers_first(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    sent = _addressees()
    assert sorted(sent) == sorted(
        u.email
        for u in (
            world.welfare_tech,
            world.admin,
            world.manager,
            world.team_leader,
            world.care_worker,
            world.operator,
            world.manager_a,
            world.team_leader_a,
            world.care_worker_a,
            world.manager_b,
        )
    )
    assert world.outsider.email not in sent
    first = set(sent[: len(world.managers)])
    assert first == world.managers
    private = set(sent[len(world.managers) : len(world.managers) + 3])
    assert private == {world.manager_a.email, world.team_leader_a.email, world.manager_b.email}
    message = mail.outbox[0]
    assert "Besöksapp" in message.subject or "Visit app" in message.subject
    # As people say it, never as an ISO timestamp.
    assert re.search(r"tis 25 mar (2025 )?09:00", message.subject)
    assert "/status/?municipality=9100" in message.body


def test_it_logs_one_notice_per_audience_and_channel(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    rows = {
        (n.audience, n.channel): n
        for n in OutageNotice.objects.filter(outage=outage).select_related("provider")
    }
    a, b = f"private_provider:{world.private_a.pk}", f"private_provider:{world.private_b.pk}"
    assert set(rows) == {
        (audience, channel)
        for audience in ("managers", a, b, "all_users")
        for channel in (Channel.EMAIL, Channel.BANNER)
    }
    assert rows["managers", Channel.EMAIL].recipients == 4
    assert rows[a, Channel.EMAIL].recipients == 2
    assert rows[a, Channel.EMAIL].provider == world.private_a
    assert rows[b, Channel.EMAIL].recipients == 1
    assert rows["all_users", Channel.EMAIL].recipients == 3
    notice = rows[b, Channel.EMAIL]
    assert notice.sent_at == ANNOUNCED
    assert notice.sent_by == world.welfare_tech
    assert notice.kind == NoticeKind.ANNOUNCEMENT
    assert notice.audience_label() == "Private provider: Omsorg B AB"
    outage.refresh_from_db()
    assert outage.status == OutageStatus.ANNOUNCED
    assert outage.announced_at == ANNOUNCED


def test_announcing_twice_sends_nothing_new(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    count, rows = len(mail.outbox), OutageNotice.objects.count()
    assert _announce(django_capture_on_commit_callbacks, outage, world) == []
    assert len(mail.outbox) == count
    assert OutageNotice.objects.count() == rows


def test_a_provider_added_later_is_told_when_announced_again(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    from trygg.core.constants import Role
    from trygg.core.tests.factories import ProviderFactory, make_staff

    _announce(django_capture_on_commit_callbacks, outage, world)
    mail.outbox.clear()
    newcomer = ProviderFactory(municipality=world.municipality, name="Omsorg C AB")
    boss = make_staff(Role.PROVIDER_MANAGER, provider=newcomer, email="chef.c@example.se")
    new = _announce(django_capture_on_commit_callbacks, outage, world)
    assert {(n.audience, n.channel) for n in new} == {
        (f"private_provider:{newcomer.pk}", Channel.EMAIL),
        (f"private_provider:{newcomer.pk}", Channel.BANNER),
    }
    assert _addressees() == [boss.email]


def test_a_new_time_sends_a_change_notice_to_everyone(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reschedule_outage(
            outage,
            starts_at=local(2025, 3, 26, 10),
            ends_at=local(2025, 3, 26, 13),
            by=world.welfare_tech,
            now=ANNOUNCED + dt.timedelta(days=1),
        )
    assert len(mail.outbox) == 10
    assert re.search(r"ons 26 mar (2025 )?10:00", mail.outbox[0].subject)
    changes = OutageNotice.objects.filter(outage=outage, kind=NoticeKind.CHANGE)
    assert changes.count() == 8
    assert set(changes.values_list("sequence", flat=True)) == {1}
    # Announcing again after the change adds nothing: the change went out with it.
    assert _announce(django_capture_on_commit_callbacks, outage, world) == []


def test_a_new_time_is_held_to_the_rules(world: World, outage: Outage) -> None:
    from trygg.outages.services import OutageRefused

    with pytest.raises(OutageRefused):
        reschedule_outage(
            outage,
            starts_at=local(2025, 3, 24, 10),
            ends_at=local(2025, 3, 24, 11),
            by=world.welfare_tech,
            now=ANNOUNCED,
        )


def test_cancelling_an_announced_outage_tells_everyone(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_outage(outage, world.admin, now=ANNOUNCED + dt.timedelta(days=2))
    assert len(mail.outbox) == 10
    assert all(m.subject.startswith(("Inställt", "Cancelled")) for m in mail.outbox)
    outage.refresh_from_db()
    assert outage.status == OutageStatus.CANCELLED
    cancellations = OutageNotice.objects.filter(outage=outage, kind=NoticeKind.CANCELLATION)
    assert set(cancellations.values_list("channel", flat=True)) == {Channel.EMAIL}
    with pytest.raises(OutageError):
        announce_outage(outage, world.admin, now=ANNOUNCED + dt.timedelta(days=3))


def test_cancelling_a_draft_tells_nobody(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cancel_outage(outage, world.admin, now=ANNOUNCED)
    assert mail.outbox == []
    assert not OutageNotice.objects.exists()


def test_completing_early_records_the_real_end(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    _announce(django_capture_on_commit_callbacks, outage, world)
    with pytest.raises(OutageError):
        complete_outage(outage, world.welfare_tech, now=START - dt.timedelta(hours=1))
    done = complete_outage(outage, world.welfare_tech, now=START + dt.timedelta(hours=1))
    assert done.status == OutageStatus.COMPLETED
    assert done.ends_at == START + dt.timedelta(hours=1)


def test_an_unplanned_outage_skips_the_rules_and_is_announced_at_once(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    now = local(2025, 3, 8, 22)  # a Saturday night: no window, no notice
    with django_capture_on_commit_callbacks(execute=True):
        outage = plan_outage(
            municipality=world.municipality,
            system=System.LOCKS,
            kind=OutageKind.UNPLANNED,
            title="Låsen svarar inte",
            starts_at=now - dt.timedelta(minutes=20),
            ends_at=now + dt.timedelta(hours=2),
            by=world.welfare_tech,
            now=now,
        )
    assert outage.status == OutageStatus.IN_PROGRESS
    assert outage.announced_at == now
    assert len(mail.outbox) == 10
    assert outage.is_current(now + dt.timedelta(hours=5))  # until someone completes it


def test_an_unplanned_outage_that_overruns_ends_when_it_is_completed(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    now = local(2025, 3, 8, 22)
    with django_capture_on_commit_callbacks(execute=True):
        outage = plan_outage(
            municipality=world.municipality,
            system=System.LOCKS,
            kind=OutageKind.UNPLANNED,
            title="Låsen svarar inte",
            starts_at=now + dt.timedelta(minutes=10),  # announced before it starts
            ends_at=now + dt.timedelta(hours=1),
            by=world.welfare_tech,
            now=now,
        )
    really_over = now + dt.timedelta(hours=3)
    done = complete_outage(outage, world.welfare_tech, now=really_over)
    assert done.ends_at == really_over  # what the status page and calendar show afterwards


def test_each_person_gets_the_mail_in_their_language(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    world.manager_b.preferred_language = "en"
    world.manager_b.save(update_fields=["preferred_language"])
    _announce(django_capture_on_commit_callbacks, outage, world)
    [english] = [m for m in mail.outbox if m.to == [world.manager_b.email]]
    assert english.subject.startswith("Planned outage: Visit app")


def test_nobody_is_emailed_before_the_announcement_commits(
    world: World, outage: Outage, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce_outage(outage, world.welfare_tech, now=ANNOUNCED)
    assert mail.outbox == []
    assert callbacks
