"""What the marketing hub contributes to the shared parts (see core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import SidebarEntry, TimelineKind
from tenants.models import Role

SIDEBAR = [
    SidebarEntry("marketing:hub", _("Marketing"), "chart", (Role.OWNER, Role.MARKETING), order=60),
]

AUDIT_LABELS = {
    "marketing.connect": _("Meta connected"),
    "marketing.disconnect": _("Meta disconnected"),
    "marketing.accounts": _("Ad accounts chosen"),
    "marketing.page_add": _("Facebook page linked"),
    "marketing.page_remove": _("Facebook page unlinked"),
    "marketing.form_create": _("Lead form created"),
    "marketing.form_update": _("Lead form edited"),
    "marketing.templates_sync": _("WhatsApp templates synced"),
    "marketing.template_variables": _("Template variables chosen"),
    "marketing.template_batch": _("Template sent to leads"),
    "marketing.opt_out": _("Lead opted out of marketing"),
    "marketing.rule_create": _("Automation rule created"),
    "marketing.rule_update": _("Automation rule edited"),
}

TIMELINE_KINDS = [
    TimelineKind("lead_form", _("Form answered"), "marketing/timeline/_lead_form.html"),
    TimelineKind("template_sent", _("WhatsApp template sent"), "marketing/timeline/_template_sent.html"),
]
