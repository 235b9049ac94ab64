"""ASGI middleware for websockets: the Origin must be the socket's own host, and the tenant comes from Host.

django-tenants only resolves tenants for HTTP. A socket whose Host names no tenant is closed before it is
accepted (the client sees a 403). Each socket gets its own request id for the log lines it causes."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django_tenants.utils import remove_www, schema_context

from core.context import request_id_var

NOT_FOUND = 4404
DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _scheme(scope) -> str:
    """The page's scheme: the socket's own (ws, wss), or https when a trusted proxy says so, the way
    Django reads SECURE_PROXY_SSL_HEADER for HTTP requests."""
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, header)
        if value is not None:
            scheme = "https" if value.split(",")[0].strip() == secure_value else "http"
    return scheme


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname, port


def same_origin(scope) -> bool:
    """Whether the socket's Origin header is the socket's own scheme, host and port. Another subdomain of
    the site is another origin: with a cookie shared across subdomains, its pages must not open sockets
    that act (or listen) as this company's signed-in user."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query:
        return False
    claimed = _origin(parts.scheme, parts.netloc)
    own = _origin(_scheme(scope), host)
    return claimed is not None and claimed == own


class SameOriginValidator:
    """Refuses (before accepting) a socket whose Origin is not its own host's; browsers always send one."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)


class NotFoundConsumer(AsyncWebsocketConsumer):
    """The route of every path no consumer serves: closed before it is accepted, never a server error."""

    async def connect(self):
        await self.close(code=NOT_FOUND)


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
                await send({"type": "websocket.close", "code": NOT_FOUND})
                return None
            return await self.inner(dict(scope, tenant=tenant), receive, send)
        finally:
            request_id_var.reset(token)
