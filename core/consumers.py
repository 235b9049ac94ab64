"""Websocket consumers. Each joins `<schema>.<topic>` for its page and forwards server-rendered HTML,
which htmx's ws extension swaps out of band."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from core.realtime import group_name


@database_sync_to_async
def _membership_for(user, tenant):
    from tenants.selectors import active_membership

    return active_membership(user=user, tenant=tenant)


class TenantTopicConsumer(AsyncWebsocketConsumer):
    """Accepts only a signed-in user with an active membership (and an allowed role) in the socket's tenant."""

    topic = ""
    roles: tuple[str, ...] | None = None

    async def connect(self):
        tenant = self.scope.get("tenant")
        user = self.scope.get("user")
        if tenant is None or user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        membership = await _membership_for(user, tenant)
        if membership is None or (self.roles is not None and membership.role not in self.roles):
            await self.close(code=4403)
            return
        self.membership = membership
        self.group = group_name(tenant.schema_name, self.topic)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def broadcast(self, message):
        roles, user_ids = message.get("roles") or [], message.get("user_ids") or []
        if (roles or user_ids) and self.membership.role not in roles and self.membership.user_id not in user_ids:
            return
        if message.get("html"):
            await self.send(text_data=message["html"])


class NotificationsConsumer(TenantTopicConsumer):
    topic = "notifications"
