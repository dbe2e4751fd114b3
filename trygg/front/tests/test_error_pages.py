"""Refusals and failures in the person's language and the site's layout, saying what to do
instead; and a refused request is one line in the server log, not a traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory

from trygg.core.constants import Role
from trygg.core.tests.factories import TeamFactory, make_staff
from trygg.lib.redact import ClientErrorsInOneLine

pytestmark = pytest.mark.django_db


def _care_worker_client(language: str = "sv") -> HttpClient:
    team = TeamFactory()
    http = HttpClient()
    http.cookies["trygg_language"] = language
    http.force_login(make_staff(Role.CARE_WORKER, provider=team.provider, teams=[team]))
    return http


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("sv", "Den här sidan är inte för din roll"),
        ("nb", "Denne siden er ikke for din rolle"),
        ("en", "This page is not for your role"),
    ],
)
def test_a_forbidden_page_says_why_in_the_layout_with_the_menu(language: str, heading: str) -> None:
    response = _care_worker_client(language).get("/outages/")  # planners only
    assert response.status_code == 403
    page = response.content.decode()
    assert heading in page
    assert 'class="mainnav"' in page  # the menu: what the person can use instead
    assert 'href="/"' in page


def test_a_missing_page_is_not_a_debug_page() -> None:
    response = _care_worker_client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Här finns ingenting" in page
    assert 'class="mainnav"' in page
    assert "Traceback" not in page
    assert "URLconf" not in page


def test_a_server_failure_page_needs_nothing_that_could_fail_again() -> None:
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("sv"):  # as the language middleware left it for the request
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Något gick fel hos oss" in response.content.decode()


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), exc_info)
    record.status_code = status
    return record


def test_a_refused_request_is_logged_in_one_line_a_server_error_with_its_traceback() -> None:
    quiet = ClientErrorsInOneLine()
    refused, failed = _record(403), _record(500)
    assert quiet.filter(refused)
    assert refused.exc_info is None
    assert quiet.filter(failed)
    assert failed.exc_info is not None
    request_logger = logging.getLogger("django.request")
    assert any(isinstance(f, ClientErrorsInOneLine) for f in request_logger.filters)
    assert not request_logger.propagate  # printed once, by our handler, not Django's too
