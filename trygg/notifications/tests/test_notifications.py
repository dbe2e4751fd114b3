"""People are told things inside Trygg and by e-mail, once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client as HttpClient

from trygg.core.constants import Role
from trygg.core.tests.factories import TEST_PASSWORD, ProviderFactory, make_staff
from trygg.notifications.models import Notification
from trygg.notifications.services import notify, send_pending_emails

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person():
    return make_staff(Role.PROVIDER_MANAGER, provider=ProviderFactory(), email="chef@example.se")


def test_it_emails_after_commit_and_only_once(person) -> None:
    with transaction.atomic():
        notify([person], "Beställning klar", "Din beställning är klar.", url="/orders/1/")
        assert mail.outbox == []  # nothing leaves before the change is committed
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["chef@example.se"]
    assert "/orders/1/" in mail.outbox[0].body
    assert send_pending_emails() == 0
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_tells_nobody(person) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            notify([person], "Beställning klar")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_list_shows_own_notifications_and_marks_them_read(person) -> None:
    other = make_staff(Role.CARE_WORKER, provider=ProviderFactory())
    mine = notify([person], "Till mig", url="/clients/", email=False)[0]
    notify([other], "Till någon annan", email=False)
    http = HttpClient()
    http.login(username=person.username, password=TEST_PASSWORD)

    page = http.get("/notifications/")
    assert "Till mig" in page.text
    assert "Till någon annan" not in page.text

    response = http.post(f"/notifications/{mine.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/clients/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_opening_someone_elses_notification_changes_nothing(person) -> None:
    other = make_staff(Role.CARE_WORKER, provider=ProviderFactory())
    theirs = notify([other], "Hemligt", email=False)[0]
    http = HttpClient()
    http.login(username=person.username, password=TEST_PASSWORD)
    http.post(f"/notifications/{theirs.pk}/open/")
    theirs.refresh_from_db()
    assert theirs.read_at is None
