"""The back office's own row of tabs: the visit pages a person may open, in work order."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trygg.core.models import User

from . import access


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url: str
    current: bool


def office_tabs(user: User | AnonymousUser, current: str) -> list[Tab]:
    entries = [
        ("mine", _("My visits"), "visits:mine", access.registers_visits),
        ("list", _("Visits"), "visits:list", access.opens_visit_office),
        ("review", _("Review"), "visits:review", access.opens_visit_office),
        ("approvals", _("Approval"), "visits:approvals", access.leads_visits),
        ("locks", _("Lock dates"), "visits:locks", access.opens_locks),
        ("billing", _("Billing basis"), "visits:billing", access.opens_billing),
        ("follow_up", _("Follow-up"), "visits:follow_up", access.opens_billing),
        ("rules", _("Rules"), "visits:rules", access.sets_rules),
    ]
    tabs = [
        Tab(key, label, reverse(url_name), key == current)
        for key, label, url_name, shown in entries
        if shown(user)
    ]
    # One tab is no choice: the page's heading says where the person is.
    return tabs if len(tabs) > 1 else []
