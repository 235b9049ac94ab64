"""What chats contributes to the shared parts (see core.registry): the inbox in the sidebar with its
unread badge, the audit actions it records, the entries it writes to a lead's history and the hand-off
notification."""

from django.utils.translation import gettext_lazy as _

from core.registry import NotificationKind, SidebarEntry, TimelineKind
from tenants.models import Role

SIDEBAR = [
    SidebarEntry(
        "chats:inbox",
        _("Chats"),
        "chat",
        (Role.OWNER, Role.SELLER),
        order=30,
        badge_template="chats/partials/_sidebar_badge.html",
        badge_context="chats.selectors.sidebar_badge",
    )
]

AUDIT_LABELS = {
    "chats.take_over": _("Conversation taken over"),
    "chats.release": _("Conversation given back to the AI agent"),
    "chats.handoff": _("Conversation handed to a person"),
    "chats.message_retry": _("Message sent again"),
    "chats.settings": _("WhatsApp settings changed"),
    "chats.test_message": _("WhatsApp test message sent"),
    "agent.settings": _("AI agent settings changed"),
    "chats.number_conflict": _("New WhatsApp number already on another lead"),
}

_MESSAGE = "chats/timeline/_message.html"
_TAKEOVER = "chats/timeline/_takeover.html"
_NUMBER = "chats/timeline/_number.html"
_ORDER = "chats/timeline/_order.html"

TIMELINE_KINDS = [
    TimelineKind("whatsapp_in", _("WhatsApp message received"), _MESSAGE),
    TimelineKind("whatsapp_out", _("WhatsApp message sent"), _MESSAGE),
    TimelineKind("whatsapp_takeover", _("Conversation taken over"), _TAKEOVER),
    TimelineKind("whatsapp_release", _("Conversation given back to the AI agent"), _TAKEOVER),
    TimelineKind("whatsapp_handoff", _("Conversation handed to a person"), _TAKEOVER),
    TimelineKind("whatsapp_number_changed", _("WhatsApp number changed"), _NUMBER),
    TimelineKind("whatsapp_number_conflict", _("New WhatsApp number already on another lead"), _NUMBER),
    TimelineKind("whatsapp_order", _("WhatsApp catalog order"), _ORDER),
]

NOTIFICATION_KINDS = [
    NotificationKind("chats.handoff", _("A lead needs a person on WhatsApp"), sound=True),
    NotificationKind("chats.number_conflict", _("A lead's new WhatsApp number is on another lead")),
]
