"""Pages for physical keys: key receipts (register on the phone, show, register the return)
and the backup-key register (the keys, where each is kept, lending and returns, what is
overdue). Each view parses, asks `keyaccess`, calls a service, renders; every read of a
client's data is access-logged."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trygg.alarms.models import District
from trygg.core import access as core_access
from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.models import Client, User
from trygg.core.services import log_request_access
from trygg.core.web import render_page, request_user

from . import backupkeys, keyaccess, receipts
from .constants import KeyHolder, SignedHow
from .keyforms import BackupKeyForm, LendForm, ReceiptForm, ReturnForm
from .models import BackupKey, BackupKeyLoan, KeyReceipt

PAGE_SIZE = 50


def _client_for_receipt(request: HttpRequest, user: User, raw: str | None) -> Client:
    if not raw or not raw.isdigit():
        raise Http404
    client = core_access.get_client(user, int(raw))
    if not keyaccess.can_register_receipt(user, client):
        raise PermissionDenied
    return client


def _get_receipt(user: User, pk: int) -> KeyReceipt:
    try:
        return (
            keyaccess.receipts(user)
            .select_related("client__municipality", "client__provider", "holder_provider")
            .select_related("registered_by", "return_registered_by")
            .get(pk=pk)
        )
    except KeyReceipt.DoesNotExist as exc:
        raise Http404 from exc


def _tabs(user: User) -> dict[str, bool]:
    return {
        "can_receipts": keyaccess.can_read_receipts(user),
        "can_register": keyaccess.can_read_register(user),
        "can_fault": keyaccess.can_report_any_fault(user),
    }


@login_required
@require_GET
def keys_home(request: HttpRequest) -> HttpResponse:
    """The menu's "Keys": the keepers' register of backup keys, everyone else's receipts."""
    user = request_user(request)
    if any(keyaccess.can_keep(user, m) for m in keyaccess.register_municipalities(user)):
        return redirect("locks:backup_keys")
    if keyaccess.can_read_receipts(user) or keyaccess.can_read_register(user):
        return redirect(
            "locks:receipts" if keyaccess.can_read_receipts(user) else "locks:backup_keys"
        )
    raise PermissionDenied


# Key receipts --------------------------------------------------------------------------------


@login_required
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not keyaccess.can_read_receipts(user):
        raise PermissionDenied
    today = clock.today_for(user)
    show = request.GET.get("show", "in_force")
    queryset = keyaccess.receipts(user).select_related("client", "holder_provider")
    if show == "returned":
        queryset = queryset.filter(returned_on__isnull=False)
    elif show != "all":
        show = "in_force"
        queryset = queryset.in_force_on(today)
    text = request.GET.get("q", "").strip()[:100]
    for word in text.split():
        queryset = queryset.filter(
            Q(client__first_name__icontains=word)
            | Q(client__last_name__icontains=word)
            | Q(client__street__icontains=word)
            | Q(keys__icontains=word)
            | Q(signed_by__icontains=word)
        )
    page = Paginator(
        queryset.order_by("client__last_name", "client__first_name", "-handed_over_on", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    log_request_access(request, {r.client_id: r.client for r in page}.values(), AccessAction.LIST)
    return render_page(
        request,
        "locks/keys/receipts.html",
        "locks/keys/receipts.html",
        {"page": page, "show": show, "q": text, "today": today, **_tabs(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def receipt_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    client = _client_for_receipt(request, user, request.GET.get("client"))
    today = client.municipality.today()
    form = ReceiptForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "handed_over_on": today,
            "holder": KeyHolder.ALARM_ORGANISATION if client.digital_lock else KeyHolder.PROVIDER,
            "signed_how": SignedHow.PHONE,
            "key_count": 1,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                receipt = receipts.register_receipt(
                    user,
                    client,
                    keys=data["keys"],
                    key_count=data["key_count"],
                    holder=data["holder"],
                    handed_over_on=data["handed_over_on"],
                    signed_by=data["signed_by"],
                    signed_how=data["signed_how"],
                    signature=data["signature"],
                    scan=data["scan"] or None,
                    note=data["note"],
                )
            except receipts.ReceiptError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The key receipt is registered."))
                return redirect("locks:receipt", keyreceipt_pk=receipt.pk)
        status = 400
    log_request_access(request, [client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/keys/receipt_form.html",
        "locks/keys/receipt_form.html",
        {
            "form": form,
            "client": client,
            "box": receipts.SIGNATURE_BOX,
        },
        status=status,
    )


@login_required
@require_GET
def receipt_detail(request: HttpRequest, keyreceipt_pk: int) -> HttpResponse:
    user = request_user(request)
    receipt = _get_receipt(user, keyreceipt_pk)
    can_return = receipt.returned_on is None and keyaccess.can_register_receipt(
        user, receipt.client
    )
    log_request_access(request, [receipt.client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/keys/receipt.html",
        "locks/keys/receipt.html",
        {
            "receipt": receipt,
            "client": receipt.client,
            "box": receipts.SIGNATURE_BOX,
            "return_form": ReturnForm(initial={"returned_on": receipt.municipality.today()})
            if can_return
            else None,
        },
    )


@login_required
@require_POST
def receipt_return(request: HttpRequest, keyreceipt_pk: int) -> HttpResponse:
    user = request_user(request)
    receipt = _get_receipt(user, keyreceipt_pk)
    if not keyaccess.can_register_receipt(user, receipt.client):
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            receipts.register_return(
                user,
                receipt,
                returned_on=form.cleaned_data["returned_on"],
                note=form.cleaned_data["note"],
            )
        except receipts.ReceiptError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The return of the keys is registered."))
            return redirect("locks:receipt", keyreceipt_pk=receipt.pk)
    log_request_access(request, [receipt.client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/keys/receipt.html",
        "locks/keys/receipt.html",
        {
            "receipt": receipt,
            "client": receipt.client,
            "box": receipts.SIGNATURE_BOX,
            "return_form": form,
        },
        status=400,
    )


@login_required
@require_GET
def receipt_scan(request: HttpRequest, keyreceipt_pk: int) -> FileResponse:
    user = request_user(request)
    receipt = _get_receipt(user, keyreceipt_pk)
    if not receipt.scan:
        raise Http404
    log_request_access(request, [receipt.client], AccessAction.DETAIL)
    response = FileResponse(
        receipt.scan.open("rb"),
        as_attachment=True,
        filename=receipt.scan_name or "nyckelkvittens",
        content_type=receipt.scan_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# The backup-key register -------------------------------------------------------------------------


def _get_key(user: User, pk: int) -> BackupKey:
    try:
        return (
            keyaccess.backup_keys(user)
            .select_related("client__municipality", "district", "receipt", "registered_by")
            .get(pk=pk)
        )
    except BackupKey.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def backup_key_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not keyaccess.can_read_register(user):
        raise PermissionDenied
    now = timezone.now()
    municipalities = keyaccess.register_municipalities(user)
    districts = District.objects.filter(municipality_id__in=municipalities).order_by("name")
    queryset = keyaccess.backup_keys(user).in_use()
    district = request.GET.get("district", "")
    if district.isdigit():
        queryset = queryset.filter(district_id=int(district))
    show = request.GET.get("show", "")
    if show == "out":
        queryset = queryset.filter(loans__returned_at__isnull=True).distinct()
    elif show == "overdue":
        queryset = queryset.filter(pk__in=BackupKeyLoan.objects.overdue(now).values("key_id"))
    else:
        show = ""
    text = request.GET.get("q", "").strip()[:100]
    for word in text.split():
        queryset = queryset.filter(
            Q(label__icontains=word)
            | Q(kept_at__icontains=word)
            | Q(client__first_name__icontains=word)
            | Q(client__last_name__icontains=word)
            | Q(client__street__icontains=word)
        )
    queryset = (
        queryset.select_related("client", "district")
        .prefetch_related(backupkeys.out_loans_prefetch())
        .order_by("district__name", "label", "pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = backupkeys.with_loans(list(page.object_list), now)
    overdue = BackupKeyLoan.objects.overdue(now).filter(key__municipality_id__in=municipalities)
    shown = {s.key.client_id: s.key.client for s in rows}
    log_request_access(request, shown.values(), AccessAction.LIST)
    return render_page(
        request,
        "locks/keys/backup_keys.html",
        "locks/keys/backup_keys.html",
        {
            "page": page,
            "rows": rows,
            "districts": districts,
            "district": int(district) if district.isdigit() else None,
            "show": show,
            "q": text,
            "overdue_count": overdue.count(),
            "can_keep": any(keyaccess.can_keep(user, m) for m in municipalities),
            "loan_hours": int(backupkeys.loan_period().total_seconds() // 3600),
            **_tabs(user),
        },
    )


def _key_clients(user: User) -> Any:
    return core_access.clients(user).filter(
        municipality_id__in=keyaccess.scope_for(user).municipalities_with(keyaccess.KEEPERS)
    )


@login_required
@require_http_methods(["GET", "POST"])
def backup_key_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    raw = request.GET.get("client", "")
    if not raw.isdigit():
        raise Http404
    try:
        client = _key_clients(user).select_related("municipality").get(pk=int(raw))
    except Client.DoesNotExist as exc:
        raise Http404 from exc
    if not keyaccess.can_keep(user, client.municipality_id):
        raise PermissionDenied
    districts = District.objects.filter(municipality_id=client.municipality_id).order_by("name")
    form = BackupKeyForm(request.POST or None, districts=districts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            receipt = receipts.receipts_in_force(client, client.municipality.today())
            try:
                key = backupkeys.register_key(
                    user,
                    client,
                    label=data["label"],
                    kept_at=data["kept_at"],
                    district=data["district"],
                    receipt=receipt[0] if receipt else None,
                    note=data["note"],
                )
            except backupkeys.BackupKeyError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The backup key is in the register."))
                return redirect("locks:backup_key", backupkey_pk=key.pk)
        status = 400
    log_request_access(request, [client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/keys/backup_key_form.html",
        "locks/keys/backup_key_form.html",
        {"form": form, "client": client},
        status=status,
    )


def _staff(key: BackupKey) -> Any:
    return (
        User.objects.filter(backupkeys.borrowers(key.municipality_id))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def _lend_form(key: BackupKey, data: Any = None, initial: dict[str, Any] | None = None) -> LendForm:
    return LendForm(
        data,
        initial=initial,
        staff=_staff(key),
        faults=backupkeys.faults_to_lend_for(key, timezone.now()),
        zone=key.municipality.zone,
    )


def _key_context(
    user: User, key: BackupKey, lend_form: LendForm | None = None, *, fault: str = ""
) -> dict[str, Any]:
    now = timezone.now()
    state = backupkeys.with_loans([key], now)[0]
    keeper = keyaccess.can_keep(user, key.municipality_id)
    if keeper and state.available and lend_form is None:
        due = key.municipality.localtime(now + backupkeys.loan_period()).replace(tzinfo=None)
        initial: dict[str, Any] = {"due_at": due}
        # From a lock fault's page: the loan is for that fault (when it is at this door).
        if fault.isdigit():
            chosen = backupkeys.faults_to_lend_for(key, now).filter(pk=int(fault)).first()
            if chosen is not None:
                initial["fault"] = chosen
                initial["reason"] = _("Lock fault")
                # The one who reported it is usually the one who fetches the key.
                if _staff(key).filter(pk=chosen.reported_by_id).exists():
                    initial["borrower"] = chosen.reported_by_id
        lend_form = _lend_form(key, initial=initial)
    return {
        "key": key,
        "state": state,
        "client": key.client,
        "loans": key.loans.select_related(
            "borrower", "lent_by", "returned_to", "fault__reported_by"
        ).order_by("-lent_at", "-pk")[:20],
        "keeper": keeper,
        "lend_form": lend_form if keeper and state.available else None,
        # The faults' pages are for those who may report at the door (not the auditors).
        "faults_open": keyaccess.can_report_fault(user, key.client),
        "now": now,
        "zone": key.municipality.zone,
    }


@login_required
@require_GET
def backup_key_detail(request: HttpRequest, backupkey_pk: int) -> HttpResponse:
    user = request_user(request)
    key = _get_key(user, backupkey_pk)
    log_request_access(request, [key.client], AccessAction.DETAIL)
    return render_page(
        request,
        "locks/keys/backup_key.html",
        "locks/keys/backup_key.html",
        _key_context(user, key, fault=request.GET.get("fault", "")),
    )


@login_required
@require_POST
def backup_key_lend(request: HttpRequest, backupkey_pk: int) -> HttpResponse:
    user = request_user(request)
    key = _get_key(user, backupkey_pk)
    if not keyaccess.can_keep(user, key.municipality_id):
        raise PermissionDenied
    form = _lend_form(key, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # The keeper's wall-clock time is the municipality's, whatever the server's zone.
        due_at = data["due_at"].replace(tzinfo=None).replace(tzinfo=key.municipality.zone)
        try:
            backupkeys.lend(
                user,
                key,
                data["borrower"],
                reason=data["reason"],
                due_at=due_at,
                fault=data["fault"],
            )
        except backupkeys.BackupKeyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The key is lent out."))
            return redirect("locks:backup_key", backupkey_pk=key.pk)
    log_request_access(request, [key.client], AccessAction.DETAIL)
    context = _key_context(user, key, lend_form=form)
    if context["lend_form"] is None:
        # Lent out by someone else meanwhile: the reason shows above the loan.
        context["lend_errors"] = [str(e) for e in form.non_field_errors()]
    return render_page(
        request, "locks/keys/backup_key.html", "locks/keys/backup_key.html", context, status=400
    )


@login_required
@require_POST
def backup_key_return(request: HttpRequest, backupkey_pk: int) -> HttpResponse:
    user = request_user(request)
    key = _get_key(user, backupkey_pk)
    if not keyaccess.can_keep(user, key.municipality_id):
        raise PermissionDenied
    loan = key.loans.out().first()
    if loan is None:
        messages.error(request, _("The key is not lent out."))
        return redirect("locks:backup_key", backupkey_pk=key.pk)
    try:
        backupkeys.return_key(user, loan)
    except backupkeys.BackupKeyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The key is back in its place."))
    return redirect("locks:backup_key", backupkey_pk=key.pk)
