"""Pieces the chats services share: errors, who sent a message, the conversation's summary fields."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chats.models import Conversation, Message
from core.actors import Actor
from core.errors import ApplicationError


class WindowClosed(ApplicationError):
    """Free-form text outside WhatsApp's 24-hour customer-service window: only a template may be sent."""

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or str(
                _(
                    "The lead has not written in the last 24 hours, so WhatsApp only allows an approved "
                    "template. Send a template to reopen the conversation."
                )
            )
        )


def sender_of(actor) -> tuple[str, int | None]:
    """(Message.sender, author user id) for an actor: a person, the AI agent, the system."""
    if isinstance(actor, Actor):
        if actor.kind == "agent":
            return Message.Sender.AGENT, None
        if actor.kind == "lead":
            return Message.Sender.LEAD, None
        return Message.Sender.SYSTEM, getattr(actor.user, "pk", None)
    if actor is not None and getattr(actor, "is_authenticated", False):
        return Message.Sender.USER, actor.pk
    return Message.Sender.SYSTEM, None


def preview_of(message: Message) -> str:
    """One line for the conversation list and the lead's history."""
    text = " ".join((message.text or "").split())
    labels = {
        Message.Kind.IMAGE: "📷",
        Message.Kind.AUDIO: "🎵",
        Message.Kind.VOICE: "🎤",
        Message.Kind.VIDEO: "🎬",
        Message.Kind.DOCUMENT: "📄",
        Message.Kind.STICKER: "💟",
        Message.Kind.LOCATION: "📍",
        Message.Kind.CONTACTS: "👤",
        Message.Kind.REACTION: "",
        Message.Kind.TEMPLATE: "📨",
        Message.Kind.ORDER: "🛒",
        Message.Kind.SYSTEM: "📱",
    }
    prefix = labels.get(message.kind, "")
    if message.kind == Message.Kind.REACTION:
        text = message.payload.get("emoji", "") or str(_("Reaction removed"))
    elif not text and message.kind != Message.Kind.TEXT:
        text = str(message.get_kind_display())
    return f"{prefix} {text}".strip()[:160]


def conversation_touch(*, conversation: Conversation, message: Message, inbound: bool) -> None:
    """Moves the conversation's summary (last message, unread, window) forward for `message`, with one
    UPDATE so concurrent messages never lose a count (the window's start only ever moves forward), then
    reads it back. A lead already loaded on `conversation` stays loaded."""
    from django.db.models import DateTimeField, F, Value
    from django.db.models.functions import Greatest

    updates = {"last_message_at": message.created_at, "last_message_preview": preview_of(message)}
    if inbound:
        at = message.provider_time or message.created_at
        updates["unread_count"] = F("unread_count") + 1
        # PostgreSQL's GREATEST skips NULL: a conversation's first inbound message sets it.
        updates["last_inbound_at"] = Greatest(F("last_inbound_at"), Value(at, output_field=DateTimeField()))
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    lead = conversation.lead if Conversation.lead.is_cached(conversation) else None
    conversation.refresh_from_db()
    if lead is not None:
        conversation.lead = lead


def enqueue_on_commit(task, tenant, *args) -> None:
    """Sends `task` once the transaction commits, inside `tenant` (tenant-schemas-celery carries it)."""
    from django.db import transaction
    from django_tenants.utils import tenant_context

    def send() -> None:
        with tenant_context(tenant):
            task.delay(*args)

    transaction.on_commit(send)


def run_on_commit(company, fn, **kwargs) -> None:
    """Runs `fn(**kwargs)` once the transaction commits, inside `company`."""
    from django.db import transaction
    from django_tenants.utils import tenant_context

    def run() -> None:
        with tenant_context(company):
            fn(**kwargs)

    transaction.on_commit(run)
