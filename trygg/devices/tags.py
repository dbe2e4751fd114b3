"""NFC tags: registering one (by scanning it or typing its printed code), placing it at a
client's door, and taking it down.

Who: the welfare-technology team and the municipality's administrators for any client in
the municipality; a provider's managers and team leaders for the clients their provider
serves (a tag that came with the NFC-tag order is put up by the provider's own staff).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from trygg.core.access import clients as visible_clients
from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import Client, ClientQuerySet, Municipality, User
from trygg.lib import tagcodes

from .constants import TagDoor, TagRetireReason
from .models import NfcTag

TAG_MUNICIPAL_ROLES = frozenset({Role.WELFARE_TECH, Role.MUNICIPAL_ADMIN})
TAG_PROVIDER_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.TEAM_LEADER})
DEFAULT_TAG_MODEL = "NTAG213"


class TagError(ValueError):
    """A tag cannot be registered, placed or retired as asked; the message says why."""


def may_place_tag(user: User, client: Client) -> bool:
    scope = scope_for(user)
    if scope.municipal_roles.get(client.municipality_id, frozenset()) & TAG_MUNICIPAL_ROLES:
        return True
    return bool(
        client.provider_id is not None
        and scope.provider_roles.get(client.provider_id, frozenset()) & TAG_PROVIDER_ROLES
    )


def places_tags(user: User | AnonymousUser) -> bool:
    """Whether the tag page belongs in the user's menu: anyone who may put up a tag."""
    scope = scope_for(user)
    return bool(
        scope.municipalities_with(TAG_MUNICIPAL_ROLES) or scope.providers_with(TAG_PROVIDER_ROLES)
    )


def tag_clients(user: User) -> ClientQuerySet:
    """The clients whose doors this user may put tags up at (and take them down from): the
    same rule as `may_place_tag`, as a query, within the clients the user may see."""
    scope = scope_for(user)
    return visible_clients(user).filter(
        Q(municipality_id__in=scope.municipalities_with(TAG_MUNICIPAL_ROLES))
        | Q(provider_id__in=scope.providers_with(TAG_PROVIDER_ROLES))
    )


def tags(user: User) -> Q:
    """A filter on NfcTag: the tags this user may see (their clients' doors, or every tag
    of the municipality for the device people)."""
    scope = scope_for(user)
    municipalities = scope.municipalities_with(TAG_MUNICIPAL_ROLES)
    return Q(municipality_id__in=municipalities) | Q(
        client__in=visible_clients(user).filter(provider_id__in=scope.provider_ids)
    )


def new_tag_code(municipality: Municipality) -> str:
    """A code not yet used in the municipality, for printing a new tag."""
    while True:
        code = tagcodes.generate()
        if not NfcTag.objects.filter(municipality=municipality, code=code).exists():
            return code


def place_tag(
    actor: User,
    client: Client,
    *,
    code: str,
    uid: str = "",
    door: str = TagDoor.MAIN,
    location: str = "",
    placed_on: dt.date | None = None,
    model_name: str = DEFAULT_TAG_MODEL,
) -> NfcTag:
    """Put the tag with `code` (typed, read from its QR code or link) up at `client`'s door,
    registering it in the inventory if it is new. The earlier tag at the same door, if any,
    is taken down the day before, so a door has one tag at a time."""
    if not may_place_tag(actor, client):
        raise PermissionError(_("You may not put up tags for this client."))
    try:
        code = tagcodes.parse(code)
    except tagcodes.InvalidTagCode as exc:
        raise TagError(_tag_code_error(code)) from exc
    if door not in TagDoor.values:
        raise TagError(_("Choose the door the tag is put up at."))
    if len(location.strip()) > 100:
        raise TagError(_("Where at the door is at most 100 characters."))
    chip = ""
    if uid:
        try:
            chip = tagcodes.parse_uid(uid)
        except ValueError as exc:
            raise TagError(_("The tag's chip number could not be read; scan it again.")) from exc
    municipality = client.municipality
    day = placed_on or municipality.today()
    if day > municipality.today():
        raise TagError(_("A tag is registered when it is put up, not before."))
    try:
        with transaction.atomic():
            tag = (
                NfcTag.objects.select_for_update()
                .filter(municipality=municipality, code=code)
                .first()
            )
            if tag is not None and tag.client_id is not None:
                if tag.client_id == client.pk and tag.retired_on is None:
                    raise TagError(_("This tag is already up at this client's door."))
                raise TagError(
                    _("This tag has been used at another door; a tag is placed only once.")
                )
            if tag is None:
                tag = NfcTag(municipality=municipality, code=code, model_name=model_name)
            if chip:
                tag.uid = chip
            for earlier in NfcTag.objects.select_for_update().filter(
                client=client, door=door, retired_on__isnull=True
            ):
                earlier.retired_on = max(earlier.placed_on or day, day - dt.timedelta(days=1))
                earlier.retired_reason = TagRetireReason.REPLACED
                earlier.retired_note = code  # the tag that took over
                earlier.retired_by = actor
                earlier.save(
                    update_fields=[
                        "retired_on",
                        "retired_reason",
                        "retired_note",
                        "retired_by",
                        "updated_at",
                    ]
                )
            tag.client = client
            tag.door = door
            tag.location = location.strip()
            tag.placed_on = day
            tag.retired_on = None
            tag.registered_by = actor
            tag.save()
    except IntegrityError as exc:
        raise TagError(_("Another tag already has this chip number.")) from exc
    return tag


def retire_tag(
    actor: User,
    tag: NfcTag,
    *,
    reason: str,
    note: str = "",
    on: dt.date | None = None,
) -> NfcTag:
    """Take a tag down (it broke, the client moved or left), saying why: visits after `on`
    can no longer be proven with it. "Other" needs a note saying what happened."""
    if tag.client is None or not may_place_tag(actor, tag.client):
        raise PermissionError(_("You may not take down this tag."))
    note = note.strip()
    if reason not in TagRetireReason.values or reason == TagRetireReason.REPLACED:
        # "Replaced" is Trygg's own reason, set when a new tag takes over the door.
        raise TagError(_("Choose why the tag is taken down."))
    if reason == TagRetireReason.OTHER and not note:
        raise TagError(_("Say why the tag is taken down."))
    if len(note) > 200:
        raise TagError(_("The note is at most 200 characters."))
    day = on or tag.municipality.today()
    if day > tag.municipality.today():
        raise TagError(_("A tag is taken down on the day it comes down, not before."))
    with transaction.atomic():
        # Locked and read again: of two people taking the same tag down, one succeeds.
        current = NfcTag.objects.select_for_update().get(pk=tag.pk)
        if current.retired_on is not None:
            raise TagError(_("This tag is already taken down."))
        if current.placed_on is not None and day < current.placed_on:
            raise TagError(_("A tag cannot be taken down before it was put up."))
        current.retired_on = day
        current.retired_reason = reason
        current.retired_note = note
        current.retired_by = actor
        current.save(
            update_fields=[
                "retired_on",
                "retired_reason",
                "retired_note",
                "retired_by",
                "updated_at",
            ]
        )
    for field in ("retired_on", "retired_reason", "retired_note", "retired_by"):
        setattr(tag, field, getattr(current, field))
    return tag


def _tag_code_error(text: str) -> str:
    # lib.tagcodes speaks English to developers; people get the same reasons in their language.
    compact = text.strip().replace("-", "").replace(" ", "")
    if len(compact) != tagcodes.LENGTH and "/t/" not in text:
        return _("A tag code has 8 characters, like 7K3M-Q9XB.")
    return _("This is not a tag code: check each character again.")
