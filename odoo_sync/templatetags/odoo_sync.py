"""Template helpers of the Odoo sync fragments."""

from __future__ import annotations

from django import template

from tenants.models import Role

register = template.Library()
SENDERS = (Role.OWNER, Role.ACCOUNTANT)


@register.simple_tag(takes_context=True)
def odoo_can_act(context) -> bool:
    """Whether the viewer sends documents to Odoo: owners and accountants."""
    membership = getattr(context.get("request"), "membership", None)
    return membership is not None and membership.role in SENDERS
