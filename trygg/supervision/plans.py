"""Keeping a supervision plan: the journal note that starts it, its times and what to do
when the client is not seen, pauses, the consent or decision it rests on, and the camera's
removal and repair. Each function owns its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trygg.core.constants import Technology
from trygg.core.models import Consent, Team, User
from trygg.devices.models import AlarmPlacement
from trygg.devices.services import end_placement

from . import access
from .constants import LookInStatus, PauseReason
from .models import LookIn, LookInTime, Pause, SupervisionPlan
from .schedule import make_lookins
from .times import night_of


class PlanError(ValueError):
    """The change cannot be made as asked; the message says why."""


def confirm_journal(
    actor: User, plan: SupervisionPlan, *, now: dt.datetime | None = None
) -> SupervisionPlan:
    """The provider noted in the client's journal that supervision has started: look-ins
    run from the plan's start date on."""
    if not access.keeps_plan(actor, plan):
        raise PermissionError("Only the provider's team leaders and managers confirm it.")
    if plan.ended_on is not None:
        raise PlanError(_("Supervision has ended."))
    now = now or timezone.now()
    with transaction.atomic():
        updated = SupervisionPlan.objects.filter(
            pk=plan.pk, journal_confirmed_at__isnull=True
        ).update(journal_confirmed_at=now, journal_confirmed_by=actor)
        if not updated:
            raise PlanError(_("The journal note is already confirmed."))
    plan.journal_confirmed_at, plan.journal_confirmed_by = now, actor
    make_lookins(now, plans=[plan.pk], agreed_at=now)
    return plan


@dataclass(frozen=True)
class PlanChanges:
    times: list[dt.time]
    window_minutes: int
    session_seconds: int
    retry_minutes: int
    then_phone: bool
    then_patrol: bool
    night_team: Team | None
    consent: Consent | None
    decision: str
    review_on: dt.date | None


def consents_for(plan: SupervisionPlan) -> list[Consent]:
    return list(
        Consent.objects.filter(
            client_id=plan.client_id,
            technology=Technology.CAMERA_SUPERVISION,
            withdrawn_on__isnull=True,
        ).order_by("-given_on")
    )


def change_plan(
    actor: User, plan: SupervisionPlan, changes: PlanChanges, *, now: dt.datetime | None = None
) -> SupervisionPlan:
    """Change the plan; tonight's look-ins not yet begun follow the new times."""
    if not access.keeps_plan(actor, plan):
        raise PermissionError("Only the provider's team leaders and managers change the plan.")
    if plan.ended_on is not None:
        raise PlanError(_("Supervision has ended; the plan can no longer change."))
    if not changes.times:
        raise PlanError(_("Give at least one look-in time."))
    if changes.consent is None and not changes.decision.strip():
        raise PlanError(_("Name the consent or the decision supervision rests on."))
    if changes.consent is not None and changes.consent.client_id != plan.client_id:
        raise PlanError(_("The consent is another client's."))
    if changes.night_team is not None and changes.night_team.provider_id != plan.provider_id:
        raise PlanError(_("The night team must be one of the provider's teams."))
    now = now or timezone.now()
    with transaction.atomic():
        SupervisionPlan.objects.filter(pk=plan.pk).update(
            window_minutes=changes.window_minutes,
            session_seconds=changes.session_seconds,
            retry_minutes=changes.retry_minutes,
            then_phone=changes.then_phone,
            then_patrol=changes.then_patrol,
            night_team=changes.night_team,
            consent=changes.consent,
            decision=changes.decision.strip(),
            review_on=changes.review_on,
            updated_at=now,
        )
        LookInTime.objects.filter(plan=plan).delete()
        LookInTime.objects.bulk_create(LookInTime(plan=plan, at=t) for t in changes.times)
        # Look-ins of tonight not yet begun are made again from the new times.
        LookIn.objects.filter(
            plan=plan, status=LookInStatus.DUE, retry_of__isnull=True, scheduled_at__gt=now
        ).delete()
    plan.refresh_from_db()
    make_lookins(now, plans=[plan.pk], agreed_at=now)
    return plan


def add_pause(
    actor: User,
    plan: SupervisionPlan,
    first_night: dt.date,
    last_night: dt.date,
    reason: str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> Pause:
    """No look-ins on these nights; tonight's still due are paused too."""
    if not access.pauses_plan(actor, plan):
        raise PermissionError("Only the client's night staff and team leaders pause look-ins.")
    if reason not in PauseReason.values:
        raise PlanError(_("Choose why look-ins pause."))
    if last_night < first_night:
        raise PlanError(_("The last night comes before the first."))
    now = now or timezone.now()
    tonight = night_of(now, plan.municipality.zone)
    if first_night < tonight:
        raise PlanError(_("A pause starts tonight at the earliest."))
    with transaction.atomic():
        pause = Pause.objects.create(
            plan=plan,
            first_night=first_night,
            last_night=last_night,
            reason=reason,
            note=note.strip()[:300],
            created_by=actor,
        )
        LookIn.objects.filter(
            plan=plan,
            status=LookInStatus.DUE,
            night__gte=first_night,
            night__lte=last_night,
        ).update(status=LookInStatus.PAUSED)
    return pause


def end_supervision(
    actor: User, plan: SupervisionPlan, last_day: dt.date, *, now: dt.datetime | None = None
) -> SupervisionPlan:
    """The camera is removed: its placement ends on `last_day` and so do the look-ins
    (none from that night on)."""
    if not access.keeps_camera(actor, plan):
        raise PermissionError("Only the welfare-technology team removes cameras.")
    if plan.ended_on is not None:
        raise PlanError(_("The camera is already removed."))
    if last_day < plan.installed_on:
        raise PlanError(_("The camera cannot be removed before it was installed."))
    now = now or timezone.now()
    with transaction.atomic():
        placement = AlarmPlacement.objects.get(pk=plan.placement_id)
        end_placement(actor, placement, last_day)
        SupervisionPlan.objects.filter(pk=plan.pk).update(ended_on=last_day, updated_at=now)
        LookIn.objects.filter(plan=plan, status=LookInStatus.DUE, night__gte=last_day).update(
            status=LookInStatus.CANCELLED
        )
    plan.ended_on = last_day
    return plan


def camera_repaired(actor: User, plan: SupervisionPlan) -> SupervisionPlan:
    """The camera works again: the look-ins still due go back to the camera."""
    if not access.keeps_camera(actor, plan):
        raise PermissionError("Only the welfare-technology team marks cameras repaired.")
    if plan.camera_faulty_since is None:
        raise PlanError(_("The camera is not reported faulty."))
    with transaction.atomic():
        SupervisionPlan.objects.filter(pk=plan.pk).update(camera_faulty_since=None)
        LookIn.objects.filter(plan=plan, status=LookInStatus.DUE).update(physical=False)
    plan.camera_faulty_since = None
    return plan
