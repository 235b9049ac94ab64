"""Live inbox events on `<schema>.chats`: owners and the lead's seller only. Each event carries the
message bubble (appended to, or replaced in, an open conversation pane) and a pulse that makes every open
conversation list re-fetch itself with the viewer's own filters and permissions."""

from __future__ import annotations

from django.template.loader import render_to_string

from chats.models import Conversation, Message
from core.realtime import publish
from tenants.models import Role


def _audience(conversation: Conversation) -> dict:
    seller_id = conversation.lead.seller_id
    return {"roles": (Role.OWNER,), "user_ids": [seller_id] if seller_id else []}


def announce_message(*, message: Message, event: str) -> None:
    """MESSAGE_NEW (a bubble to append) or MESSAGE_STATUS (a bubble to replace: ticks, failure, transcript)."""
    conversation = message.conversation

    def html() -> str:
        return render_to_string(
            "chats/partials/_event_message.html",
            {"message": message, "conversation": conversation, "event": event, "live": True},
        )

    publish(
        topic="chats",
        event=event,
        html=html,
        data={"conversation": conversation.pk, "message": message.pk, "status": message.status},
        **_audience(conversation),
    )


def announce_conversation(*, conversation: Conversation, event: str = "HANDOFF") -> None:
    """The conversation's takeover state changed: its header and list row refresh."""

    def html() -> str:
        return render_to_string(
            "chats/partials/_event_conversation.html", {"conversation": conversation, "event": event, "live": True}
        )

    publish(topic="chats", event=event, html=html, data={"conversation": conversation.pk}, **_audience(conversation))
