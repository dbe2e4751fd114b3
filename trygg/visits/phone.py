"""The staff phone's visit app, `/visits/phone/`, and the link written on every NFC tag.

The app is one page and its scripts (`visits/static/visits/`). The shell's service worker
keeps the page for working offline (it asks to be kept with `X-Trygg-Offline`), so the page
holds no client data: it carries the person's id, the addresses of the API and the words of
the interface in the person's language. The day's clients come from `GET /api/v1/visits/day`
(access-logged there) and are kept in the phone's IndexedDB under the person's id, with the
registrations waiting to be sent to `POST /api/v1/visits/sync`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from trygg.alarms.models import Alarm
from trygg.core.models import Municipality, User
from trygg.core.web import request_user
from trygg.lib import tagcodes

from . import access
from .models import NoTagReason
from .services import Registrar

# The service worker keeps a page that answers with this header for offline use, and also
# answers navigations under the paths in the second one with it while offline (the tag's
# link, opened by the phone when it reads a tag with the app closed).
OFFLINE_HEADER = "X-Trygg-Offline"
OFFLINE_ALSO_HEADER = "X-Trygg-Offline-Also"
TAG_LINK_PREFIX = "/t/"


def strings() -> dict[str, str]:
    """What the app's script says, in the person's language. `{name}` marks what the script
    fills in; a key ending in `_one` is the text for a count of one."""
    words = {
        "online": gettext_lazy("Online"),
        "offline": gettext_lazy("No network"),
        "syncing": gettext_lazy("Sending…"),
        "all_sent": gettext_lazy("Everything is sent"),
        "waiting": gettext_lazy("Waiting: {count}"),
        "refused_count": gettext_lazy("Refused: {count}"),
        "last_sync": gettext_lazy("Sent {time}"),
        "day_from": gettext_lazy("Clients as of {time}"),
        "no_day": gettext_lazy(
            "Today's clients are not on the phone yet: connect to the network once."
        ),
        "no_clients": gettext_lazy("No clients match."),
        "no_clients_today": gettext_lazy("Your teams have no clients today."),
        "client_count": gettext_lazy("{count} clients"),
        "client_count_one": gettext_lazy("1 client"),
        "no_tag_at_door": gettext_lazy("No tag at the door"),
        "visited": gettext_lazy("Visited {time}"),
        "arrived": gettext_lazy("Arrived {time}"),
        "minutes": gettext_lazy("{count} min"),
        "by_tag": gettext_lazy("tag scanned"),
        "by_qr": gettext_lazy("QR code read"),
        "by_code": gettext_lazy("code typed"),
        "by_none": gettext_lazy("without the tag"),
        "alarm_waiting": gettext_lazy("Visit after an alarm at {name}: scan the tag at the door."),
        "alarm_waiting_unknown": gettext_lazy("Visit after an alarm: scan the tag at the door."),
        "nfc_ready": gettext_lazy("Hold the phone against the tag."),
        "nfc_off": gettext_lazy("Tap “Scan the tag” to let the phone read tags."),
        "nfc_none": gettext_lazy(
            "This phone cannot read tags in the browser: type the code on the tag or read its "
            "QR code."
        ),
        "nfc_none_type": gettext_lazy(
            "This phone cannot read tags in the browser: type the code on the tag."
        ),
        "nfc_denied": gettext_lazy(
            "The phone may not read tags: allow NFC for Trygg in the browser's settings."
        ),
        "nfc_unreadable": gettext_lazy(
            "The tag could not be read: hold the phone still and try again."
        ),
        "camera_denied": gettext_lazy("The camera could not be started: type the code instead."),
        "camera_looking": gettext_lazy("Point the camera at the QR code on the tag."),
        "unknown_tag": gettext_lazy(
            "Tag {code} is not at the door of any of your clients today. Check the code, or "
            "register without the tag."
        ),
        "other_client_tag": gettext_lazy(
            "This tag is at {name}'s door. Finish the visit to {current} first."
        ),
        "bad_code_length": gettext_lazy("A tag code has 8 characters, like 7K3M-Q9XB."),
        "bad_code_char": gettext_lazy("A tag code has no {chars}."),
        "bad_code_check": gettext_lazy("This is not a tag code: check each character again."),
        "choose_client": gettext_lazy("Choose the client."),
        "choose_reason": gettext_lazy("Choose why the tag was not scanned."),
        "choose_task": gettext_lazy("Tick at least one task you performed."),
        "register_without_tag": gettext_lazy("Register a visit without the tag"),
        "fix_need_start": gettext_lazy("Give the time you arrived."),
        "fix_need_end": gettext_lazy("A visit that was carried out needs the time you left."),
        "ends_before_start": gettext_lazy("The departure is before the arrival."),
        "queued": gettext_lazy("The visit to {name} is registered."),
        "queued_not_home": gettext_lazy("Registered: {name} was not at home."),
        "queued_declined": gettext_lazy("Registered: {name} declined the visit."),
        "discard_visit": gettext_lazy("Throw away this visit? Nothing about it is sent."),
        "discard_item": gettext_lazy("Throw away this registration? It will never be sent."),
        "resent": gettext_lazy("Changed: it is sent again."),
        "status_sent": gettext_lazy("Sent"),
        "status_waiting": gettext_lazy("Waiting"),
        "status_refused": gettext_lazy("Refused"),
        "outcome_performed": gettext_lazy("Visit carried out"),
        "outcome_not_home": gettext_lazy("Not at home"),
        "outcome_declined": gettext_lazy("Declined"),
        "fix": gettext_lazy("Change and send again"),
        "discard": gettext_lazy("Throw away"),
        "other_users_waiting_one": gettext_lazy(
            "A registration by another person is waiting on this phone: it is sent when that "
            "person logs in here."
        ),
        "other_users_waiting": gettext_lazy(
            "{count} registrations by another person are waiting on this phone: they are "
            "sent when that person logs in here."
        ),
        "signed_out": gettext_lazy(
            "You are logged out, so today's clients are removed from the phone. Log in again "
            "to go on."
        ),
        "signed_out_waiting_one": gettext_lazy(
            "One of your registrations is kept on the phone and sent when you have logged in."
        ),
        "signed_out_waiting": gettext_lazy(
            "{count} of your registrations are kept on the phone and sent when you have logged in."
        ),
        "logout_waiting_one": gettext_lazy(
            "A registration has not been sent yet. It stays on the phone and is sent when you "
            "log in again. Log out anyway?"
        ),
        "logout_waiting": gettext_lazy(
            "{count} registrations have not been sent yet. They stay on the phone and are "
            "sent when you log in again. Log out anyway?"
        ),
        "logout_visit": gettext_lazy(
            "A visit is in progress. It stays on the phone until you log in again. Log out anyway?"
        ),
        "no_colleague": gettext_lazy("No: I am alone"),
        "refused_reason_unknown": gettext_lazy("Trygg refused it."),
        "server_trouble": gettext_lazy("Trygg did not answer: the phone tries again by itself."),
        "storage_broken": gettext_lazy(
            "The phone's storage for the visit app cannot be opened, so visits cannot be "
            "registered here. Close private browsing, or free up space on the phone, and open "
            "the app again."
        ),
    }
    return {key: str(value) for key, value in words.items()}


def shows_demo_scan(municipality: Municipality) -> bool:
    """The demo plays a phone on a computer, which has no NFC: it lists today's tags to
    "scan". Only on a developer's machine (DEBUG) or in the demo municipality."""
    from trygg.core.demo import DEMO_CODE  # the demo's code; not needed on any other path

    return bool(settings.DEBUG) or municipality.code == DEMO_CODE


def _registrar(user: User) -> Registrar:
    if not access.registers_visits(user):
        raise PermissionDenied
    try:
        return Registrar.for_user(user)
    except PermissionError as exc:
        raise PermissionDenied from exc


@login_required
@require_GET
def app(request: HttpRequest) -> HttpResponse:
    """The visit app. Its address takes `?tag=<code>` (the tag's link, read by the phone with
    the app closed) and `?alarm=<id>&client=<id>` (a visit after an alarm the person took)."""
    user = request_user(request)
    registrar = _registrar(user)
    context: dict[str, Any] = {
        "strings": strings(),
        "no_tag_reasons": NoTagReason.choices,
        "demo_scan": shows_demo_scan(registrar.municipality),
        "tag_prefix": TAG_LINK_PREFIX,
    }
    response = render(request, "visits/phone.html", context)
    response[OFFLINE_HEADER] = "keep"
    response[OFFLINE_ALSO_HEADER] = TAG_LINK_PREFIX
    # Fetched again every time it is opened with network: it names the person logged in.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_GET
def tag_link(request: HttpRequest, code: str) -> HttpResponse:
    """Where a tag's link leads (`<site>/t/<code>`): a phone that reads a tag with the app
    closed opens it, and lands in the visit app with the tag scanned."""
    user = request_user(request)
    if not access.registers_visits(user):
        messages.info(request, _("This is a Trygg tag at a client's door, for registering visits."))
        return redirect("home")
    try:
        code = tagcodes.parse(code)
    except tagcodes.InvalidTagCode:
        code = code.strip()[:20]  # the app says what is wrong with it
    return redirect(f"{reverse('visits:phone')}?{urlencode({'tag': code})}")


def alarm_visit_url(alarm: Alarm) -> str:
    """The visit app, opened for a visit after `alarm` to its client."""
    query = {"alarm": str(alarm.pk), "client": str(alarm.client_id or "")}
    return f"{reverse('visits:phone')}?{urlencode(query)}"


def registers_alarm_visit(user: User, alarm: Alarm) -> bool:
    """The alarm's "Register visit" link: for the person who took the alarm, when it is
    about a client and the person registers visits."""
    return (
        alarm.client_id is not None
        and alarm.assigned_to_id == user.pk
        and access.registers_visits(user)
    )
