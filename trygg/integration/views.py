"""The back-office import page: upload the case system's CSV file, see what it did."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from trygg.core.web import request_user

from . import access
from .constants import COLUMN_GUIDE, ImportSource
from .forms import ImportForm
from .models import ImportRun
from .services import ImportRefused, ImportResult, import_file

RECENT_RUNS = 20


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_import(user):
        raise PermissionDenied
    providers = access.importable_providers(user)
    result: ImportResult | None = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, providers=providers)
        if form.is_valid():
            provider = form.cleaned_data["provider"]
            upload = form.cleaned_data["file"]
            try:
                result = import_file(
                    upload.read(),
                    file_format="csv",
                    provider=provider,
                    actor=user,
                    source=ImportSource.UPLOAD,
                    end_missing=form.cleaned_data["end_missing"],
                    file_name=upload.name or "",
                )
            except ImportRefused as exc:
                raise PermissionDenied from exc
            form = ImportForm(providers=providers, initial={"provider": provider})
    else:
        form = ImportForm(providers=providers)
    runs = (
        ImportRun.objects.filter(provider__in=providers)
        .select_related("provider")
        .order_by("-started_at", "-id")[:RECENT_RUNS]
    )
    return render(
        request,
        "integration/import.html",
        {"form": form, "result": result, "runs": runs, "columns": COLUMN_GUIDE},
    )
