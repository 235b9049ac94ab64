"""Websocket consumer of the inbox."""

from __future__ import annotations

from core.consumers import TenantTopicConsumer
from tenants.models import Role


class ChatsConsumer(TenantTopicConsumer):
    """Open inboxes. Events reach owners and the lead's seller only (see chats.realtime)."""

    topic = "chats"
    roles = (Role.OWNER, Role.SELLER)
