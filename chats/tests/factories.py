"""Conversations and messages for tests, built through the services where it matters."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chats.models import Conversation, Message
from chats.tests.conftest import CLOUD_NUMBER_ID
from crm.public import lead_upsert_by_phone


def make_conversation(
    tenant, *, phone: str = "+34611222333", seller_id=None, inbound_ago=timedelta(minutes=5), **fields
):
    """A lead (with `seller_id`) and its conversation with acme's Cloud API number; the lead wrote
    `inbound_ago` (None: never, so the 24-hour window is closed)."""
    lead, _ = lead_upsert_by_phone(tenant=tenant, phone=phone, source="whatsapp", seller_id=seller_id)
    if seller_id is not None and lead.seller_id != seller_id:
        from crm.public import lead_assign

        lead = lead_assign(tenant=tenant, lead=lead, seller_id=seller_id)
    now = timezone.now()
    conversation, _ = Conversation.objects.get_or_create(
        lead=lead,
        provider="whatsapp_cloud",
        phone_number_id=CLOUD_NUMBER_ID,
        defaults={
            "business_phone": "+15550783881",
            "last_inbound_at": now - inbound_ago if inbound_ago is not None else None,
            "last_message_at": now,
            **fields,
        },
    )
    return conversation


def make_inbound(conversation, text: str = "Hola", **fields) -> Message:
    return Message.objects.create(
        conversation=conversation,
        direction="in",
        kind=fields.pop("kind", "text"),
        text=text,
        status="received",
        sender="lead",
        provider_message_id=fields.pop("provider_message_id", f"wamid.in.{Message.objects.count() + 1}"),
        **fields,
    )
