"""What some order types do beyond their generic form, registered by the app that knows how.

The service desk knows orders, not alarms. An app that gives an order type more (the alarms
app for the log extract, `log_extract`) registers hooks for the type's code when it loads:

    hooks.register("log_extract", OrderTypeHooks(validate=..., make_result=...))

- `validate` checks the cleaned form values when the order is placed, with the day it is
  placed on; it returns messages per field (an empty mapping when all is well). Nothing is
  saved when it finds something.
- `deadline_from` gives the day the deadline runs from when it is not the day the order is
  placed (a phone's configuration: from the day the desk received the phone).
- `steps_done` names the checklist steps `make_result` carries out (matched by title,
  case-insensitively); recording the result ticks them, done by Trygg.
- `results_needed` makes `steps_done` wait for that many results (the NFC-tag order: one
  result per tag registered, as many as were ordered): the steps are ticked with the result
  that completes them, and nobody ticks them by hand. Until then "done" needs a reason, like
  any unticked step.
- `form_steps` names checklist steps only the type's own form ticks (a camera's report-back,
  which needs the serial number from the inventory): the checklist shows them without a tick
  box, and ticking one by hand is refused (the form's app ticks it through
  `services.tick_form_steps`).
- `panel(order, user)` gives the context of a card of the type's own on the order's page,
  rendered from `panel_template` (the camera's report-back form, a fault's support hours);
  None leaves the card out. The app that registers it serves whatever the card posts to.
- `make_result` makes the order's result (files and summary, through
  `services.record_result`), given a `ResultRequest`. An order of such a type is queued for
  the worker when placed, and the fulfillers may make the result again from the order's page.

Hooks are keyed by code, so a municipality's own type with that code gets them too. This
module is the contract only: it imports nothing of the desk's services, which import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from trygg.core.models import User

    from .models import Order, OrderResult, OrderType


@dataclass(frozen=True)
class ResultRequest:
    """Who asked for a result to be made, and on what terms."""

    made_by: User | None = None  # None: the worker, after the order was placed
    claim: dt.datetime | None = None  # the worker's lease, to be still held when recording
    remote_addr: str | None = None


@dataclass(frozen=True)
class GeneratedFile:
    """One file a result maker made, for `services.record_result` to attach."""

    name: str
    content: bytes
    content_type: str


Validator = Callable[["OrderType", Mapping[str, Any], dt.date], Mapping[str, list[str]]]
ResultMaker = Callable[["Order", ResultRequest], "OrderResult"]
DeadlineStart = Callable[[Mapping[str, Any]], dt.date | None]
ResultsNeeded = Callable[["Order"], int]
PanelBuilder = Callable[["Order", "User"], Mapping[str, Any] | None]


@dataclass(frozen=True)
class OrderTypeHooks:
    validate: Validator | None = None
    make_result: ResultMaker | None = None
    deadline_from: DeadlineStart | None = None
    steps_done: tuple[str, ...] = ()
    results_needed: ResultsNeeded | None = None
    # The fulfillers' buttons on the order's page ("Make the extract", "Make the extract
    # again"), and the template that shows the results there (given `results`, newest
    # first, and `result_waiting`).
    make_label: str | Promise = ""
    make_again_label: str | Promise = ""
    summary_template: str = ""
    form_steps: tuple[str, ...] = ()
    panel: PanelBuilder | None = None
    panel_template: str = ""

    def is_form_step(self, title: str) -> bool:
        return title.strip().casefold() in {s.casefold() for s in self.form_steps}


_NONE = OrderTypeHooks()
_hooks: dict[str, OrderTypeHooks] = {}


def register(code: str, hooks: OrderTypeHooks) -> None:
    """Give order types with this code these hooks (again on a reload: the last one wins)."""
    _hooks[code] = hooks


def hooks_for(code: str) -> OrderTypeHooks:
    return _hooks.get(code, _NONE)


def steps_kept(code: str) -> frozenset[str]:
    """The steps (case-folded titles) only results tick for order types with this code."""
    found = hooks_for(code)
    if found.results_needed is None:
        return frozenset()
    return frozenset(t.casefold() for t in found.steps_done)
