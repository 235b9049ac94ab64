"""Display helpers of the sales document pages: amounts with the currency's decimals, quantities,
percentages, numbers for inputs, and the names of document actions."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from crm import documents_format
from crm.models import SalesDocument

register = template.Library()

# Button labels of the actions on a document.
ACTION_LABELS = {
    "send": _("Send"),
    "accept": _("Mark accepted"),
    "reject": _("Mark rejected"),
    "convert": _("Convert to order"),
    "confirm": _("Confirm order"),
    "deliver": _("Deliver"),
    "validate": _("Validate delivery"),
    "invoice": _("Invoice"),
    "post": _("Post"),
    "credit": _("Credit note"),
    "cancel": _("Cancel"),
}
PRIMARY_ACTIONS = {"convert", "confirm", "validate", "post", "accept"}
# What happened, in a lead's history ("Quote Q-2026-0001: sent").
HISTORY_PHRASES = {
    "create": _("created"),
    "update": _("edited"),
    "send": _("sent"),
    "accept": _("accepted"),
    "reject": _("rejected"),
    "convert": _("turned into an order"),
    "confirm": _("confirmed"),
    "deliver": _("delivery note started"),
    "validate": _("delivered"),
    "invoice": _("invoice started"),
    "post": _("posted"),
    "credit": _("credit note started"),
    "payment": _("payment recorded"),
    "cancel": _("cancelled"),
    "external_post": _("posted in accounting"),
    "external_cancel": _("cancelled in accounting"),
}


@register.filter
def amount(value, currency: str = "") -> str:
    return documents_format.format_amount(value, currency)


@register.filter
def unit_price(value, currency: str = "") -> str:
    return documents_format.format_unit_price(value, currency)


@register.filter
def quantity(value) -> str:
    return documents_format.format_quantity(value)


@register.filter
def rate(value) -> str:
    return documents_format.format_percent(value)


@register.filter
def input_number(value) -> str:
    return documents_format.input_number(value)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def is_primary_action(action: str) -> bool:
    return action in PRIMARY_ACTIONS


@register.filter
def history_phrase(action: str) -> str:
    return str(HISTORY_PHRASES.get(action, action))


# Codes to their (lazy) names, built once: Model.get_FOO_display() rebuilds its choices on every call,
# which a list of fifty rows pays a hundred times.
KIND_LABELS = dict(SalesDocument.Kind.choices)
STATE_LABELS = dict(SalesDocument.State.choices)


@register.filter
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@register.simple_tag(takes_context=True)
def visit_invoice(context, appointment):
    """For an agenda appointment's popover: {"invoice": the invoice made for it or None, "can": whether this
    member may invoice the visit}. One query, for owners only (they alone see the calendar and invoice)."""
    membership = context.get("membership")
    if membership is None or membership.role != "owner":
        return {"can": False, "invoice": None}
    from crm.services.sales_documents import appointment_invoice

    open_visit = appointment.status not in ("cancelled", "no_show")
    return {"can": open_visit, "invoice": appointment_invoice(appointment_id=appointment.pk)}
