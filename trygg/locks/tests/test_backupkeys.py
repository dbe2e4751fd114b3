"""The backup-key register: where each key is kept, who borrowed it and when, when it came
back, and what is overdue; a key is lent to one person at a time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from trygg.core.constants import Role
from trygg.core.tests.factories import make_staff
from trygg.devices.tests.places import Place
from trygg.locks import backupkeys
from trygg.locks.backupkeys import BackupKeyError
from trygg.locks.models import BackupKey, BackupKeyLoan
from trygg.notifications.models import Notification

from .conftest import login

pytestmark = pytest.mark.django_db


def _main(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def key(place: Place) -> BackupKey:
    return backupkeys.register_key(
        place.alarm_operator,
        place.client,
        label="R-014",
        kept_at="Larmorganisation Norr, nyckelskåp 1, krok 14",
    )


def test_a_keeper_registers_a_key_and_its_place(place: Place, key: BackupKey):
    assert key.kept_at == "Larmorganisation Norr, nyckelskåp 1, krok 14"
    assert key.registered_by == place.alarm_operator
    states = backupkeys.keys_for_client(place.client, timezone.now())
    assert [(s.key, s.available) for s in states] == [(key, True)]


def test_a_care_worker_keeps_no_keys(place: Place):
    with pytest.raises(PermissionError):
        backupkeys.register_key(place.care_worker, place.client, label="R-1", kept_at="Skåp")


def test_two_keys_with_one_tag_are_refused(place: Place, key: BackupKey):
    with pytest.raises(BackupKeyError, match="has the tag R-014"):
        backupkeys.register_key(place.tech, place.neighbour, label="R-014", kept_at="Skåp 2")


def test_a_borrowed_key_is_not_lent_twice(place: Place, key: BackupKey):
    now = timezone.now()
    loan = backupkeys.lend(place.alarm_operator, key, place.care_worker, now=now)
    assert loan.due_at == now + backupkeys.loan_period()
    with pytest.raises(BackupKeyError, match="must come back first"):
        backupkeys.lend(place.alarm_operator, key, place.manager, now=now)
    assert BackupKeyLoan.objects.filter(key=key).count() == 1


def test_the_loan_period_is_configurable(place: Place, key: BackupKey, settings):
    settings.BACKUP_KEY_LOAN_HOURS = 2
    now = timezone.now()
    loan = backupkeys.lend(place.alarm_operator, key, place.care_worker, now=now)
    assert loan.due_at == now + dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("due", "message"),
    [(dt.timedelta(minutes=-5), "later than now"), (dt.timedelta(days=8), "at most a week")],
)
def test_a_bad_return_time_is_refused(place: Place, key: BackupKey, due, message):
    now = timezone.now()
    with pytest.raises(BackupKeyError, match=message):
        backupkeys.lend(place.alarm_operator, key, place.care_worker, due_at=now + due, now=now)
    assert not BackupKeyLoan.objects.exists()


def test_only_staff_of_the_municipality_borrow(place: Place, key: BackupKey):
    with pytest.raises(BackupKeyError, match="does not work"):
        backupkeys.lend(place.alarm_operator, key, place.foreign_tech)


def test_the_key_comes_back_once_and_not_before_it_was_lent(place: Place, key: BackupKey):
    loan = backupkeys.lend(place.alarm_operator, key, place.care_worker)
    with pytest.raises(BackupKeyError, match="before it was lent"):
        backupkeys.return_key(place.alarm_operator, loan, at=loan.lent_at - dt.timedelta(1))
    backupkeys.return_key(place.alarm_operator, loan)
    assert loan.returned_at is not None
    assert loan.returned_to == place.alarm_operator
    with pytest.raises(BackupKeyError, match="already registered as returned"):
        backupkeys.return_key(place.alarm_operator, loan)
    # Back in place, it can be lent again.
    backupkeys.lend(place.alarm_operator, key, place.manager)


def test_an_overdue_key_is_told_to_the_keepers_and_the_borrower_once(place: Place, key: BackupKey):
    lent = timezone.now() - dt.timedelta(hours=10)
    loan = backupkeys.lend(place.alarm_operator, key, place.care_worker, now=lent)
    assert backupkeys.notify_overdue(lent + dt.timedelta(hours=7)) == 0
    assert backupkeys.notify_overdue() == 1
    assert backupkeys.notify_overdue() == 0
    told = Notification.objects.filter(topic__startswith=f"locks.backup_key:{loan.pk}:")
    assert {n.recipient for n in told} == {place.alarm_operator, place.care_worker}
    to_keeper = told.get(recipient=place.alarm_operator)
    assert "R-014" in to_keeper.subject
    assert to_keeper.url == f"/locks/keys/backup/{key.pk}/"


# Pages --------------------------------------------------------------------------------------


def test_the_register_shows_the_overdue_key(place: Place, key: BackupKey):
    lent = timezone.now() - dt.timedelta(hours=10)
    backupkeys.lend(place.alarm_operator, key, place.care_worker, now=lent)
    other = backupkeys.register_key(place.tech, place.neighbour, label="R-015", kept_at="Skåp 2")
    page = _main(login(place.alarm_operator).get("/locks/keys/backup/?show=overdue"))
    assert re.search(rf'<tr id="backup-key-{key.pk}" class="overdue">', page)
    assert f'id="backup-key-{other.pk}"' not in page
    assert "1 key is overdue." in page


def test_care_workers_and_providers_have_no_register(place: Place, key: BackupKey):
    assert login(place.care_worker).get("/locks/keys/backup/").status_code == 403
    assert login(place.manager).get(f"/locks/keys/backup/{key.pk}/").status_code == 404


def test_a_keeper_lends_and_takes_back_on_the_page(place: Place, key: BackupKey):
    http = login(place.alarm_operator)
    url = f"/locks/keys/backup/{key.pk}/"
    due = place.municipality.localtime(timezone.now() + dt.timedelta(hours=3))
    data = {"borrower": place.care_worker.pk, "due_at": due.strftime("%Y-%m-%dT%H:%M")}
    response = http.post(url + "lend/", data)
    assert response.status_code == 302
    loan = BackupKeyLoan.objects.get()
    assert loan.borrower == place.care_worker
    assert abs(loan.due_at - due.replace(second=0, microsecond=0)) < dt.timedelta(seconds=1)
    # Lent again before it is back: refused with the reason, nothing saved.
    response = http.post(url + "lend/", {**data, "borrower": place.manager.pk})
    assert response.status_code == 400
    assert "must come back first" in _main(response)
    assert BackupKeyLoan.objects.count() == 1
    assert http.post(url + "return/").status_code == 302
    loan.refresh_from_db()
    assert loan.returned_at is not None


def test_an_auditor_reads_the_register_but_lends_nothing(place: Place, key: BackupKey):
    http = login(place.auditor)
    assert http.get(f"/locks/keys/backup/{key.pk}/").status_code == 200
    response = http.post(
        f"/locks/keys/backup/{key.pk}/lend/",
        {"borrower": place.care_worker.pk, "due_at": "2030-01-01T10:00"},
    )
    assert response.status_code == 403


def test_the_record_shows_where_the_backup_key_is(place: Place, key: BackupKey):
    backupkeys.lend(place.alarm_operator, key, place.care_worker)
    page = _main(login(place.care_worker).get(f"/clients/{place.client.pk}/"))
    item = re.search(rf'<li id="record-backup-key-{key.pk}">(.*?)</li>', page, re.S)
    assert item is not None
    assert "nyckelskåp 1, krok 14" in item.group(1)
    assert "Lent to" in item.group(1)
    stranger = make_staff(Role.CARE_WORKER, provider=place.other_provider)
    assert login(stranger).get(f"/clients/{place.client.pk}/").status_code == 404


def test_the_menus_keys_open_the_register_for_keepers_and_receipts_for_others(place: Place):
    assert login(place.alarm_operator).get("/locks/keys/")["Location"] == "/locks/keys/backup/"
    assert login(place.care_worker).get("/locks/keys/")["Location"] == "/locks/keys/receipts/"
