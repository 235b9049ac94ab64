"""What the Odoo sync contributes to the shared parts (see core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import NotificationKind, SidebarEntry, TimelineKind
from tenants.models import Role

SIDEBAR = [
    SidebarEntry("odoo_sync:overview", _("Odoo"), "odoo", (Role.OWNER, Role.ACCOUNTANT), order=75),
]

AUDIT_LABELS = {
    "odoo.connection_test": _("Odoo connection tested"),
    "odoo.send": _("Sent to Odoo"),
    "odoo.pushed": _("Pushed to Odoo"),
    "odoo.push_failed": _("Push to Odoo failed"),
    "odoo.refresh": _("Refreshed from Odoo"),
    "odoo.note": _("Reconciliation note"),
}

TIMELINE_KINDS = [TimelineKind("odoo", _("Odoo"), "odoo_sync/timeline/_odoo.html")]

NOTIFICATION_KINDS = [
    NotificationKind("odoo_failed", _("A document could not be sent to Odoo")),
    NotificationKind("odoo_attention", _("A document differs from Odoo")),
]
