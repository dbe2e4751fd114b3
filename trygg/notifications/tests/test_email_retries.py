"""An e-mail that could not be sent is tried again by the worker, less often, then given up."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from trygg import worker
from trygg.core.constants import Role
from trygg.core.tests.factories import ProviderFactory, make_staff
from trygg.notifications.models import Notification
from trygg.notifications.services import MAX_EMAIL_ATTEMPTS, notify

pytestmark = pytest.mark.django_db(transaction=True)

MAIL_SERVER_DOWN = override_settings(
    EMAIL_BACKEND="trygg.notifications.tests.test_email_retries.MailServerDown"
)


class MailServerDown(BaseEmailBackend):
    """The municipality's mail server refusing connections."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def _due_now() -> None:
    Notification.objects.update(email_retry_at=timezone.now())


def test_a_failed_e_mail_is_sent_by_the_worker_once_the_server_is_back() -> None:
    person = make_staff(Role.TEAM_LEADER, provider=ProviderFactory(), email="ledare@example.se")
    with MAIL_SERVER_DOWN, transaction.atomic():
        notify([person], "Telefonen är klar att hämta")
    note = Notification.objects.get()
    assert note.emailed_at is None
    assert note.email_attempts == 1
    assert note.email_error == "ConnectionRefusedError"
    assert note.email_retry_at is not None
    assert note.email_retry_at > timezone.now()

    # Before its time the worker leaves it alone ...
    assert worker.run_once()["notifications.email"] == 0
    assert mail.outbox == []
    # ... and once due, sends it, once.
    _due_now()
    assert worker.run_once()["notifications.email"] == 1
    assert [m.to for m in mail.outbox] == [["ledare@example.se"]]
    assert worker.run_once()["notifications.email"] == 0


def test_it_gives_up_after_the_last_attempt_and_keeps_the_error() -> None:
    person = make_staff(Role.TEAM_LEADER, provider=ProviderFactory(), email="ledare@example.se")
    with MAIL_SERVER_DOWN:
        with transaction.atomic():
            notify([person], "Avisering om driftstopp")
        waits = []
        for _attempt in range(MAX_EMAIL_ATTEMPTS - 1):
            note = Notification.objects.get()
            assert note.email_retry_at is not None
            waits.append(note.email_retry_at - timezone.now())
            _due_now()
            worker.run_once()
    assert waits == sorted(waits)  # less and less often
    assert waits[-1] > dt.timedelta(hours=1)
    note = Notification.objects.get()
    assert note.email_attempts == MAX_EMAIL_ATTEMPTS
    _due_now()
    assert worker.run_once()["notifications.email"] == 0  # given up
    assert mail.outbox == []
    assert note.email_error == "ConnectionRefusedError"


def test_the_worker_command_runs_every_job_once_and_lists_them() -> None:
    out = io.StringIO()
    call_command("worker", "--list", stdout=out)
    assert "notifications.email  every 60 s" in out.getvalue()
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "notifications.email: 0" in out.getvalue()


def test_a_failing_job_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken() -> int:
        raise RuntimeError("boom")

    def fine() -> int:
        calls.append("fine")
        return 1

    worker.register("test.a_broken", every=1)(broken)
    worker.register("test.b_fine", every=1)(fine)
    try:
        results = worker.run_once()
    finally:
        worker._jobs.pop("test.a_broken")
        worker._jobs.pop("test.b_fine")
    assert results["test.a_broken"] is None
    assert results["test.b_fine"] == 1
    assert calls == ["fine"]
    assert "Worker job test.a_broken failed" in caplog.text
