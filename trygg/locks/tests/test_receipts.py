"""A key receipt counts from the day the keys were handed over until the day they came back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from trygg.core.constants import AccessAction, Role
from trygg.core.models import AccessLogEntry
from trygg.core.tests.factories import ClientFactory, make_staff
from trygg.devices.tests.places import Place
from trygg.locks import receipts
from trygg.locks.constants import KeyHolder, SignedHow
from trygg.locks.models import KeyReceipt
from trygg.locks.receipts import ReceiptError, clean_signature, has_key_receipt, receipts_in_force

from .conftest import login

pytestmark = pytest.mark.django_db

HANDED = dt.date(2026, 11, 2)


def _receipt(**fields: object) -> KeyReceipt:
    client = fields.pop("client", None) or ClientFactory()
    values: dict[str, object] = {
        "municipality": client.municipality,
        "client": client,
        "keys": "Två lägenhetsnycklar",
        "key_count": 2,
        "holder": KeyHolder.ALARM_ORGANISATION,
        "handed_over_on": HANDED,
        "signed_by": "Brukaren",
        "signed_how": SignedHow.PAPER,
        "registered_by": make_staff(Role.WELFARE_TECH, municipality=client.municipality),
    }
    values.update(fields)
    return KeyReceipt.objects.create(**values)


def test_a_receipt_holds_from_handover_until_the_keys_come_back():
    receipt = _receipt(returned_on=dt.date(2026, 11, 20))
    client = receipt.client
    assert not has_key_receipt(client, HANDED - dt.timedelta(days=1))
    assert has_key_receipt(client, HANDED)
    assert receipts_in_force(client, dt.date(2026, 11, 19)) == [receipt]
    assert not has_key_receipt(client, dt.date(2026, 11, 20))


def test_a_provider_holding_keys_is_named():
    with pytest.raises(IntegrityError):
        _receipt(holder=KeyHolder.PROVIDER)


# Registering, showing and closing receipts ----------------------------------------------------

SIGNATURE = "M10 60 L40 30 L70 80 L100 35 L130 75 L160 40 L190 70"
PDF = b"%PDF-1.4\n% a scanned receipt\n"


def _main(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return html[html.index("<main") : html.index("</main>")]


def _register(place: Place, actor: object = None, **fields: object) -> KeyReceipt:
    values: dict[str, object] = {
        "keys": "Lägenhetsnyckel och porttagg",
        "key_count": 2,
        "holder": KeyHolder.ALARM_ORGANISATION,
        "handed_over_on": place.municipality.today(),
        "signed_by": "Greta Holm",
        "signed_how": SignedHow.PHONE,
        "signature": SIGNATURE,
    }
    values.update(fields)
    return receipts.register_receipt(actor or place.care_worker, place.client, **values)  # type: ignore[arg-type]


def test_a_receipt_signed_on_the_phone_keeps_the_drawn_signature(place: Place):
    receipt = _register(place)
    assert receipt.signed_how == SignedHow.PHONE
    assert receipt.signature == SIGNATURE
    assert receipt.registered_by == place.care_worker
    assert has_key_receipt(place.client, place.municipality.today())


def test_a_provider_holding_the_keys_is_the_clients_own(place: Place):
    receipt = _register(place, holder=KeyHolder.PROVIDER)
    assert receipt.holder_provider == place.client.provider


def test_a_paper_receipt_takes_a_scan_and_no_signature(place: Place, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("kvittens Greta.pdf", PDF, content_type="application/pdf")
    receipt = _register(place, signed_how=SignedHow.PAPER, signature=SIGNATURE, scan=scan)
    assert receipt.signature == ""
    assert receipt.scan_name == "kvittens Greta.pdf"
    # The stored name does not carry the client's name.
    assert "Greta" not in receipt.scan.name


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"signature": ""}, "Let the signer sign"),
        ({"signature": "M10 10"}, "too short"),
        ({"signature": 'M10 10 L20 20"/><script>'}, "could not be read"),
        ({"signature": "M10 10 L500 20 L30 30 L40 40 L50 50"}, "could not be read"),
        ({"signed_by": "  "}, "Type the name"),
        ({"keys": ""}, "Say which keys"),
        ({"key_count": 0}, "number of keys"),
        ({"signed_how": "fax"}, "how the receipt was signed"),
    ],
)
def test_a_receipt_with_bad_input_is_refused_and_nothing_saved(place: Place, fields, message):
    with pytest.raises(ReceiptError, match=message):
        _register(place, **fields)
    assert not KeyReceipt.objects.exists()


def test_a_handover_in_the_future_is_refused(place: Place):
    with pytest.raises(ReceiptError, match="not before"):
        _register(place, handed_over_on=place.municipality.today() + dt.timedelta(days=1))


def test_a_scan_goes_only_with_paper_and_only_as_pdf_or_picture(place: Place):
    scan = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ReceiptError, match="signed on paper"):
        _register(place, scan=scan)
    exe = SimpleUploadedFile("a.exe", b"MZ", content_type="application/x-msdownload")
    with pytest.raises(ReceiptError, match="PDF, JPEG or PNG"):
        _register(place, signed_how=SignedHow.PAPER, scan=exe)


def test_another_providers_staff_cannot_register_a_receipt(place: Place):
    stranger = make_staff(Role.CARE_WORKER, provider=place.other_provider)
    with pytest.raises(PermissionError):
        _register(place, actor=stranger)


def test_the_signature_is_rewritten_in_one_form():
    assert clean_signature("M 10,20 L 30.5 40  L50 60 L 70 20 L90 40") == (
        "M10 20 L30.5 40 L50 60 L70 20 L90 40"
    )


def test_the_return_is_registered_once_and_not_before_the_handover(place: Place):
    today = place.municipality.today()
    receipt = _register(place, handed_over_on=today - dt.timedelta(days=5))
    with pytest.raises(ReceiptError, match="before they were handed over"):
        receipts.register_return(
            place.care_worker, receipt, returned_on=today - dt.timedelta(days=6)
        )
    with pytest.raises(ReceiptError, match="not before"):
        receipts.register_return(place.care_worker, receipt, returned_on=today + dt.timedelta(1))
    receipts.register_return(place.tech, receipt, returned_on=today, note="Till dottern")
    receipt.refresh_from_db()
    assert receipt.returned_on == today
    assert receipt.return_registered_by == place.tech
    assert not has_key_receipt(place.client, today)
    with pytest.raises(ReceiptError, match="registered as returned"):
        receipts.register_return(place.tech, receipt, returned_on=today)


# Pages --------------------------------------------------------------------------------------------


def test_a_care_worker_registers_a_receipt_on_the_phone(place: Place):
    http = login(place.care_worker)
    url = f"/locks/keys/receipts/new/?client={place.client.pk}"
    assert http.get(url).status_code == 200
    response = http.post(
        url,
        {
            "keys": "Två lägenhetsnycklar",
            "key_count": "2",
            "holder": KeyHolder.ALARM_ORGANISATION,
            "handed_over_on": place.municipality.today().isoformat(),
            "signed_by": "Greta Holm",
            "signed_how": SignedHow.PHONE,
            "signature": SIGNATURE,
        },
    )
    receipt = KeyReceipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/locks/keys/receipts/{receipt.pk}/"
    page = _main(http.get(response["Location"]))
    assert "Två lägenhetsnycklar" in page
    assert f'<path d="{SIGNATURE}"' in page
    assert AccessLogEntry.objects.filter(
        user=place.care_worker, client=place.client, action=AccessAction.DETAIL
    ).exists()


def test_a_receipt_without_a_signature_is_sent_back_with_the_reason(place: Place):
    response = login(place.care_worker).post(
        f"/locks/keys/receipts/new/?client={place.client.pk}",
        {
            "keys": "Nyckel",
            "key_count": "1",
            "holder": KeyHolder.PROVIDER,
            "handed_over_on": place.municipality.today().isoformat(),
            "signed_by": "Greta Holm",
            "signed_how": SignedHow.PHONE,
            "signature": "",
        },
    )
    assert response.status_code == 400
    assert "Let the signer sign on the screen." in _main(response)
    assert not KeyReceipt.objects.exists()


def test_another_providers_client_is_not_found(place: Place):
    http = login(place.care_worker)
    assert http.get(f"/locks/keys/receipts/new/?client={place.other_client.pk}").status_code == 404
    receipt = _receipt(client=place.other_client)
    assert http.get(f"/locks/keys/receipts/{receipt.pk}/").status_code == 404
    assert (
        http.post(
            f"/locks/keys/receipts/{receipt.pk}/return/",
            {"returned_on": place.municipality.today().isoformat()},
        ).status_code
        == 404
    )


def test_an_auditor_reads_a_receipt_but_registers_no_return(place: Place):
    receipt = _receipt(client=place.client)
    http = login(place.auditor)
    page = _main(http.get(f"/locks/keys/receipts/{receipt.pk}/"))
    assert "The keys came back" not in page
    response = http.post(
        f"/locks/keys/receipts/{receipt.pk}/return/",
        {"returned_on": place.municipality.today().isoformat()},
    )
    assert response.status_code == 403


def test_a_return_before_the_handover_is_refused_on_the_page(place: Place):
    receipt = _receipt(client=place.client)
    response = login(place.manager).post(
        f"/locks/keys/receipts/{receipt.pk}/return/", {"returned_on": "2026-10-01"}
    )
    assert response.status_code == 400
    assert "cannot come back before they were handed over (2026-11-02)" in _main(response)
    receipt.refresh_from_db()
    assert receipt.returned_on is None


def test_the_scan_is_served_only_through_the_checking_view(place: Place, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("kvittens.pdf", PDF, content_type="application/pdf")
    receipt = _register(place, signed_how=SignedHow.PAPER, scan=scan)
    response = login(place.manager).get(f"/locks/keys/receipts/{receipt.pk}/scan/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    stranger = make_staff(Role.PROVIDER_MANAGER, provider=place.other_provider)
    assert login(stranger).get(f"/locks/keys/receipts/{receipt.pk}/scan/").status_code == 404


def test_the_clients_record_shows_who_holds_the_keys(place: Place):
    receipt = _register(place, holder=KeyHolder.PROVIDER)
    http = login(place.care_worker)
    page = _main(http.get(f"/clients/{place.client.pk}/"))
    row = re.search(rf'<tr id="record-receipt-{receipt.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    assert place.client.provider.name in row.group(1)
    assert "Greta Holm" in row.group(1)
    entry = AccessLogEntry.objects.filter(user=place.care_worker, client=place.client).last()
    assert entry is not None
    assert entry.shown is not None
    assert entry.shown["key_receipts"] == [f"key receipt {receipt.pk}"]


def test_the_receipt_list_shows_only_the_providers_own(place: Place):
    own = _receipt(client=place.client)
    other = _receipt(client=place.other_client)
    page = _main(login(place.manager).get("/locks/keys/receipts/"))
    assert f'id="receipt-{own.pk}"' in page
    assert f'id="receipt-{other.pk}"' not in page
    page = _main(login(place.tech).get("/locks/keys/receipts/"))
    assert f'id="receipt-{other.pk}"' in page
