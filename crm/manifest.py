"""What the CRM contributes to the shared parts (see core.registry): its pages in the sidebar, the audit
actions it records and the kinds of entry it writes to a lead's history."""

from django.utils.translation import gettext_lazy as _

from core.registry import SidebarEntry, TimelineKind
from tenants.models import Role

SIDEBAR = [
    SidebarEntry("crm:dashboard", _("Dashboard"), "home", None, order=10),
    SidebarEntry("crm:lead-list", _("Leads"), "users", (Role.OWNER, Role.SELLER), order=20),
    SidebarEntry("crm:board", _("Pipeline"), "columns", (Role.OWNER, Role.SELLER), order=30),
    SidebarEntry("crm:document-list", _("Documents"), "file", (Role.OWNER, Role.SELLER, Role.ACCOUNTANT), order=70),
    SidebarEntry("crm:analytics", _("Analytics"), "chart", (Role.OWNER, Role.MARKETING, Role.ACCOUNTANT), order=80),
]

AUDIT_LABELS = {
    "lead.create": _("Lead created"),
    "lead.update": _("Lead edited"),
    "lead.move": _("Lead moved"),
    "lead.untag": _("Tag removed from a lead"),
    "view.create": _("Saved view created"),
    "view.delete": _("Saved view deleted"),
    "lead.move.undo": _("Lead move undone"),
    "lead.assign": _("Lead assigned"),
    "lead.tag": _("Lead tagged"),
    "lead.note": _("Note added"),
    "lead.note.edit": _("Note edited"),
    "lead.note.delete": _("Note deleted"),
    "lead.call": _("Call logged"),
    "lead.document": _("Document uploaded"),
    "lead.merge": _("Leads merged"),
    "lead.delete": _("Lead deleted"),
    "lead.erase": _("Personal data erased"),
    "lead.export": _("Leads exported"),
    "lead.import": _("Import started"),
    "lead.import.done": _("Import finished"),
    "lead.import.failed": _("Import failed"),
    "stage.create": _("Stage added"),
    "stage.rename": _("Stage renamed"),
    "stage.reorder": _("Stages reordered"),
    "stage.delete": _("Stage deleted"),
    "stage.probability": _("Stage win probability changed"),
    "stage.rotting": _("Stage rotting limit changed"),
    "lost_reason.create": _("Lost reason added"),
    "lost_reason.update": _("Lost reason changed"),
    "lost_reason.reorder": _("Lost reasons reordered"),
    "lost_reason.delete": _("Lost reason deleted"),
    "product.create": _("Product added"),
    "product.update": _("Product edited"),
    "product.import": _("Products imported"),
    "document.create": _("Sales document created"),
    "document.update": _("Sales document edited"),
    "document.line.add": _("Sales document line added"),
    "document.line.update": _("Sales document line edited"),
    "document.line.delete": _("Sales document line removed"),
    "document.send": _("Sales document sent"),
    "document.accept": _("Quote accepted"),
    "document.reject": _("Quote rejected"),
    "document.convert": _("Quote turned into an order"),
    "document.confirm": _("Order confirmed"),
    "document.deliver": _("Delivery note started"),
    "document.validate": _("Delivery note validated"),
    "document.invoice": _("Invoice started from an order"),
    "document.post": _("Invoice or credit note posted"),
    "document.credit": _("Credit note started"),
    "document.payment": _("Payment recorded"),
    "document.cancel": _("Sales document cancelled"),
    "document.progress": _("Sales document progress"),
    "document.external_post": _("Posted in accounting"),
    "document.external_cancel": _("Cancelled in accounting"),
    "document.settings": _("Document settings changed"),
}


def _kind(code: str, label) -> TimelineKind:
    return TimelineKind(code, label, f"crm/timeline/_{code}.html")


TIMELINE_KINDS = [
    _kind("created", _("Created")),
    _kind("note", _("Note")),
    _kind("call", _("Call")),
    _kind("document", _("Document")),
    _kind("stage", _("Stage change")),
    _kind("assignment", _("Assignment")),
    _kind("update", _("Update")),
    _kind("import", _("Import")),
    _kind("merge", _("Merge")),
    _kind("sales_document", _("Sales document")),
]

# What the CRM's own merge, deletion and erasure call in other apps: see crm.lead_hooks.
