"""The client record's NFC tags: which doors have a tag now (and those taken down lately).

Everyone who may open the record sees them: a care worker at the door needs to know where
the tag is as much as the team leader does. Those who may put tags up for the client get a
link to the tag page to register or take one down.
"""

from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from trygg.core import record
from trygg.core.models import Client, User
from trygg.core.record import Shown
from trygg.devices.models import NfcTag
from trygg.devices.tags import may_place_tag

# Tags taken down shown besides those in place: enough to see a recent swap.
RETIRED_SHOWN = 3


def build(client: Client, user: User, request: HttpRequest) -> Shown:
    tags = list(
        NfcTag.objects.filter(client=client).order_by(
            F("retired_on").desc(nulls_first=True), "door", "-placed_on", "-pk"
        )
    )
    in_place = [t for t in tags if t.retired_on is None]
    retired = [t for t in tags if t.retired_on is not None]
    shown = in_place + retired[:RETIRED_SHOWN]
    manage_url = (
        f"{reverse('visits:tags')}?{urlencode({'client': client.pk})}"
        if may_place_tag(user, client)
        else ""
    )
    return Shown(
        context={
            "tags": shown,
            "today": client.municipality.today(),
            "more_retired": max(0, len(retired) - RETIRED_SHOWN),
            "manage_url": manage_url,
        },
        entries=[tag.code for tag in shown],
    )


def register_section() -> None:
    record.register(
        "tags",
        _("NFC tags"),
        build,
        "visits/record/tags.html",
        position=25,
        empty_text=_("No NFC tag is put up at the client's doors."),
    )
