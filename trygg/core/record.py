"""The client's record, filled in by the apps: devices, alarms, orders, and later locks,
cameras and tags, each in a section of its own.

Core knows nothing of those apps (they stand on it); each registers its section when it
loads (`AppConfig.ready`), the way it registers its menu entry::

    record.register("alarms", _("Alarms"), build_alarms, "alarms/record.html", position=30)

`build(client, user, request)` decides what the section shows this user, by its own app's
rules, and returns `Shown` (its template's context and a name for each entry it holds), or
None when the section is not for the user at all (a care worker has no orders to see). The
record view calls every builder, writes one access-log row for the record naming what each
section showed (`shown_for_log`), and renders the sections in `position` order.

A builder is only called with a client the user may see (`access.get_client`): the
secrecy boundary between providers is the record's, before any section is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise

from .models import Client, User


@dataclass(frozen=True)
class Shown:
    """What a section shows one user.

    `entries` names each thing shown (a serial number, an alarm's number, an order's
    number): the access log keeps them, so that an auditor can tell what was read. An empty
    list is an empty section, which says so (`empty_text`, or the section's own).
    """

    context: Mapping[str, Any]
    entries: Sequence[str] = ()
    empty_text: str | Promise | None = None
    # A line under the title: what the section covers ("the last 90 days"), or whose view
    # it is ("alarms sent to your teams").
    note: str | Promise = ""

    @property
    def is_empty(self) -> bool:
        return not self.entries


Builder = Callable[[Client, User, HttpRequest], Shown | None]


@dataclass(frozen=True)
class RecordSection:
    key: str  # the section's id on the page (#record-<key>) and in the access log
    title: str | Promise
    build: Builder
    template: str  # rendered with the section's context, plus `client` and `section`
    position: int
    empty_text: str | Promise


@dataclass(frozen=True)
class ShownSection:
    """A section as one user sees it, ready for the page."""

    section: RecordSection
    shown: Shown
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str | Promise:
        return self.section.title

    @property
    def template(self) -> str:
        return self.section.template

    @property
    def empty_text(self) -> str | Promise:
        return self.shown.empty_text or self.section.empty_text


_sections: dict[str, RecordSection] = {}
# Titles for what a page other than the record logs as shown (an order, a camera session):
# the review names them in its language, never by the key they were logged under.
_log_titles: dict[str, str | Promise] = {}


def register_log_title(key: str, title: str | Promise) -> None:
    """Name a key that a page outside the record logs in `shown` (the record's sections are
    named by their titles already)."""
    _log_titles[key] = title


def register(
    key: str,
    title: str | Promise,
    build: Builder,
    template: str,
    *,
    position: int,
    empty_text: str | Promise,
) -> None:
    """Add a section to the client's record (again on a reload: the last one with the key
    wins)."""
    _sections[key] = RecordSection(key, title, build, template, position, empty_text)


def sections() -> list[RecordSection]:
    return sorted(_sections.values(), key=lambda s: (s.position, s.key))


def sections_for(client: Client, user: User, request: HttpRequest) -> list[ShownSection]:
    """The sections this user sees on this client's record, in order, each built once."""
    shown: list[ShownSection] = []
    for section in sections():
        content = section.build(client, user, request)
        if content is None:
            continue
        context = {**content.context, "client": client, "section": section}
        shown.append(ShownSection(section, content, context))
    return shown


def shown_for_log(shown: Sequence[ShownSection]) -> dict[str, list[str]]:
    """What the sections showed, for the record's access-log row: each section's key with
    the names of its entries (an empty list for a section that said it had none)."""
    return {s.key: [str(entry) for entry in s.shown.entries] for s in shown}


def describe(shown: Mapping[str, Sequence[str]] | None) -> list[tuple[str | Promise, list[str]]]:
    """A logged `shown` as the review reads it: each section's title (its key, for a section
    no longer registered) with the entries it named."""
    if not shown:
        return []
    # In the record's order: PostgreSQL's jsonb keeps the keys in an order of its own.
    order = {s.key: (s.position, s.key) for s in _sections.values()}
    keys = sorted(shown, key=lambda key: order.get(key, (1 << 30, key)))
    titles = {**_log_titles, **{s.key: s.title for s in _sections.values()}}
    return [(titles.get(key, key), [str(e) for e in shown[key]]) for key in keys]
