"""`{% alarm_links alarm as links %}`: the links other apps add to an alarm (`alarms.links`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.functional import Promise

from trygg.core.models import User

from .. import links
from ..models import Alarm

register = template.Library()


@register.simple_tag(takes_context=True)
def alarm_links(context: dict[str, Any], alarm: Alarm) -> list[tuple[str, str | Promise, str]]:
    user = context.get("user")
    if not isinstance(user, User):
        return []
    return links.links_for(user, alarm)
