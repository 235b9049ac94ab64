"""How the audit log page names what happened: the recorded codes (`lead.move`, `crm.lead`) stay in the
database and the filters' URLs; people read them in their own language."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.utils.translation import gettext_lazy as _

register = template.Library()

ACTION_LABELS = {
    "login": _("Signed in"),
    "logout": _("Signed out"),
    "login.failed": _("Failed sign-in"),
    "login.throttled": _("Sign-in blocked: too many attempts"),
    "register.throttled": _("Registration blocked: too many attempts"),
    "password_reset.request": _("Password reset asked for"),
    "password_reset.throttled": _("Password reset blocked: too many requests"),
    "user.profile": _("Profile edited"),
    "user.password": _("Password changed"),
    "tenant.create": _("Company created"),
    "tenant.settings": _("Company settings changed"),
    "credential.set": _("Credentials saved"),
    "credential.delete": _("Credentials removed"),
    "membership.request": _("Asked to join"),
    "membership.approve": _("Request approved"),
    "membership.reject": _("Request rejected"),
    "membership.disable": _("Member disabled"),
    "membership.enable": _("Member re-enabled"),
    "member.update": _("Member edited"),
    "lead.create": _("Lead created"),
    "lead.update": _("Lead edited"),
    "lead.move": _("Lead moved"),
    "lead.assign": _("Lead assigned"),
    "lead.tag": _("Lead tagged"),
    "lead.note": _("Note added"),
    "lead.call": _("Call logged"),
    "lead.document": _("Document uploaded"),
    "lead.export": _("Leads exported"),
    "lead.import": _("Import started"),
    "lead.import.done": _("Import finished"),
    "lead.import.failed": _("Import failed"),
    "stage.create": _("Stage added"),
    "stage.rename": _("Stage renamed"),
    "stage.reorder": _("Stages reordered"),
    "stage.delete": _("Stage deleted"),
}

OBJECT_LABELS = {"account": _("Account")}


@register.filter
def audit_action(code: str) -> str:
    """`lead.move` -> "Lead moved"; a code without a label (a newer action) is shown as recorded."""
    return str(ACTION_LABELS.get(code, code))


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
