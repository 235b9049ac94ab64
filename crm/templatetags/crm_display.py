"""Small display helpers for CRM pages: money, initials, call durations, timeline entry templates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "MXN": "MX$", "COP": "COL$", "ARS": "AR$", "CLP": "CLP$"}


@register.filter
def money(value, currency: str = "") -> str:
    """`12.500 €` in the active language's number format, without cents."""
    try:
        amount = Decimal(value or 0)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    number = number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get((currency or "").upper(), currency or "")
    return f"{number} {symbol}".strip()


@register.filter
def initials(user) -> str:
    if user is None:
        return ""
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or "").strip()
    parts = [part for part in name.replace("@", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper()


@register.filter
def duration(seconds) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour up."""
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def call_outcome(value: str) -> str:
    from crm.forms_detail import CALL_OUTCOME_LABELS

    return str(CALL_OUTCOME_LABELS.get(value, value))


@register.filter
def timeline_templates(entry) -> list[str]:
    """The templates that may render this entry's body: its kind's own, then the default. New kinds
    (message, appointment, sales_document, odoo_sync, ...) only add `crm/timeline/_<kind>.html`."""
    kind = "".join(char for char in str(entry.kind) if char.isalnum() or char == "_")
    return [f"crm/timeline/_{kind}.html", "crm/timeline/_default.html"]


@register.filter
def timeline_kind_label(entry) -> str:
    """The translated name of a known kind; an unknown one (added later) reads like a title."""
    from crm.models import TimelineEntry

    if entry.kind in TimelineEntry.Kind.values:
        return str(TimelineEntry.Kind(entry.kind).label)
    return str(entry.kind).replace("_", " ").capitalize()


@register.filter
def lead_field_labels(names) -> list[str]:
    """Lead field names (as stored in update entries) as their translated labels."""
    from django.core.exceptions import FieldDoesNotExist

    from crm.models import Lead

    labels = []
    for name in names or []:
        try:
            labels.append(str(Lead._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(str(name))
    return labels
