"""What chats contributes to the shared parts of the product (core.registry)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "agent.settings": _("AI agent settings changed"),
}
