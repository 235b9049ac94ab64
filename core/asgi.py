"""ASGI middleware that resolves the tenant of a websocket from its Host header.

django-tenants only does this for HTTP. A socket whose Host names no tenant is closed before it is
accepted (the client sees a 403). Each socket gets its own request id for the log lines it causes."""

from __future__ import annotations

import uuid

from channels.db import database_sync_to_async
from django_tenants.utils import remove_www, schema_context

from core.context import request_id_var


def _host_from_scope(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return remove_www(value.decode("latin1").split(":")[0].lower())
    return ""


@database_sync_to_async
def _tenant_for_host(host: str):
    from tenants.host_cache import tenant_for_host

    with schema_context("public"):
        tenant = tenant_for_host(host)
        if tenant is None or tenant.schema_name == "public":
            return None
        return tenant


class TenantWebsocketMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = request_id_var.set(uuid.uuid4().hex)
        try:
            tenant = await _tenant_for_host(_host_from_scope(scope))
            if tenant is None:
                await send({"type": "websocket.close", "code": 4404})
                return None
            return await self.inner(dict(scope, tenant=tenant), receive, send)
        finally:
            request_id_var.reset(token)
