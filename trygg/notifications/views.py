"""A person's own notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from trygg.core.web import request_user

from . import services
from .models import Notification


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(recipient=request_user(request)).order_by(
        "-created_at", "-id"
    )
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and follow its link."""
    user = request_user(request)
    note = Notification.objects.filter(recipient=user, pk=pk).first()
    if note is None:
        return redirect("notifications:list")
    services.mark_read(user, [note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect(note.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(request_user(request))
    return redirect("notifications:list")
