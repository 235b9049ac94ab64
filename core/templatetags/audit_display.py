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


def _field(object_type: str, name: str):
    from django.core.exceptions import FieldDoesNotExist

    try:
        return apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


@register.filter
def audit_field(name: str, object_type: str) -> str:
    """A changed field as the reader calls it: `first_name` on a lead -> "First name"."""
    field = _field(object_type, name)
    label = getattr(field, "verbose_name", None) if field is not None else None
    return str(label if label else str(name).replace("_", " ")).capitalize()


@register.filter
def audit_value(value, field_and_type: str) -> str:
    """A recorded value as the reader reads it: a choice's label (`hot` -> "Hot"), "—" for nothing.
    `field_and_type` is "field|object_type"."""
    if value in (None, ""):
        return "—"
    name, _sep, object_type = str(field_and_type).partition("|")
    field = _field(object_type, name)
    choices = dict(getattr(field, "flatchoices", None) or []) if field is not None else {}
    return str(choices.get(value, value))
