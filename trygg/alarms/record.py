"""The client record's alarms section: the client's recent alarms with how each ended (the
cause found, who went out, who closed it), by the alarm app's own rule of who sees which
alarm (`access.alarms`).

The alarm centre and the client's provider's leaders and night staff see all of the client's
alarms; someone in a responder team sees those sent to their teams (and the section says
so); the welfare-technology team its technical alarms. Someone who sees no alarms at all
gets no section. Tests and restores are the unit's history, not the client's: the section
names the latest test instead of listing them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.access import scope_for
from trygg.core.models import Client, User
from trygg.core.record import Shown

from . import access
from .models import RECORD_ONLY_KINDS, AlarmKind, AlarmStatus

RECENT = dt.timedelta(days=90)
SHOWN = 10


def _whose_view(client: Client, user: User) -> tuple[str, str]:
    """A note when the user sees only part of the client's alarms (empty when all), and what
    an empty section says to them."""
    scope = scope_for(user)
    centre = client.municipality_id in scope.municipalities_with(access.ALARM_CENTRE_ROLES)
    leads = client.provider_id in scope.providers_with(access.ALARM_PROVIDER_ROLES)
    if centre or leads:
        return "", str(_("No alarms in the last 90 days."))
    if scope.team_ids:
        return (
            str(_("Alarms sent to your teams.")),
            str(_("No alarms sent to your teams in the last 90 days.")),
        )
    return (
        str(_("Technical alarms: care alarms are handled by the alarm centre and care staff.")),
        str(_("No technical alarms in the last 90 days.")),
    )


def build(client: Client, user: User, request: HttpRequest) -> Shown | None:
    if not access.can_open_alarms(user):
        return None
    since = timezone.now() - RECENT
    visible = access.alarms(user).filter(client=client)
    # The recent ones, and any still unresolved whatever its age: it still needs someone.
    recent = visible.filter(
        Q(created_at__gte=since, kind__in=sorted(set(AlarmKind) - RECORD_ONLY_KINDS))
        | Q(status__in=[AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED])
    )
    alarms = list(
        recent.select_related("acknowledged_by", "assigned_to", "closed_by", "team").order_by(
            "-created_at", "-pk"
        )[: SHOWN + 1]
    )
    more = recent.count() - SHOWN if len(alarms) > SHOWN else 0
    alarms = alarms[:SHOWN]
    last_test = (
        visible.filter(kind=AlarmKind.TEST)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    whose, empty_text = _whose_view(client, user)
    # An empty section says it all in one sentence; a list says what it covers.
    notes = [str(_("The last 90 days, and any alarm still open.")), whose] if alarms else []
    if last_test is not None:
        day = client.municipality.local_date(last_test)
        notes.append(str(_("Last test alarm: %(day)s.") % {"day": f"{day:%Y-%m-%d}"}))
    return Shown(
        context={
            "alarms": alarms,
            "more": more,
            "zone": client.municipality.zone,
        },
        entries=[f"#{alarm.pk}" for alarm in alarms],
        empty_text=empty_text,
        note=" ".join(note for note in notes if note),
    )


def register_section() -> None:
    record.register(
        "alarms",
        _("Alarms"),
        build,
        "alarms/record/alarms.html",
        position=30,
        empty_text=_("No alarms in the last 90 days."),
    )
