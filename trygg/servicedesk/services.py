"""Service-desk operations: placing orders, moving them along, and telling the orderer.

Each function owns its transaction. Who may call which is decided by the caller through
`servicedesk.access`; what follows from the order's own state (which status may follow
which, a step only on an open order) is decided here.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core import clock
from trygg.core.constants import AccessAction
from trygg.core.languages import language_of
from trygg.core.models import Client, Municipality, Provider, User
from trygg.core.services import log_client_access
from trygg.notifications.services import notify

from . import access, hooks
from .constants import (
    ANY_OPEN,
    CLOSED_STATUSES,
    FULFILLER_TRANSITIONS,
    MAX_ATTACHMENT_BYTES,
    OPEN_STATUSES,
    ORDER_NUMBER_PREFIX,
    ORDERER_TRANSITIONS,
    RESULT_CLAIM_LEASE,
    RESULT_RETRY_AFTER,
    OrderStatus,
)
from .fields import OrderValuesForm
from .hooks import GeneratedFile, ResultRequest
from .models import (
    Order,
    OrderAttachment,
    OrderComment,
    OrderEvent,
    OrderNumberSeries,
    OrderQuerySet,
    OrderResult,
    OrderStep,
    OrderType,
)

logger = logging.getLogger(__name__)


class OrderError(Exception):
    """A request the order's state or the rules do not allow; the message says why."""


class InvalidOrder(OrderError):
    """The order's form has errors; `form` carries them per field."""

    def __init__(self, form: OrderValuesForm) -> None:
        super().__init__(_("The order has errors."))
        self.form = form

    @property
    def errors(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in messages] for name, messages in self.form.errors.items()}


class OrderConflict(OrderError):
    """Someone else changed the order first."""


class StepsNotDone(OrderError):
    """ "Done" was asked for while checklist steps are unticked, and no reason was given."""

    def __init__(self, steps: Sequence[str]) -> None:
        super().__init__(
            _(
                "These steps are not ticked: %(steps)s. Tick them first, or give the reason "
                "the order is done without them."
            )
            % {"steps": ", ".join(steps)}
        )
        self.steps = list(steps)


# Lists --------------------------------------------------------------------------------


def filter_orders(queryset: OrderQuerySet, data: dict[str, Any], today: dt.date) -> OrderQuerySet:
    """Apply the order list's filters (the page's form, the API's query): text, status (or
    every open one, `ANY_OPEN`), type, overdue."""
    queryset = queryset.search(data.get("q") or "")
    status = data.get("status")
    if status == ANY_OPEN:
        queryset = queryset.open()
    elif status:
        queryset = queryset.filter(status=status)
    if data.get("order_type"):
        queryset = queryset.filter(order_type_id=data["order_type"])
    if data.get("overdue"):
        queryset = queryset.overdue(today)
    return queryset


def open_counts(user: User) -> dict[str, int]:
    """Open and overdue orders this user may see, for the start page's card."""
    today = clock.today_for(user)
    visible = access.orders(user).open()
    return {"open": visible.count(), "overdue": visible.overdue(today).count()}


# Due dates ----------------------------------------------------------------------------


def due_date(municipality: Municipality, placed: dt.date, working_days: int) -> dt.date:
    """The due date of an order placed on `placed` with a deadline of `working_days`.

    The deadline runs from the first working day on or after the day it was placed, the
    day the team can first pick it up. `add_working_days` alone counts a Saturday order
    like one placed on Friday (2 working days: due Tuesday); a service desk closed at the
    weekend receives it on Monday, so it is due on Wednesday, as a Monday order is.
    """
    received = municipality.add_working_days(placed, 0)
    return municipality.add_working_days(received, working_days)


# Placing -----------------------------------------------------------------------------


def values_form(
    order_type: OrderType, clients: QuerySet[Client], data: Mapping[str, Any] | None = None
) -> OrderValuesForm:
    return OrderValuesForm(order_type.field_specs, clients, data)


def _next_number(municipality: Municipality, year: int) -> str:
    series, _created = OrderNumberSeries.objects.get_or_create(municipality=municipality, year=year)
    # The UPDATE takes the row lock, so two orders placed at once get different numbers.
    OrderNumberSeries.objects.filter(pk=series.pk).update(last=F("last") + 1)
    last = OrderNumberSeries.objects.values_list("last", flat=True).get(pk=series.pk)
    return f"{ORDER_NUMBER_PREFIX}-{year}-{last:05d}"


def place_order(
    orderer: User,
    order_type: OrderType,
    data: Mapping[str, Any],
    *,
    provider: Provider | None,
    clients: QuerySet[Client],
    now: dt.datetime | None = None,
) -> Order:
    """Validate the type's form against `data` and place the order; nothing is saved when
    a field is wrong (InvalidOrder carries the errors per field).

    `provider` is the orderer's provider the order is placed for (None for municipal
    staff); `clients` are those the orderer may name, from `access.order_clients`.
    """
    if not order_type.active:
        raise OrderError(_("This order type is no longer offered."))
    if provider is not None and provider.municipality_id != order_type.municipality_id:
        raise OrderError(_("The provider belongs to another municipality."))
    form = values_form(order_type, clients, data)
    if not form.is_valid():
        raise InvalidOrder(form)
    now = now or timezone.now()
    municipality = order_type.municipality
    day = municipality.local_date(now)
    type_hooks = hooks.hooks_for(order_type.code)
    if type_hooks.validate is not None:
        problems = type_hooks.validate(order_type, form.cleaned_data, day)
        for name, messages in problems.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
        if problems:
            raise InvalidOrder(form)
    start = day
    if type_hooks.deadline_from is not None:
        start = type_hooks.deadline_from(form.cleaned_data) or day
    due = due_date(municipality, start, order_type.deadline_working_days)
    with transaction.atomic():
        order = Order.objects.create(
            municipality=municipality,
            number=_next_number(municipality, day.year),
            order_type=order_type,
            provider=provider,
            orderer=orderer,
            client=form.client(),
            spec=order_type.fields,
            values=form.values(),
            status=OrderStatus.SUBMITTED,
            placed_at=now,
            due_on=due,
            # Trygg makes the result itself: the worker picks the order up at once.
            result_due_at=now if type_hooks.make_result is not None else None,
        )
        OrderStep.objects.bulk_create(
            OrderStep(order=order, position=i, title=title)
            for i, title in enumerate(order_type.steps, start=1)
        )
        OrderEvent.objects.create(
            order=order, at=now, actor=orderer, to_status=OrderStatus.SUBMITTED
        )
    return order


# Status ------------------------------------------------------------------------------


def allowed_transitions(user: User, order: Order) -> list[str]:
    """The statuses this user may move the order to now."""
    allowed: set[str] = set()
    if access.can_fulfil_orders(user, order.municipality_id):
        allowed.update(FULFILLER_TRANSITIONS.get(order.status, ()))
    # The orderer's side (cancel, answer a question) belongs to whoever may see the order as
    # an orderer: the access rules decide, not any role at the provider.
    if order.orderer_id == user.pk or access.orders(user).filter(pk=order.pk).exists():
        allowed.update(ORDERER_TRANSITIONS.get(order.status, ()))
    return [s for s in OrderStatus.values if s in allowed]


def unticked_steps(order: Order) -> list[str]:
    """The checklist steps not done yet, in order: every step of the routine is required."""
    return list(order.steps.filter(done_at__isnull=True).values_list("title", flat=True))


def change_status(
    actor: User, order: Order, to_status: str, note: str = "", *, reason: str = ""
) -> Order:
    """Move the order to `to_status` if allowed from where it stands.

    "Done" needs every checklist step ticked, or a `reason` why it is done without them;
    the reason and the unticked steps are recorded in the order's history (StepsNotDone
    otherwise).

    The UPDATE is conditional on the status the actor saw, so of two people completing
    the same order at once one succeeds and the other gets OrderConflict: the orderer is
    told once.
    """
    if to_status not in OrderStatus.values:
        raise OrderError(_("Unknown status %(status)s.") % {"status": to_status})
    if to_status not in allowed_transitions(actor, order):
        raise OrderError(
            _("An order that is %(current)s cannot be made %(new)s.")
            % {
                "current": OrderStatus(order.status).label.lower(),
                "new": OrderStatus(to_status).label.lower(),
            }
        )
    if to_status == OrderStatus.DONE:
        unticked = unticked_steps(order)
        reason = reason.strip()
        if unticked and not reason:
            raise StepsNotDone(unticked)
        if unticked:
            recorded = _("Done without the steps %(steps)s. Reason: %(reason)s") % {
                "steps": ", ".join(unticked),
                "reason": reason,
            }
            note = f"{recorded} {note}".strip() if note.strip() else recorded
    now = timezone.now()
    changes: dict[str, Any] = {"status": to_status, "updated_at": now}
    if to_status == OrderStatus.DONE:
        changes["done_at"] = now
    if to_status in CLOSED_STATUSES:
        changes["result_due_at"] = None  # nothing more is made for a closed order
    fulfiller = access.can_fulfil_orders(actor, order.municipality_id)
    if fulfiller and order.assigned_to_id is None and to_status not in CLOSED_STATUSES:
        changes["assigned_to"] = actor
    with transaction.atomic():
        claimed = Order.objects.filter(pk=order.pk, status=order.status).update(**changes)
        if not claimed:
            raise OrderConflict(_("Someone else changed this order; reload and try again."))
        OrderEvent.objects.create(
            order=order,
            at=now,
            actor=actor,
            from_status=order.status,
            to_status=to_status,
            note=note[:500],
        )
        for name, value in changes.items():
            setattr(order, name, value)
        if to_status == OrderStatus.DONE:
            _tell_orderer_done(order)
    return order


def _tell_orderer_done(order: Order) -> None:
    orderer = order.orderer
    with override(language_of(orderer, order.municipality)):
        subject = _("Your order %(number)s is done") % {"number": order.number}
        body = _("%(type)s, ordered %(placed)s, is done.") % {
            "type": order.order_type.name,
            "placed": order.municipality.local_date(order.placed_at).isoformat(),
        }
    notify(
        [orderer],
        subject,
        body,
        url=reverse("servicedesk:order_detail", args=[order.pk]),
        topic=f"servicedesk.order:{order.pk}:done",
    )


# Steps, comments, attachments ---------------------------------------------------------


def complete_step(actor: User, step: OrderStep, done: bool = True) -> OrderStep:
    """Tick a fulfilment step (or untick it); only while the order is open."""
    order = step.order
    if order.status in CLOSED_STATUSES:
        raise OrderError(_("The order is closed; its steps can no longer change."))
    if step.title.strip().casefold() in hooks.steps_kept(order.order_type.code):
        raise OrderError(
            _("Trygg ticks this step when what it stands for is recorded, not by hand.")
        )
    if hooks.hooks_for(order.order_type.code).is_form_step(step.title):
        raise OrderError(
            _("“%(step)s” is ticked by its own form on the order's page, not by hand.")
            % {"step": step.title}
        )
    with transaction.atomic():
        if done:
            now = timezone.now()
            # Conditional: a step ticked twice keeps who did it first.
            updated = OrderStep.objects.filter(pk=step.pk, done_at__isnull=True).update(
                done_at=now, done_by=actor
            )
            if updated:
                step.done_at, step.done_by = now, actor
        else:
            OrderStep.objects.filter(pk=step.pk).update(done_at=None, done_by=None)
            step.done_at, step.done_by = None, None
    return step


def tick_form_steps(order: Order, by: User, now: dt.datetime | None = None) -> int:
    """Tick the steps the order type's own form carries out (`hooks.form_steps`), inside the
    caller's transaction; a step ticked already keeps who did it. Returns how many."""
    type_hooks = hooks.hooks_for(order.order_type.code)
    ids = [
        pk
        for pk, title in order.steps.filter(done_at__isnull=True).values_list("pk", "title")
        if type_hooks.is_form_step(title)
    ]
    return OrderStep.objects.filter(pk__in=ids, done_at__isnull=True).update(
        done_at=now or timezone.now(), done_by=by
    )


def add_comment(author: User, order: Order, text: str, *, internal: bool = False) -> OrderComment:
    text = text.strip()
    if not text:
        raise OrderError(_("Write something first."))
    if len(text) > 5000:
        raise OrderError(_("A comment is at most 5,000 characters."))
    if internal and not access.can_fulfil_orders(author, order.municipality_id):
        raise OrderError(_("Only the welfare-technology team writes internal notes."))
    with transaction.atomic():
        return OrderComment.objects.create(order=order, author=author, text=text, internal=internal)


def add_attachment(uploader: User, order: Order, upload: UploadedFile) -> OrderAttachment:
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise OrderError(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    if upload.size == 0:
        raise OrderError(_("The file is empty."))
    name = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    content_type = (
        upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )[:100]
    # The file is written before the row; a failed insert leaves an orphan file, which is
    # better than a row pointing at nothing.
    attachment = OrderAttachment(
        order=order,
        original_name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=uploader,
    )
    attachment.file.save(name, upload, save=False)
    with transaction.atomic():
        attachment.save()
    return attachment


# Results Trygg makes by itself ----------------------------------------------------------
# An order type with a `make_result` hook (the log extract) is queued for the worker when
# placed (`result_due_at`). A worker claims one order at a time by moving `result_due_at` a
# lease ahead with a conditional UPDATE, makes the files outside any transaction, and
# records them in one transaction that clears the claim only if it is still its own: of two
# workers, or a worker and a person making it again, exactly one result is kept per claim.
# A worker that dies mid-way leaves the lease to run out, and another picks the order up.


class ResultClaimLost(OrderError):
    """Someone else made the result first (or the order closed) while this was being made."""


def claim_due_result(code: str, now: dt.datetime | None = None) -> tuple[Order, dt.datetime] | None:
    """The next open order of type `code` whose result is due, claimed for a lease; None when
    there is none. Safe with several workers: each UPDATE is conditional on the due time it
    read, so one order is claimed by one worker."""
    now = now or timezone.now()
    lease = now + RESULT_CLAIM_LEASE
    candidates = (
        Order.objects.filter(result_due_at__lte=now, order_type__code=code)
        .order_by("result_due_at", "pk")
        .values_list("pk", "result_due_at")[:20]
    )
    for pk, due in candidates:
        claimed = Order.objects.filter(
            pk=pk, result_due_at=due, status__in=sorted(OPEN_STATUSES)
        ).update(result_due_at=lease)
        if claimed:
            order = Order.objects.select_related("order_type", "municipality", "provider").get(
                pk=pk
            )
            return order, lease
        # Closed since it was queued, or another worker took it: a closed one leaves the
        # queue so it is not read again.
        Order.objects.filter(pk=pk, result_due_at=due, status__in=sorted(CLOSED_STATUSES)).update(
            result_due_at=None
        )
    return None


def release_result_claim(order: Order, claim: dt.datetime, now: dt.datetime | None = None) -> None:
    """Making the result failed: try again later instead of at once, so a failing order
    does not crowd out the others."""
    now = now or timezone.now()
    Order.objects.filter(pk=order.pk, result_due_at=claim).update(
        result_due_at=now + RESULT_RETRY_AFTER
    )


def result_path(order: Order) -> str:
    """Where in Trygg a result is made: the access log's `path` for its reads."""
    return reverse("servicedesk:order_result", args=[order.pk])


def record_result(
    order: Order,
    request: ResultRequest,
    *,
    summary: dict[str, Any],
    files: Sequence[GeneratedFile],
    clients: Iterable[Client],
    comment: str,
    now: dt.datetime | None = None,
) -> OrderResult:
    """Attach the files Trygg made for the order, with their summary and a comment saying so,
    and access-log the clients the files list (one `export` row each, for whoever the result
    was made for: the person who made it again, else the orderer).

    The files are written first; the rows in one transaction. With a claim, the transaction
    clears it only if it is still held, and otherwise writes nothing and raises
    ResultClaimLost (the files written for it are removed)."""
    now = now or timezone.now()
    clients = list(clients)
    kind = order.order_type.code
    attachments = []
    for generated in files:
        attachment = OrderAttachment(
            order=order,
            original_name=generated.name[:200],
            size=len(generated.content),
            content_type=generated.content_type[:100],
            uploaded_by=request.made_by,
        )
        attachment.file.save(generated.name, ContentFile(generated.content), save=False)
        attachments.append(attachment)
    try:
        with transaction.atomic():
            if request.claim is not None:
                held = Order.objects.filter(pk=order.pk, result_due_at=request.claim).update(
                    result_due_at=None
                )
                if not held:
                    raise ResultClaimLost(_("The result was made by someone else meanwhile."))
            else:
                # Made by a person: a worker claim in flight finds it gone and keeps nothing.
                Order.objects.filter(pk=order.pk, result_due_at__isnull=False).update(
                    result_due_at=None
                )
            result = OrderResult.objects.create(
                order=order,
                kind=kind,
                made_at=now,
                made_by=request.made_by,
                summary=summary,
                client_ids=sorted({c.pk for c in clients}),
            )
            for attachment in attachments:
                attachment.result = result
            OrderAttachment.objects.bulk_create(attachments)
            OrderComment.objects.create(order=order, author=None, text=comment[:5000])
            _tick_steps_done(order, now, request.made_by)
            log_client_access(
                request.made_by or order.orderer,
                clients,
                AccessAction.EXPORT,
                path=result_path(order),
                remote_addr=request.remote_addr,
            )
    except BaseException:
        for attachment in attachments:
            attachment.file.delete(save=False)
        raise
    order.result_due_at = None
    logger.info(
        "Order %s: %s made, %d files, %d clients", order.number, kind, len(files), len(clients)
    )
    return result


def _tick_steps_done(order: Order, now: dt.datetime, by: User | None) -> None:
    """Tick the checklist steps the result maker carried out, at `now`, by whoever made it
    (None: Trygg by itself); a step someone ticked already keeps who did it."""
    type_hooks = hooks.hooks_for(order.order_type.code)
    titles = {t.casefold() for t in type_hooks.steps_done}
    if not titles:
        return
    if type_hooks.results_needed is not None:
        made = OrderResult.objects.filter(order=order).count()
        if made < type_hooks.results_needed(order):
            return
    ids = [
        pk
        for pk, title in order.steps.filter(done_at__isnull=True).values_list("pk", "title")
        if title.strip().casefold() in titles
    ]
    OrderStep.objects.filter(pk__in=ids, done_at__isnull=True).update(done_at=now, done_by=by)


def can_make_result_again(user: User, order: Order) -> bool:
    return (
        order.status not in CLOSED_STATUSES
        and hooks.hooks_for(order.order_type.code).make_result is not None
        and access.can_make_order_result(user, order)
    )


def make_result_again(actor: User, order: Order, *, remote_addr: str | None = None) -> OrderResult:
    """A fulfiller makes the order's result again (the log extract after a correction of
    the register, say); the earlier results and their files are kept."""
    make = hooks.hooks_for(order.order_type.code).make_result
    if make is None:
        raise OrderError(_("Trygg makes nothing by itself for this kind of order."))
    if not access.can_make_order_result(actor, order):
        raise PermissionError("Only the welfare-technology team makes an order's result.")
    if order.status in CLOSED_STATUSES:
        raise OrderError(_("The order is closed; nothing more is made for it."))
    return make(order, ResultRequest(made_by=actor, remote_addr=remote_addr))


def result_file_stem(order: Order, prefix: str) -> str:
    """`prefix-<order number>`, with `-2`, `-3` for later results, so that the files of
    each stay apart when downloaded into one folder."""
    made = OrderResult.objects.filter(order=order).count()
    return f"{prefix}-{order.number}" + (f"-{made + 1}" if made else "")
