"""How the audit log page names what happened: the recorded codes (`lead.move`, `crm.lead`) stay in the
database and the filters' URLs; people read them in their own language."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from core.registry import audit_label

register = template.Library()

OBJECT_LABELS = {"account": _("Account")}


@register.filter
def audit_action(code: str) -> str:
    """`lead.move` -> "Lead moved", as the app that records it declared (core.registry); a code without a
    label is shown as recorded."""
    return audit_label(code)


@register.filter
def audit_object_type(code: str) -> str:
    """`crm.lead` -> "Lead" (the model's name); other codes as recorded."""
    if code in OBJECT_LABELS:
        return str(OBJECT_LABELS[code])
    try:
        model = apps.get_model(code)
    except (LookupError, ValueError):
        return code
    return str(model._meta.verbose_name).capitalize()
