"""Orderers see their own provider's orders; the welfare-technology team sees them all."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from trygg.core.constants import Role
from trygg.core.tests.factories import MunicipalityFactory, make_staff
from trygg.servicedesk import access
from trygg.servicedesk.services import add_attachment, add_comment

from .conftest import Desk, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orders(desk: Desk) -> tuple:
    mine = desk.phone_order()
    theirs = desk.phone_order(desk.manager_b, provider=desk.provider_b)
    municipal = desk.phone_order(desk.operator)
    return mine, theirs, municipal


def test_orderers_see_their_own_provider_s_orders(desk: Desk, two_orders: tuple) -> None:
    mine, theirs, municipal = two_orders
    assert set(access.orders(desk.leader_a)) == {mine}
    assert set(access.orders(desk.colleague_a)) == {mine}  # a colleague at the same provider
    assert set(access.orders(desk.manager_b)) == {theirs}
    assert set(access.orders(desk.operator)) == {municipal}  # municipal: only their own
    assert set(access.orders(desk.care_worker_a)) == set()


def test_the_welfare_technology_team_sees_all_of_its_municipality(
    desk: Desk, two_orders: tuple
) -> None:
    assert set(access.orders(desk.welfare)) == set(two_orders)
    assert set(access.orders(desk.admin)) == set(two_orders)
    elsewhere = make_staff(Role.WELFARE_TECH, municipality=MunicipalityFactory())
    assert set(access.orders(elsewhere)) == set()


def test_another_provider_s_order_answers_404(desk: Desk, two_orders: tuple) -> None:
    mine, theirs, _municipal = two_orders
    http = login(desk.leader_a)
    assert http.get(f"/orders/{mine.pk}/").status_code == 200
    for url in (
        f"/orders/{theirs.pk}/",
        f"/api/v1/servicedesk/orders/{theirs.pk}",
    ):
        assert http.get(url).status_code == 404
    for url in (
        f"/orders/{theirs.pk}/status/",
        f"/orders/{theirs.pk}/comments/",
        f"/orders/{theirs.pk}/attachments/",
    ):
        assert http.post(url, {"status": "cancelled", "text": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "submitted"
    assert not theirs.comments.exists()


def test_another_provider_s_attachment_answers_404(
    desk: Desk, two_orders: tuple, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    _mine, theirs, _municipal = two_orders
    attachment = add_attachment(
        desk.manager_b, theirs, SimpleUploadedFile("kvittens.pdf", b"%PDF-1.4 secret")
    )
    url = f"/orders/{theirs.pk}/attachments/{attachment.pk}/"
    assert login(desk.leader_a).get(url).status_code == 404
    # Nor through one's own order's address.
    mine = two_orders[0]
    assert (
        login(desk.leader_a).get(f"/orders/{mine.pk}/attachments/{attachment.pk}/").status_code
        == 404
    )
    response = login(desk.welfare).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret"


def test_internal_notes_are_hidden_from_the_orderer(desk: Desk, two_orders: tuple) -> None:
    mine = two_orders[0]
    add_comment(desk.welfare, mine, "Intern: beställ från lagret", internal=True)
    add_comment(desk.welfare, mine, "Telefonen är klar att hämta")
    page = login(desk.leader_a).get(f"/orders/{mine.pk}/").content.decode()
    assert "Telefonen är klar att hämta" in page
    assert "beställ från lagret" not in page
    assert "beställ från lagret" in login(desk.welfare).get(f"/orders/{mine.pk}/").content.decode()


def test_people_without_an_ordering_role_do_not_get_the_pages(desk: Desk) -> None:
    http = login(desk.care_worker_a)
    assert http.get("/orders/").status_code == 403
    assert http.get("/orders/new/").status_code == 403
    assert http.get("/api/v1/servicedesk/order-types").json() == []
    assert login(desk.leader_a).get("/orders/").status_code == 200
