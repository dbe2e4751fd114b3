"""What every app's pages and API handlers share: the signed-in staff member, and one view
serving both a whole page and its fragment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import User


def request_user(request: HttpRequest) -> User:
    """The staff member behind a request that login (or the API's session auth) admitted."""
    user = request.user
    assert isinstance(user, User)
    return user


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of a page (a list after a filter), not a boosted link."""
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted  # type: ignore[attr-defined]


def filter_status(request: HttpRequest, form: forms.Form) -> int:
    """The status of a list page whose filter form may not parse: 400 when it does not (a
    team id past any id, a date out of range), with the form's message on the page and no
    rows. An htmx request still gets 200: htmx swaps only successful answers."""
    if form.is_bound and not form.is_valid() and not wants_fragment(request):
        return 400
    return 200


def render_page(
    request: HttpRequest,
    page: str,
    fragment: str,
    context: dict[str, Any],
    *,
    as_fragment: bool | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only its fragment: for an htmx request, or when the URL asks for
    it (`as_fragment`, a live list the page's script reloads).

    A fragment is never stored by the browser: the page and its fragment share a URL, and
    a cached fragment must not come back as the page (they also list personal data)."""
    if as_fragment is None:
        as_fragment = wants_fragment(request)
    if not as_fragment:
        return render(request, page, context, status=status)
    response = render(request, fragment, context, status=status)
    response["Cache-Control"] = "no-store"
    return response
