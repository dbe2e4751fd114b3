"""The staff phone's doors, `/locks/phone/`: the doors the person may open this shift, with
their unlock tokens fetched in advance, so a door opens in a cellar with no network.

Like the visit app, the page is one of the staff PWA's (front/app.html) and the service
worker keeps it for offline use, so it holds no client data: its script fetches the tokens
from `GET /api/v1/locks/tokens` (access-logged there) into the phone's IndexedDB, which goes
with the session, and keeps what the locks answered (their events) in a database that stays
until the events are sent to `POST /api/v1/locks/phone/events`.

The phone hands a token to the lock over the phone's link to it: a native bridge when the
page runs inside one (`window.tryggDoorLink`, also what the browser tests plug the lock
simulator into), or, in the demo, the demo server's simulated doors (`demo_door`, see
demo_doors.py). docs/locks.md says why.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from trygg.core.access import scope_for
from trygg.core.models import Municipality, User
from trygg.core.web import request_user
from trygg.devices.models import DoorLock

from . import demo_doors, keyaccess
from .constants import KEY_ROLES, Refusal

# The service worker keeps a page that answers with this header (front/sw.js).
OFFLINE_HEADER = "X-Trygg-Offline"
MAX_TOKEN_CHARS = 400


def opens_doors(user: Any) -> bool:
    """Whether the phone's doors belong in the person's menu: a role that goes into homes."""
    return bool(scope_for(user).providers_with(KEY_ROLES))


def _municipality(user: User) -> Municipality | None:
    ids = scope_for(user).municipality_ids
    return Municipality.objects.filter(pk__in=ids).order_by("pk").first()


def strings() -> dict[str, str]:
    """What the page's script says, in the person's language; `{name}` marks what it fills
    in, a key ending in `_one` is the text for a count of one."""
    words = {
        "online": gettext_lazy("Online"),
        "offline": gettext_lazy("No network"),
        "syncing": gettext_lazy("Sending…"),
        "all_sent": gettext_lazy("Everything is sent"),
        "waiting": gettext_lazy("Waiting: {count}"),
        "refused_count": gettext_lazy("Refused: {count}"),
        "fetched": gettext_lazy("Keys fetched {time}."),
        "not_fetched": gettext_lazy(
            "The keys are not on the phone yet: connect to the network once before you go out."
        ),
        "keys_expired": gettext_lazy(
            "The keys on the phone have run out: connect to the network to fetch new ones."
        ),
        "valid_until": gettext_lazy("Valid until {time}"),
        "tokens_left": gettext_lazy("{count} openings left"),
        "tokens_left_one": gettext_lazy("1 opening left"),
        "no_tokens_left": gettext_lazy(
            "No openings left for this door: connect to the network to fetch new ones."
        ),
        "unlock": gettext_lazy("Unlock"),
        "unlocking": gettext_lazy("Talking to the lock…"),
        "opened": gettext_lazy("Unlocked {time}"),
        "refused": gettext_lazy("The lock refused: {reason}"),
        "no_answer": gettext_lazy(
            "The lock did not answer. Hold the phone close to the lock and try again; if it "
            "still does not open, use the backup key."
        ),
        "no_link": gettext_lazy(
            "This phone cannot reach door locks from the browser. Open the door with the "
            "backup key and report it to your manager."
        ),
        "revoked_help": gettext_lazy("Your key to this door is revoked: ask your manager."),
        "report_fault": gettext_lazy("Report a lock fault"),
        "no_doors": gettext_lazy("You have no doors to open now."),
        "refused_reason_unknown": gettext_lazy("Trygg refused it."),
        "server_trouble": gettext_lazy("Trygg did not answer: the phone tries again by itself."),
        "signed_out": gettext_lazy(
            "You are logged out, so the keys are removed from the phone. Log in again to go on."
        ),
        "storage_broken": gettext_lazy(
            "The phone's storage cannot be opened, so the keys cannot be kept here. Close "
            "private browsing, or free up space on the phone, and open the page again."
        ),
    }
    refusals = {f"refusal_{value}": label for value, label in Refusal.choices}
    return {key: str(value) for key, value in {**words, **refusals}.items()}


@login_required
@require_GET
def app(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not opens_doors(user):
        raise PermissionDenied
    municipality = _municipality(user)
    demo = municipality is not None and demo_doors.is_demo(municipality)
    response = render(
        request,
        "locks/phone.html",
        {
            "strings": strings(),
            "demo": demo,
            "can_report_fault": keyaccess.can_report_any_fault(user),
        },
    )
    response[OFFLINE_HEADER] = "keep"
    # Fetched again every time it is opened with network: it names the person logged in.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def demo_door(request: HttpRequest) -> HttpResponse:
    """The demo's stand-in for the phone's Bluetooth link to a lock: the token goes to the
    simulated lock on this door, which answers as the lock would. Not outside the demo."""
    user = request_user(request)
    if not opens_doors(user):
        raise PermissionDenied
    try:
        body = json.loads(request.body or b"{}")
        lock_id = str(body["lock_id"])
        token = str(body["token"])[:MAX_TOKEN_CHARS]
        lock = DoorLock.objects.select_related("municipality").get(lock_id=lock_id)
    except (ValueError, KeyError, TypeError, DoorLock.DoesNotExist):
        return JsonResponse({"detail": _("No such door in the demo.")}, status=404)
    if not demo_doors.is_demo(lock.municipality):
        return JsonResponse({"detail": _("No such door in the demo.")}, status=404)
    return JsonResponse(demo_doors.answer(lock, token))
