"""Renders one section of the client's record (core.record) with the context its app built."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString

from ..record import ShownSection

register = template.Library()


@register.simple_tag(takes_context=True)
def record_section(context: Context, section: ShownSection) -> SafeString:
    """The section's own template, as `{% include %}` would render it, with only what its
    app gave it (and the request): one app's section never reads another's context."""
    assert context.template is not None
    body = context.template.engine.get_template(section.template)
    values = {**section.context, "request": context.get("request")}
    return SafeString(body.render(context.new(values)))
