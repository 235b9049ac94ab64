"""The webhook POSTs' fast path: an ASGI app in front of Django that takes the two provider POST endpoints
on the bare domain and leaves everything else to Django.

Django runs sync views (and its sync middleware) on one thread per process under ASGI, so every request
waits for the one before it. Webhook deliveries need none of the middleware (no session, user, tenant
host or CSRF), so this path reads the body, checks the signature and stores the delivery in a thread pool
(several at once, each thread with its own database connection), answers 200, and only then sends the
processing task. A delivery stored but not yet sent to the worker (the process stopped in between, the
broker was down) is picked up by the sweep task (chats.tasks.webhook_sweep_task). The GET handshake and
any other method go through Django's view, as do tests with Django's client."""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from chats.webhooks import intake

logger = logging.getLogger(__name__)

PATHS = {
    "/webhooks/whatsapp/cloud/": ("x-hub-signature-256", "cloud"),
    "/webhooks/whatsapp/ycloud/": ("ycloud-signature", "ycloud"),
}
MAX_BODY = 5 * 1024 * 1024


def _store(kind: str, body: bytes, signature: str) -> intake.Outcome:
    connection = connections["default"]
    try:
        connection.set_schema_to_public()
        accept = intake.accept_cloud if kind == "cloud" else intake.accept_ycloud
        return accept(body, signature, defer=True)
    finally:
        # Threads keep their connection between deliveries; a broken one is dropped.
        if connection.errors_occurred or (connection.connection is not None and connection.needs_rollback):
            connection.close()


def _enqueue(outcome: intake.Outcome) -> None:
    try:
        intake.enqueue(tenant=outcome.tenant, event_id=outcome.event_id)
    except Exception:
        # Stored already: the sweep sends it later.
        logger.exception("webhook enqueue failed", extra={"event": outcome.event_id})


class WebhookFastPath:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in PATHS:
            return await self.inner(scope, receive, send)
        headers = {key.decode("latin1").lower(): value.decode("latin1") for key, value in scope.get("headers", [])}
        host = headers.get("host", "").rsplit(":", 1)[0].lower()
        if host != settings.BASE_DOMAIN.lower():
            return await self.inner(scope, receive, send)
        header, kind = PATHS[scope["path"]]
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > MAX_BODY:
                return await self._answer(send, 413)
            if not message.get("more_body"):
                break
        outcome = await sync_to_async(_store, thread_sensitive=False)(kind, bytes(body), headers.get(header, ""))
        await self._answer(send, outcome.status)
        if outcome.tenant is not None:
            await sync_to_async(_enqueue, thread_sensitive=False)(outcome)

    @staticmethod
    async def _answer(send, status: int) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
