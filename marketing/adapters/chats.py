"""The one place marketing sends a WhatsApp template: through the chats capability's sending path
(`chats.services.message_send_template`, idempotent, statuses tracked, shown in the conversation and the
lead's history). Until chats provides it, `ChatsSendingUnavailable` is raised and the send is recorded as
failed with that reason: nothing pretends to have been sent."""

from __future__ import annotations

import inspect

from django.utils.translation import gettext as _

from core.errors import ApplicationError


class ChatsSendingUnavailable(ApplicationError):
    pass


def _chats_services():
    try:
        from chats import services
    except ImportError:
        return None
    if not hasattr(services, "message_send_template"):
        return None
    return services


def sending_available() -> bool:
    return _chats_services() is not None


def send_template(
    *,
    tenant,
    lead,
    name: str,
    language: str,
    components: list,
    actor,
    idempotency_key: str,
    text: str = "",
    conversation=None,
):
    """Sends template `name` in `language` to `lead`'s WhatsApp conversation. Raises
    ChatsSendingUnavailable when the chats capability is not installed, ApplicationError when the lead has no
    conversation or chats refuses. `text` is the rendered template, for the inbox."""
    services = _chats_services()
    if services is None:
        raise ChatsSendingUnavailable(_("WhatsApp sending is not available yet on this installation."))
    conversation = conversation or _conversation_for(services, tenant=tenant, lead=lead)
    if conversation is None:
        raise ApplicationError(_("This lead has no WhatsApp conversation yet."))
    send = services.message_send_template
    extra = {"text": text} if text and "text" in inspect.signature(send).parameters else {}
    return send(
        tenant=tenant,
        conversation=conversation,
        name=name,
        language=language,
        components=components,
        actor=actor,
        idempotency_key=idempotency_key,
        **extra,
    )


def _conversation_for(services, *, tenant, lead):
    """The lead's WhatsApp conversation: from a chats service when it offers one, else the lead's most
    recent conversation (read, never written: chats owns its rows)."""
    for finder in ("conversation_for_lead", "conversation_get_or_create"):
        if hasattr(services, finder):
            return getattr(services, finder)(tenant=tenant, lead=lead)
    try:
        from chats.models import Conversation
    except ImportError:
        return None
    return Conversation.objects.filter(lead=lead).order_by("-last_message_at", "-id").first()
