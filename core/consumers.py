"""Websocket consumers. Each joins `<schema>.<topic>` for its page and forwards server-rendered HTML,
which htmx's ws extension swaps out of band."""

from __future__ import annotations

import time
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from core.realtime import group_name, language_of

REFUSED = 4403


@database_sync_to_async
def _membership_for(scope, tenant):
    """(membership, language): the active membership in `tenant` of whoever the socket's session signs in
    now, and the language their pages are served in. The session is read again, as each HTTP request does,
    so a sign-out, a password change or a deactivated account since the socket opened counts (the scope's
    user is a snapshot taken at connect)."""
    from django.contrib.auth import get_user

    from tenants.selectors import active_membership

    session_key = getattr(scope.get("session"), "session_key", None)
    if not session_key:
        return None, ""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))
    if not user.is_authenticated or user.pk != scope["user"].pk:
        return None, ""
    return active_membership(user=user, tenant=tenant), language_of(user=user, tenant=tenant)


class TenantTopicConsumer(AsyncWebsocketConsumer):
    """Accepts only a signed-in user with an active membership (and an allowed role) in the socket's tenant.

    A socket can stay open for days, so the membership is checked again before forwarding an event once
    the last check is `recheck_after` seconds old: a member disabled, signed out or deactivated meanwhile
    is disconnected, and a changed role applies to the events' role filters. Events rendered per language
    (core.realtime.publish) are forwarded in the member's language, re-read with the membership."""

    topic = ""
    roles: tuple[str, ...] | None = None
    recheck_after = 10.0

    async def connect(self):
        tenant = self.scope.get("tenant")
        user = self.scope.get("user")
        if tenant is None or user is None or not user.is_authenticated:
            await self.close(code=REFUSED)
            return
        if not await self._check_membership():
            await self.close(code=REFUSED)
            return
        self.group = group_name(tenant.schema_name, self.topic)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def broadcast(self, message):
        if time.monotonic() - self.checked_at >= self.recheck_after and not await self._check_membership():
            await self.close(code=REFUSED)
            return
        roles, user_ids = message.get("roles") or [], message.get("user_ids") or []
        if (roles or user_ids) and self.membership.role not in roles and self.membership.user_id not in user_ids:
            return
        html = (message.get("html_by_language") or {}).get(self.language) or message.get("html")
        if html:
            await self.send(text_data=html)

    async def _check_membership(self) -> bool:
        membership, self.language = await _membership_for(self.scope, self.scope["tenant"])
        self.checked_at = time.monotonic()
        if membership is None or (self.roles is not None and membership.role not in self.roles):
            return False
        self.membership = membership
        return True


class NotificationsConsumer(TenantTopicConsumer):
    topic = "notifications"
