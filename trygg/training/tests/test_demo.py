"""The demo's training: Norrsken starts soon with a session booked but not held (at risk) and
staff without the web course; Lindgården misses the margin. Whatever weekday it is seeded."""

from __future__ import annotations

import datetime as dt
import io

from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from trygg.core import demo
from trygg.core.models import Municipality, Provider
from trygg.notifications.models import Notification
from trygg.training import demo as training_demo
from trygg.training.constants import PersonState, Readiness
from trygg.training.models import (
    Booking,
    StartPlan,
    SupportUser,
    TrainingSession,
    WebCourseCompletion,
)
from trygg.training.readiness import provider_training


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class TrainingDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed", "--demo", stdout=io.StringIO())

    def municipality(self) -> Municipality:
        return Municipality.objects.get(code=demo.DEMO_CODE)

    def providers(self) -> tuple[Provider, Provider]:
        municipality = self.municipality()
        return (
            Provider.objects.get(municipality=municipality, name="Norrsken Omsorg AB"),
            Provider.objects.get(municipality=municipality, name="Lindgårdens Hemtjänst AB"),
        )

    def test_norrsken_is_at_risk_and_lindgarden_misses_the_margin(self) -> None:
        norrsken, lindgarden = provider_training(list(self.providers()))
        assert norrsken.status == Readiness.AT_RISK
        assert {p.state for p in norrsken.teacher_led} == {PersonState.BOOKED}
        assert all(p.booking and not p.booking.session.has_started() for p in norrsken.teacher_led)
        assert norrsken.web_course_missing
        assert norrsken.web_course_done
        login = next(p for p in norrsken.people if p.person.username == "omsorg.norrsken")
        assert login.state == PersonState.NOT_DONE  # the demo login has the form to try
        assert lindgarden.status == Readiness.LATE
        assert lindgarden.reasons[0].code == "deadline_passed"
        manager = next(p for p in lindgarden.people if p.person.username == "chef.lindgarden")
        assert manager.state == PersonState.DONE

    def test_the_manager_was_told_and_no_mail_went_out_while_seeding(self) -> None:
        assert mail.outbox == []
        notes = Notification.objects.filter(
            recipient__username="chef.norrsken", topic__startswith="training."
        )
        assert notes.filter(subject__startswith="Utbildning bokad").exists()
        assert not notes.filter(emailed_at__isnull=True).exists()

    def test_a_second_run_adds_nothing(self) -> None:
        before = (TrainingSession.objects.count(), Booking.objects.count())
        assert training_demo.seed_demo(self.municipality()) == {}
        assert (TrainingSession.objects.count(), Booking.objects.count()) == before

    def test_it_holds_whatever_weekday_it_is_seeded(self) -> None:
        municipality = self.municipality()
        norrsken, lindgarden = self.providers()
        start = timezone.now()
        for offset in range(7):
            Booking.objects.all().delete()
            TrainingSession.objects.all().delete()
            StartPlan.objects.all().delete()
            SupportUser.objects.all().delete()
            WebCourseCompletion.objects.all().delete()
            now = start + dt.timedelta(days=offset)
            made = training_demo.seed_demo(municipality, now=now)
            assert made["starting providers"] == 2
            today = municipality.local_date(now)
            rows = provider_training([norrsken, lindgarden], today=today)
            assert [r.status for r in rows] == [Readiness.AT_RISK, Readiness.LATE], today
            coming = TrainingSession.objects.filter(starts_at__gt=now, cancelled_at__isnull=True)
            assert all(s.starts_at.astimezone(municipality.zone).isoweekday() <= 5 for s in coming)
