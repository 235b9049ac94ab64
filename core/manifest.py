"""Core's own contributions to the shared parts (see core.registry): the owners' audit log page."""

from django.utils.translation import gettext_lazy as _

from core.registry import SidebarEntry
from tenants.models import Role

SIDEBAR = [SidebarEntry("core:audit-list", _("Audit log"), "list", (Role.OWNER,), order=100)]

AUDIT_LABELS = {}
NOTIFICATION_KINDS = []
