"""The safety-camera order as Linköping's routine has it, and the orders around it.

- Placing (`check_camera_order`): only for a client with a granted night-supervision
  service on the start date, once the information letter is given in Swedish and a key
  receipt for the home is registered; the start date lies ahead. Each refusal names what
  is missing.
- Working it: the welfare-technology team ticks the routine's steps; the last two (update
  the inventory, report back with the serial number) only the report-back form ticks
  (`report_back`): it takes the camera from the inventory's stock, places it with the
  client, makes the supervision plan and asks the orderer to confirm the journal note.
- New signs are ordered for a client with a camera (`check_sign_order`).
- A camera fault ticket (`open_fault_ticket`) shows the vendor's support hours and
  call-out fee (`fault_panel`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from trygg.core.constants import ServiceCategory
from trygg.core.languages import language_of
from trygg.core.models import Client, GrantedService, Municipality, User
from trygg.devices.models import AlarmPlacement, AlarmUnit, AlarmUnitKind
from trygg.devices.services import place_unit
from trygg.locks.receipts import has_key_receipt
from trygg.notifications.services import notify
from trygg.servicedesk import access as desk_access
from trygg.servicedesk import hooks
from trygg.servicedesk import services as desk
from trygg.servicedesk.models import Order, OrderComment, OrderType
from trygg.support.constants import System
from trygg.support.models import Service, SupportLine
from trygg.support.services import hours_text

from .constants import (
    CAMERA_ORDER,
    FAULT_ORDER,
    INVENTORY_STEP,
    OTHER_LANGUAGES,
    REPORT_BACK_STEP,
    SIGNS_ORDER,
)
from .models import LookInTime, SupervisionPlan
from .times import BadTimes, parse_times


class ReportBackError(ValueError):
    """The report-back cannot be recorded as given; the message says why."""


def _day(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def granted_night_supervision(client: Client, day: dt.date) -> bool:
    return (
        GrantedService.objects.filter(
            client=client, service_type__category=ServiceCategory.NIGHT_SUPERVISION
        )
        .filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .exists()
    )


def check_camera_order(
    order_type: OrderType, values: Mapping[str, Any], placed: dt.date
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    start = values.get("start_date")
    if isinstance(start, dt.date) and start <= placed:
        add(
            "start_date",
            _("The start date must lie ahead: the earliest is %(day)s.")
            % {"day": _day(placed + dt.timedelta(days=1))},
        )
    try:
        parse_times(str(values.get("supervision_times") or ""))
    except BadTimes as exc:
        add("supervision_times", str(exc))
    if not values.get("letter_swedish"):
        add(
            "letter_swedish",
            _(
                "The information letter in Swedish is always given before the order is "
                "sent. Give it to the client, then tick it here."
            ),
        )
    client = values.get("client")
    if isinstance(client, Client):
        day = start if isinstance(start, dt.date) else placed
        if not granted_night_supervision(client, day):
            add(
                "client",
                _(
                    "%(client)s has no granted night-supervision service on %(day)s. Allocate "
                    "night supervision in the case system first: it decides the billing."
                )
                % {"client": client.full_name, "day": _day(day)},
            )
        if not has_key_receipt(client, placed):
            add(
                "client",
                _(
                    "No key receipt for %(client)s's home is registered. Sign out the key and "
                    "register the receipt first: the installers need the key."
                )
                % {"client": client.full_name},
            )
        if SupervisionPlan.objects.filter(client=client, ended_on__isnull=True).exists():
            add(
                "client",
                _("%(client)s already has a safety camera.") % {"client": client.full_name},
            )
    return problems


def check_sign_order(
    order_type: OrderType, values: Mapping[str, Any], placed: dt.date
) -> dict[str, list[str]]:
    client = values.get("client")
    if not isinstance(client, Client):
        return {}
    has_camera = SupervisionPlan.objects.filter(client=client, ended_on__isnull=True).exists()
    ordered = Order.objects.open().filter(client=client, order_type__code=CAMERA_ORDER).exists()
    if has_camera or ordered:
        return {}
    return {
        "client": [
            _(
                "Signs about camera supervision are for a client with a safety camera; "
                "%(client)s has none."
            )
            % {"client": client.full_name}
        ]
    }


# Report-back --------------------------------------------------------------------------


def cameras_in_stock(municipality: Municipality | int, from_day: dt.date) -> QuerySet[AlarmUnit]:
    """Safety cameras registered in the inventory and placed with nobody from `from_day`."""
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    placed = AlarmPlacement.objects.filter(unit_id=OuterRef("pk")).filter(
        Q(active_to__isnull=True) | Q(active_to__gte=from_day)
    )
    return (
        AlarmUnit.objects.filter(municipality_id=municipality_id, kind=AlarmUnitKind.SAFETY_CAMERA)
        .exclude(Exists(placed))
        .order_by("serial_number")
    )


@dataclass(frozen=True)
class ReportBack:
    camera: AlarmUnit
    installed_on: dt.date
    sign_languages: list[str]
    sign_placement: str
    tested: bool


def order_start(order: Order) -> dt.date | None:
    raw = order.values.get("start_date")
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def plan_for_order(order: Order) -> SupervisionPlan | None:
    return SupervisionPlan.objects.filter(order=order).select_related("camera").first()


def report_back(actor: User, order: Order, report: ReportBack) -> SupervisionPlan:
    """Record the installation: the camera from stock is placed with the client from the
    day it was installed, the plan is made from the order (times, start date, languages),
    the form's steps are ticked, and the orderer is asked to confirm the journal note."""
    if order.order_type.code != CAMERA_ORDER:
        raise ReportBackError(_("Only a safety-camera order is reported back so."))
    if not desk_access.can_fulfil_orders(actor, order.municipality_id):
        raise PermissionError("Only the welfare-technology team reports back.")
    if not order.is_open:
        raise ReportBackError(_("The order is closed."))
    if order.client is None:
        raise ReportBackError(_("The order names no client."))
    if plan_for_order(order) is not None:
        raise ReportBackError(_("The camera is already reported back on this order."))
    municipality = order.municipality
    today = municipality.today()
    if report.installed_on > today:
        raise ReportBackError(_("The installation day cannot lie ahead."))
    if not report.tested:
        raise ReportBackError(_("Test the camera's function before reporting back."))
    placement_text = report.sign_placement.strip()
    if not placement_text:
        raise ReportBackError(
            _("Say where the signs are: near the camera's room, not seen from the front door.")
        )
    unknown = set(report.sign_languages) - set(OTHER_LANGUAGES)
    if unknown:
        raise ReportBackError(
            _("Unknown sign language: %(l)s.") % {"l": ", ".join(sorted(unknown))}
        )
    hooks_for = hooks.hooks_for(CAMERA_ORDER)
    open_steps = [
        title
        for title in order.steps.filter(done_at__isnull=True).values_list("title", flat=True)
        if not hooks_for.is_form_step(title)
    ]
    if open_steps:
        raise ReportBackError(
            _("Tick the steps before the report-back first: %(steps)s.")
            % {"steps": ", ".join(open_steps)}
        )
    if not cameras_in_stock(municipality, report.installed_on).filter(pk=report.camera.pk).exists():
        raise ReportBackError(
            _("Camera %(serial)s is not in stock: choose one registered and not placed.")
            % {"serial": report.camera.serial_number}
        )
    try:
        times = parse_times(str(order.values.get("supervision_times") or ""))
    except BadTimes as exc:
        raise ReportBackError(str(exc)) from exc
    start = max(order_start(order) or report.installed_on, report.installed_on)
    client = order.client
    letters = ["Svenska", *[x for x in order.values.get("letter_languages") or [] if x]]
    signs = ["Svenska", *[x for x in OTHER_LANGUAGES if x in report.sign_languages]]
    now = timezone.now()
    with transaction.atomic():
        placement = place_unit(actor, report.camera, client=client, active_from=report.installed_on)
        plan = SupervisionPlan.objects.create(
            municipality=municipality,
            client=client,
            provider=client.provider,
            order=order,
            camera=report.camera,
            placement=placement,
            start_date=start,
            installed_on=report.installed_on,
            installed_by=actor,
            letter_languages=letters,
            sign_languages=signs,
            sign_placement=placement_text[:300],
        )
        LookInTime.objects.bulk_create(LookInTime(plan=plan, at=t) for t in times)
        desk.tick_form_steps(order, actor, now)
        url = reverse("supervision:plan", args=[plan.pk])
        with override(language_of(order.orderer, municipality)):
            text = _(
                "The safety camera %(serial)s is installed and tested (%(day)s). Signs: "
                "%(signs)s, %(placement)s. Note in the client's journal that visual digital "
                "supervision has started, and confirm it on the supervision plan: look-ins "
                "start on %(start)s once confirmed."
            ) % {
                "serial": report.camera.serial_number,
                "day": _day(report.installed_on),
                "signs": ", ".join(signs),
                "placement": placement_text,
                "start": _day(start),
            }
            subject = _("Safety camera installed: confirm the journal note (%(number)s)") % {
                "number": order.number
            }
        OrderComment.objects.create(order=order, author=actor, text=text)
        notify([order.orderer], subject, text, url=url, topic=f"supervision.plan:{plan.pk}:journal")
    return plan


def camera_panel(order: Order, user: User) -> Mapping[str, Any] | None:
    plan = plan_for_order(order)
    fulfiller = desk_access.can_fulfil_orders(user, order.municipality_id)
    start = order_start(order) or order.municipality.today()
    stock = list(cameras_in_stock(order.municipality_id, order.municipality.today())[:200])
    return {
        "plan": plan,
        "can_report": fulfiller and order.is_open and plan is None,
        "stock": stock,
        "languages": OTHER_LANGUAGES,
        "chosen_signs": order.values.get("sign_languages") or [],
        "start": start,
        "today": order.municipality.today(),
        "plan_url": reverse("supervision:plan", args=[plan.pk]) if plan else "",
    }


# Fault tickets --------------------------------------------------------------------------


def open_fault_ticket(actor: User, plan: SupervisionPlan, fault: str) -> Order | None:
    """Place a camera-fault order for the camera, in the orderer's name; None when the
    municipality's catalogue has no such type."""
    order_type = OrderType.objects.filter(
        municipality_id=plan.municipality_id, code=FAULT_ORDER, active=True
    ).first()
    if order_type is None:
        return None
    return desk.place_order(
        actor,
        order_type,
        {"client": str(plan.client_id), "camera": plan.camera.serial_number, "fault": fault},
        provider=plan.provider,
        clients=Client.objects.filter(pk=plan.client_id),
    )


def fault_panel(order: Order, user: User) -> Mapping[str, Any] | None:
    service = (
        Service.objects.filter(municipality_id=order.municipality_id, system=System.CAMERAS)
        .order_by("-is_active", "pk")
        .first()
    )
    lines = [
        (line, hours_text(line))
        for line in SupportLine.objects.filter(
            municipality_id=order.municipality_id, is_active=True, systems__contains=System.CAMERAS
        ).prefetch_related("rules")
    ]
    plan = SupervisionPlan.objects.filter(fault_order=order).first()
    return {"service": service, "lines": lines, "plan": plan}


def register_hooks() -> None:
    hooks.register(
        CAMERA_ORDER,
        hooks.OrderTypeHooks(
            validate=check_camera_order,
            form_steps=(INVENTORY_STEP, REPORT_BACK_STEP),
            panel=camera_panel,
            panel_template="supervision/partials/camera_panel.html",
        ),
    )
    hooks.register(SIGNS_ORDER, hooks.OrderTypeHooks(validate=check_sign_order))
    hooks.register(
        FAULT_ORDER,
        hooks.OrderTypeHooks(
            panel=fault_panel, panel_template="supervision/partials/fault_panel.html"
        ),
    )
