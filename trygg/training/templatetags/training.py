"""Template filters for the training pages."""

from __future__ import annotations

from django import template

from ..models import TrainingSession
from ..notices import format_when

register = template.Library()


@register.filter
def when(session: TrainingSession) -> str:
    """A session's day and hours by its municipality's clock, weekday first."""
    return format_when(session)
