"""Telling a provider about its training: a booking made, moved or cancelled, a session
changed or cancelled, a start date recorded. The provider's managers are told, and the
person booked; each in their own language, in the app with an e-mail copy. The routine asks
that content and agenda come with the booking, so every booking message carries them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from trygg.core.constants import Role
from trygg.core.languages import language_of
from trygg.core.models import Municipality, Provider, User
from trygg.notifications.services import notify

from .models import Booking, StartPlan, TrainingSession
from .readiness import deadline_for

DASH = "\u2013"


class Change:
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    SESSION_CHANGED = "session_changed"
    SESSION_CANCELLED = "session_cancelled"


def managers_of(provider: Provider) -> list[User]:
    return list(
        User.objects.filter(
            role_assignments__provider=provider,
            role_assignments__role=Role.PROVIDER_MANAGER,
            is_active=True,
        ).distinct()
    )


def format_when(session: TrainingSession) -> str:
    """The session's day and hours by the municipality's clock, weekday first."""
    zone = session.municipality.zone
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    day = f"{formats.date_format(start, 'D')} {start:%Y-%m-%d %H:%M}"
    if start.date() == end.date():
        return f"{day}{DASH}{end:%H:%M}"
    return f"{day} {DASH} {formats.date_format(end, 'D')} {end:%Y-%m-%d %H:%M}"


def session_text(session: TrainingSession) -> str:
    """What, when, where, and the agenda: the content sent with a booking."""
    lines = [session.title, _("When: %(when)s (Swedish time)") % {"when": format_when(session)}]
    if session.municipality.country == "NO":
        lines[1] = _("When: %(when)s (Norwegian time)") % {"when": format_when(session)}
    if session.place:
        lines.append(_("Place: %(place)s") % {"place": session.place})
    if session.link:
        lines.append(_("Link: %(link)s") % {"link": session.link})
    lines.append(_("IT systems: %(systems)s") % {"systems": ", ".join(session.system_labels)})
    lines.append("")
    lines.append(_("Agenda:"))
    lines.append(session.agenda.strip())
    return "\n".join(lines)


def _compose(change: str, booking: Booking, plan: StartPlan | None) -> tuple[str, str]:
    session = booking.session
    values = {
        "person": booking.person.get_full_name() or booking.person.username,
        "provider": booking.provider.name,
        "title": session.title,
        "when": format_when(session),
    }
    if change == Change.BOOKED:
        subject = _("Training booked: %(title)s %(when)s") % values
        lead = _("%(person)s (%(provider)s) is booked on this training.") % values
    elif change == Change.MOVED:
        subject = _("Training moved: %(title)s %(when)s") % values
        lead = _("The booking of %(person)s (%(provider)s) is moved to this session.") % values
    elif change == Change.SESSION_CHANGED:
        subject = _("Training changed: %(title)s %(when)s") % values
        lead = _("The session %(person)s (%(provider)s) is booked on has changed.") % values
    elif change == Change.SESSION_CANCELLED:
        subject = _("Training cancelled: %(title)s %(when)s") % values
        lead = (
            _("The session is cancelled; %(person)s (%(provider)s) needs a new booking.") % values
        )
    else:
        subject = _("Booking cancelled: %(title)s %(when)s") % values
        lead = _("The booking of %(person)s (%(provider)s) is cancelled.") % values
    parts = [lead, session_text(session)]
    if plan is not None:
        parts.append(_deadline_text(plan))
    return subject, "\n\n".join(parts)


def _deadline_text(plan: StartPlan) -> str:
    return _(
        "The training must be completed by %(deadline)s, one week before the start of "
        "operations on %(start)s."
    ) % {"deadline": deadline_for(plan.starts_on).isoformat(), "start": plan.starts_on.isoformat()}


def _send(
    people: Iterable[User],
    municipality: Municipality,
    compose: Callable[[], tuple[str, str]],
    *,
    url: str,
    topic: str,
) -> None:
    by_language: dict[str, list[User]] = {}
    for user in people:
        by_language.setdefault(language_of(user, municipality), []).append(user)
    for language, group in sorted(by_language.items()):
        with translation.override(language):
            subject, body = compose()
        notify(group, subject, body, url=url, topic=topic)


def tell_booking(change: str, booking: Booking) -> None:
    """Tell the provider's managers and the person booked. Call inside the transaction that
    made the change: a rolled-back change tells nobody."""
    provider = booking.provider
    municipality = booking.session.municipality
    plan = StartPlan.objects.filter(provider=provider).first()
    managers = [m for m in managers_of(provider) if m.pk != booking.person_id]
    topic = f"training.booking:{booking.pk}"
    _send(
        managers,
        municipality,
        lambda: _compose(change, booking, plan),
        url=reverse("training:provider", args=[provider.pk]),
        topic=topic,
    )
    _send(
        [booking.person],
        municipality,
        lambda: _compose(change, booking, plan),
        url=reverse("training:me"),
        topic=topic,
    )


def tell_start_plan(plan: StartPlan, previous: tuple[dt.date, dt.date] | None) -> None:
    """Tell the provider's managers the start date and the training deadline it sets."""
    provider = plan.provider

    def compose() -> tuple[str, str]:
        values = {"provider": provider.name, "start": plan.starts_on.isoformat()}
        if previous is None:
            subject = _("Start of operations recorded: %(provider)s %(start)s") % values
        else:
            subject = _("New start of operations: %(provider)s %(start)s") % values
        lead = _(
            "The municipality has recorded %(provider)s's approval on %(approved)s and the "
            "agreed start of operations on %(start)s."
        ) % {**values, "approved": plan.approved_on.isoformat()}
        return subject, "\n\n".join([lead, _deadline_text(plan)])

    _send(
        managers_of(provider),
        provider.municipality,
        compose,
        url=reverse("training:provider", args=[provider.pk]),
        topic=f"training.start:{provider.pk}",
    )
