"""The backup key and the lock fault: the fault's page (the reporter's phone) and its ticket
(the desk) show where the client's backup key is kept and whether it is out, to whom and
since when; a keeper lends the key for a fault from the register, and the loan shows on the
fault, its ticket and the key."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import make_staff
from trygg.locks import backupkeys, faults
from trygg.locks.constants import Symptom
from trygg.locks.models import BackupKey, BackupKeyLoan, LockFault
from trygg.support import demo as support_demo

from .conftest import DAY, Home, login

pytestmark = pytest.mark.django_db


def _main(response: object) -> str:
    page = response.content.decode()  # type: ignore[attr-defined]
    return html.unescape(page[page.index("<main") : page.index("</main>")])


@pytest.fixture
def directory(home: Home) -> None:
    """The demo's support lines and the lock-fault order type."""
    support_demo.seed_demo(home.place.municipality, today=DAY.date())


@pytest.fixture
def key(home: Home) -> BackupKey:
    return backupkeys.register_key(
        home.place.alarm_operator,
        home.client,
        label="R-021",
        kept_at="Larmorganisation Norr, nyckelskåp 2, krok 21",
    )


@pytest.fixture
def fault(home: Home, directory: None) -> LockFault:
    return faults.report_fault(home.worker, home.lock, home.client, symptom=Symptom.WONT_OPEN)


def _lend_data(home: Home, fault: LockFault | None = None) -> dict[str, object]:
    due = home.place.municipality.localtime(timezone.now() + dt.timedelta(hours=3))
    data: dict[str, object] = {
        "borrower": home.colleague.pk,
        "due_at": due.strftime("%Y-%m-%dT%H:%M"),
        "reason": "Låsfel",
    }
    if fault is not None:
        data["fault"] = fault.pk
    return data


def test_a_loan_names_only_a_fault_at_the_keys_door(home: Home, key: BackupKey, fault: LockFault):
    other_key = backupkeys.register_key(
        home.place.alarm_operator, home.other_client, label="R-022", kept_at="Skåp 2"
    )
    assert list(backupkeys.faults_to_lend_for(key, timezone.now())) == [fault]
    assert list(backupkeys.faults_to_lend_for(other_key, timezone.now())) == []
    with pytest.raises(backupkeys.BackupKeyError, match="another client's door"):
        backupkeys.lend(home.place.alarm_operator, other_key, home.other_worker, fault=fault)
    assert not BackupKeyLoan.objects.exists()
    loan = backupkeys.lend(home.place.alarm_operator, key, home.colleague, fault=fault)
    assert backupkeys.loans_for_fault(fault) == [loan]


def test_the_keeper_lends_the_key_for_the_fault_from_its_page(
    home: Home, key: BackupKey, fault: LockFault
):
    keeper = login(home.place.alarm_operator)
    # The fault's page sends the keeper to the key, with the fault chosen.
    page = _main(keeper.get(f"/locks/faults/{fault.pk}/"))
    link = f"/locks/keys/backup/{key.pk}/?fault={fault.pk}#lend"
    assert link in page
    form = _main(keeper.get(link.split("#")[0]))
    chosen = re.search(r'<select name="fault"[^>]*>(.*?)</select>', form, re.S)
    assert chosen is not None
    assert f'<option value="{fault.pk}" selected>' in chosen.group(1)
    # The reporter is the one who fetches the key, unless the keeper says otherwise.
    assert f'<option value="{home.worker.pk}" selected>' in form
    response = keeper.post(f"/locks/keys/backup/{key.pk}/lend/", _lend_data(home, fault))
    assert response.status_code == 302
    loan = BackupKeyLoan.objects.get()
    assert (loan.fault, loan.borrower) == (fault, home.colleague)
    # The key's page shows the loan's fault, linked.
    page = _main(keeper.get(f"/locks/keys/backup/{key.pk}/"))
    assert f'href="/locks/faults/{fault.pk}/"' in page[page.index('id="loan-fault"') :]
    assert f'href="/locks/faults/{fault.pk}/"' in page[page.index(f'id="loan-{loan.pk}"') :]


def test_a_loan_without_a_fault_and_a_forged_fault(home: Home, key: BackupKey, fault: LockFault):
    keeper = login(home.place.alarm_operator)
    elsewhere = faults.report_fault(
        home.other_worker, home.other_lock, home.other_client, symptom=Symptom.WONT_OPEN
    )
    response = keeper.post(f"/locks/keys/backup/{key.pk}/lend/", _lend_data(home, elsewhere))
    assert response.status_code == 400
    assert "Choose one of the lock faults at this door." in _main(response)
    assert not BackupKeyLoan.objects.exists()
    response = keeper.post(f"/locks/keys/backup/{key.pk}/lend/", _lend_data(home))
    assert response.status_code == 302
    assert BackupKeyLoan.objects.get().fault is None


def test_the_reporter_sees_where_the_key_is_and_who_has_it(
    home: Home, key: BackupKey, fault: LockFault
):
    reporter = login(home.worker)
    page = _main(reporter.get(f"/locks/faults/{fault.pk}/"))
    step = page[page.index(f'id="backup-key-{key.pk}"') :]
    assert "nyckelskåp 2, krok 21" in step
    assert "In place" in step
    assert "Lend it out for this fault" not in page  # a care worker keeps no keys
    lent_at = DAY.replace(hour=20)
    loan = backupkeys.lend(
        home.place.alarm_operator,
        key,
        home.colleague,
        fault=fault,
        now=lent_at,
        due_at=lent_at + dt.timedelta(hours=8),
    )
    page = _main(reporter.get(f"/locks/faults/{fault.pk}/"))
    step = page[page.index(f'id="backup-key-{key.pk}"') :]
    assert f"Lent to {home.colleague.get_full_name()} since" in step
    assert "20:00" in step
    assert "taken for this fault" in step
    assert f'id="fault-loan-{loan.pk}"' in page
    entry = AccessLogEntry.objects.filter(
        user=home.worker, client=home.client, action=AccessAction.DETAIL
    )
    assert entry.exists()
    # Another provider's staff never see the fault, nor the key's whereabouts.
    assert login(home.other_worker).get(f"/locks/faults/{fault.pk}/").status_code == 404


def test_the_ticket_shows_the_backup_key_and_the_loan(home: Home, key: BackupKey, fault: LockFault):
    loan = backupkeys.lend(home.place.alarm_operator, key, home.colleague, fault=fault)
    # The ticket heard of it, in the words of the one who lent it out.
    comment = fault.order.comments.get()  # type: ignore[union-attr]
    assert comment.author == home.place.alarm_operator
    assert f"Backup key R-021 lent to {home.colleague.get_full_name()}" in comment.text
    desk = login(home.place.tech)
    page = _main(desk.get(f"/orders/{fault.order_id}/"))
    card = page[page.index(f'id="fault-backup-keys-{fault.pk}"') :]
    assert "nyckelskåp 2, krok 21" in card
    assert f"Lent to {home.colleague.get_full_name()} since" in card
    assert f'id="fault-loan-{loan.pk}"' in card
    assert f'href="/locks/faults/{fault.pk}/"' in card
    assert AccessLogEntry.objects.filter(user=home.place.tech, client=home.client).exists()
    # The provider's team leader sees the ticket and the key too, not another provider.
    leader = _main(login(home.team_leader).get(f"/orders/{fault.order_id}/"))
    assert f'id="fault-backup-keys-{fault.pk}"' in leader
    assert "Lend it out for this fault" not in leader
    stranger = make_staff(Role.PROVIDER_MANAGER, provider=home.place.other_provider)
    assert login(stranger).get(f"/orders/{fault.order_id}/").status_code == 404


def test_an_auditor_sees_the_loans_fault_but_not_the_faults_page(
    home: Home, key: BackupKey, fault: LockFault
):
    backupkeys.lend(home.place.alarm_operator, key, home.colleague, fault=fault)
    auditor = login(home.place.auditor)
    page = _main(auditor.get(f"/locks/keys/backup/{key.pk}/"))
    assert "Lock fault" in page[page.index('id="loan-fault"') :]
    assert f'href="/locks/faults/{fault.pk}/"' not in page
    assert auditor.get(f"/locks/faults/{fault.pk}/").status_code == 404
