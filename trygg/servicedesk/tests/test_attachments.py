"""Attachments: at most 20 MB, stored outside any public path, served as downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from trygg.servicedesk.constants import MAX_ATTACHMENT_BYTES
from trygg.servicedesk.models import OrderAttachment
from trygg.servicedesk.services import OrderError, add_attachment

from .conftest import Desk, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_stores_the_file_under_a_random_name(desk: Desk, tmp_path: Path) -> None:
    order = desk.phone_order()
    attachment = add_attachment(
        desk.leader_a, order, SimpleUploadedFile("Astrid Alfa kvittens.pdf", b"%PDF data")
    )
    assert attachment.original_name == "Astrid Alfa kvittens.pdf"
    assert attachment.size == 9
    assert "Alfa" not in attachment.file.name
    assert (tmp_path / attachment.file.name).read_bytes() == b"%PDF data"


def test_a_file_over_20_mb_is_refused(desk: Desk) -> None:
    order = desk.phone_order()
    too_big = SimpleUploadedFile("stor.bin", b"x" * (MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(OrderError, match="20 MB"):
        add_attachment(desk.leader_a, order, too_big)
    assert not OrderAttachment.objects.exists()
    just_right = SimpleUploadedFile("lagom.bin", b"x" * MAX_ATTACHMENT_BYTES)
    assert add_attachment(desk.leader_a, order, just_right).size == MAX_ATTACHMENT_BYTES


def test_the_page_uploads_and_serves_it_as_a_download(desk: Desk) -> None:
    order = desk.phone_order()
    http = login(desk.leader_a)
    response = http.post(
        f"/orders/{order.pk}/attachments/",
        {"file": SimpleUploadedFile("<script>.html", b"<script>alert(1)</script>")},
    )
    assert response.status_code == 302
    attachment = OrderAttachment.objects.get()
    download = http.get(f"/orders/{order.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_too_large_upload_through_the_page_is_reported(desk: Desk) -> None:
    order = desk.phone_order()
    response = login(desk.leader_a).post(
        f"/orders/{order.pk}/attachments/",
        {"file": SimpleUploadedFile("stor.bin", b"x" * (MAX_ATTACHMENT_BYTES + 1))},
        follow=True,
    )
    assert not OrderAttachment.objects.exists()
    assert "20 MB" in response.content.decode()
