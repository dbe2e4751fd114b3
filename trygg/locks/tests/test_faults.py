"""Lock faults on the phone: the reporter is told what to do now (the backup key first, then
whom to call by the hour and the working-day calendar, from the support directory), and the
report becomes a lock-fault ticket with the lock, the client and the steps taken."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from trygg.core.constants import Role
from trygg.core.tests.factories import make_staff
from trygg.locks import backupkeys, faults, inventory
from trygg.locks.constants import BackupKeyOutcome, Symptom
from trygg.locks.models import LockFault
from trygg.servicedesk.models import Order
from trygg.support import demo as support_demo

from .conftest import DAY, EVENING, NIGHT, STOCKHOLM, Home, login

pytestmark = pytest.mark.django_db

SATURDAY = dt.datetime(2026, 11, 28, 10, 0, tzinfo=STOCKHOLM)
SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 23, 30, tzinfo=STOCKHOLM)


def _main(response: object) -> str:
    page = response.content.decode()  # type: ignore[attr-defined]
    return html.unescape(page[page.index("<main") : page.index("</main>")])


@pytest.fixture
def directory(home: Home) -> None:
    """The demo's support lines: the support line in office hours, the lock-fault line
    evenings 17-22 and weekends 07-22, each district's alarm organisation."""
    support_demo.seed_demo(home.place.municipality, today=DAY.date())


@pytest.mark.parametrize(
    ("at", "line"),
    [
        (DAY, "Support besöksapp och lås"),
        (EVENING, "Låsfellinjen"),
        (NIGHT, "Larmorganisation Norr dag"),
        (SATURDAY, "Låsfellinjen"),
        (SATURDAY_NIGHT, "Larmorganisation Norr dag"),
    ],
)
def test_whom_to_call_follows_the_hour_and_the_calendar(home: Home, directory: None, at, line):
    advice = faults.advice_for(home.worker, home.client, at=at)
    assert advice.call is not None
    assert advice.call.line.name == line


def test_on_a_holiday_the_lock_fault_line_answers_by_day(home: Home, directory: None):
    christmas = dt.datetime(2026, 12, 25, 11, 0, tzinfo=STOCKHOLM)  # a Friday, a holiday
    advice = faults.advice_for(home.worker, home.client, at=christmas)
    assert advice.call is not None
    assert advice.call.line.name == "Låsfellinjen"
    assert not advice.support_open


def test_the_backup_key_comes_first_with_where_it_is_kept(home: Home, directory: None):
    key = backupkeys.register_key(
        home.place.alarm_operator, home.client, label="R-7", kept_at="Larmorganisation, krok 7"
    )
    advice = faults.advice_for(home.worker, home.client, at=EVENING)
    assert [s.key for s in advice.backup_keys] == [key]
    # After the lock-fault line, the district's alarm organisation if nobody answers.
    assert "Larmorganisation Norr dag" in [line.name for line in advice.then_call]


def test_a_report_becomes_a_lock_fault_ticket(home: Home, directory: None):
    fault = faults.report_fault(
        home.worker,
        home.lock,
        home.client,
        symptom=Symptom.WONT_OPEN,
        description="Dörren öppnas inte.",
        now=EVENING,
    )
    order = Order.objects.get(pk=fault.order_id)
    assert order.order_type.code == "lock_fault"
    assert order.client == home.client
    assert order.provider == home.place.provider
    assert order.values["lock"] == home.lock.serial_number
    assert home.lock.serial_number in order.values["fault"]
    assert "Dörren öppnas inte." in order.values["fault"]
    assert fault.advice["call"]["name"] == "Låsfellinjen"


def test_the_steps_taken_go_on_the_ticket(home: Home, directory: None):
    fault = faults.report_fault(home.worker, home.lock, home.client, symptom=Symptom.WONT_OPEN)
    faults.record_steps(
        home.worker,
        fault,
        backup_key=BackupKeyOutcome.FAILED,
        called="Låsfellinjen",
        door_opened=False,
    )
    assert fault.backup_key == BackupKeyOutcome.FAILED
    comment = fault.order.comments.get()  # type: ignore[union-attr]
    assert "it did not help" in comment.text
    assert "Låsfellinjen" in comment.text
    assert Order.objects.get(pk=fault.order_id).values["backup_key_used"] is True
    with pytest.raises(faults.FaultRefused):
        faults.record_steps(home.colleague, fault, backup_key=BackupKeyOutcome.WORKED)


def test_a_fault_for_another_providers_client_is_refused(home: Home, directory: None):
    with pytest.raises(faults.FaultRefused, match="another provider's client"):
        faults.report_fault(home.worker, home.other_lock, home.other_client, symptom="wont_open")
    assert not LockFault.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"symptom": "exploded"}, "Say what happened"),
        ({"symptom": Symptom.OTHER, "description": " "}, "Describe what happened"),
        ({"symptom": Symptom.OTHER, "description": "x" * 2001}, "at most 2000"),
    ],
)
def test_a_report_with_bad_input_saves_nothing(home: Home, directory: None, fields, message):
    with pytest.raises(faults.FaultError, match=message):
        faults.report_fault(home.worker, home.lock, home.client, **fields)
    assert not LockFault.objects.exists()
    assert not Order.objects.exists()


def test_a_lock_taken_down_takes_no_report(home: Home, directory: None):
    inventory.remove_lock(home.place.tech, home.lock, on=DAY.date())
    with pytest.raises(faults.FaultError, match="not on any door"):
        faults.report_fault(home.worker, home.lock, home.client, symptom="wont_open", now=DAY)


# Pages ----------------------------------------------------------------------------------------


def test_the_phone_reports_and_shows_what_to_do(home: Home, directory: None):
    http = login(home.worker)
    page = _main(http.get("/locks/faults/"))
    value = f"{home.lock.pk}:{home.client.pk}"
    assert f'value="{value}"' in page
    assert f'value="{home.other_lock.pk}:{home.other_client.pk}"' not in page
    response = http.post("/locks/faults/", {"lock": value, "symptom": "wont_open"})
    assert response.status_code == 302
    fault = LockFault.objects.get()
    page = _main(http.get(response["Location"]))
    assert 'id="step-backup-key"' in page
    assert 'id="step-call"' in page
    assert fault.order is not None
    assert fault.order.number in page
    response = http.post(
        response["Location"], {"backup_key": "worked", "called": "", "door_opened": "true"}
    )
    assert response.status_code == 302
    fault.refresh_from_db()
    assert fault.door_opened is True


def test_a_forged_door_of_another_provider_is_refused_with_a_message(home: Home, directory: None):
    response = login(home.worker).post(
        "/locks/faults/",
        {"lock": f"{home.other_lock.pk}:{home.other_client.pk}", "symptom": "wont_open"},
    )
    assert response.status_code == 403
    assert "another provider's client" in _main(response)
    assert not LockFault.objects.exists()


def test_a_report_without_what_happened_is_sent_back(home: Home, directory: None):
    response = login(home.worker).post(
        "/locks/faults/", {"lock": f"{home.lock.pk}:{home.client.pk}"}
    )
    assert response.status_code == 400
    assert "Say what happened." in _main(response)


def test_another_provider_cannot_open_the_fault(home: Home, directory: None):
    fault = faults.report_fault(home.worker, home.lock, home.client, symptom="wont_open")
    assert login(home.other_worker).get(f"/locks/faults/{fault.pk}/").status_code == 404
    manager = make_staff(Role.PROVIDER_MANAGER, provider=home.place.provider)
    assert login(manager).get(f"/locks/faults/{fault.pk}/").status_code == 200


def test_the_ticket_page_shows_the_lock_and_the_steps(home: Home, directory: None):
    fault = faults.report_fault(home.worker, home.lock, home.client, symptom="wont_open")
    faults.record_steps(home.worker, fault, backup_key="worked", called="Låsfellinjen")
    page = _main(login(home.place.tech).get(f"/orders/{fault.order_id}/"))
    section = page[page.index('id="lock-fault"') :]
    assert home.lock.serial_number in section
    assert "called Låsfellinjen" in section
