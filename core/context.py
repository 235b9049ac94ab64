"""Per-request context (request id, task id, client IP) kept in contextvars so logs and the audit log can read it."""

import re
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
task_id_var: ContextVar[str] = ContextVar("task_id", default="")
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def valid_request_id(value: str) -> bool:
    """Whether an id from outside (a client's X-Request-ID, a task header) is safe to keep and log."""
    return isinstance(value, str) and _VALID_REQUEST_ID.fullmatch(value) is not None


def client_ip(request) -> str | None:
    """The client's address. Behind a trusted proxy set TRUSTED_PROXY_COUNT so X-Forwarded-For is used."""
    from django.conf import settings

    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None
