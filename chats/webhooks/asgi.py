"""The webhook POSTs' fast path: an ASGI app in front of Django that takes the two provider POST endpoints
on the bare domain and leaves everything else to Django.

Django runs sync views (and its sync middleware) on one thread per process under ASGI, so every request
waits for the one before it. Webhook deliveries need none of the middleware (no session, user, tenant
host or CSRF). Here each delivery's signature is checked on the event loop itself (the receiving
number's route and secret are cached per process; only a miss reads the database, in a thread), then the
deliveries that arrive while the previous write is committing are stored together in one transaction
(group commit: one disk flush for the lot instead of one each), each is answered 200 only once its row is
committed, and only then is their processing sent to the worker, a few deliveries per task message
(intake.enqueue_many). A delivery stored but never sent to the worker (the process stopped in between, the
broker was down) is picked up by the sweep (chats.tasks.webhook_sweep_task). The GET handshake and other
methods go through Django's view, as do tests with Django's client."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from chats.webhooks import intake

logger = logging.getLogger(__name__)

PATHS = {
    "/webhooks/whatsapp/cloud/": ("x-hub-signature-256", intake.check_cloud),
    "/webhooks/whatsapp/ycloud/": ("ycloud-signature", intake.check_ycloud),
}
MAX_BODY = 5 * 1024 * 1024
MAX_BATCH = 200


def _with_connection(fn, *args):
    """Runs `fn` on this thread's connection, in the public schema; a broken connection is dropped so the
    next call opens a fresh one (threads keep theirs between deliveries)."""
    connection = connections["default"]
    try:
        connection.set_schema_to_public()
        return fn(*args)
    finally:
        if connection.errors_occurred or (connection.connection is not None and connection.needs_rollback):
            connection.close()


def _check(check, body: bytes, signature: str):
    return _with_connection(check, body, signature)


def _store(items: list) -> list:
    return _with_connection(intake.store_many, items)


def _enqueue(outcomes: list) -> None:
    try:
        intake.enqueue_many(outcomes)
    except Exception:
        logger.exception("webhook enqueue failed; the sweep will send them", extra={"events": len(outcomes)})


async def _checked(check, body: bytes, signature: str):
    """The signature check, on the loop when the number's route is cached (no database), else in a thread."""
    try:
        return check(body, signature, cached_only=True)
    except intake.RouteNotCached:
        return await sync_to_async(_check, thread_sensitive=False)(check, body, signature)


class _GroupCommit:
    """One writer per process: whatever deliveries are waiting when it is free go in one transaction."""

    def __init__(self):
        self.queue: asyncio.Queue | None = None
        self.loop = None
        self.task = None
        self.sending: set[asyncio.Task] = set()

    async def store(self, item) -> intake.Outcome:
        loop = asyncio.get_running_loop()
        if self.queue is None or self.loop is not loop:
            self.queue, self.loop = asyncio.Queue(), loop
            self.task = loop.create_task(self._writer(self.queue))
        future = loop.create_future()
        await self.queue.put((item, future))
        return await future

    async def _writer(self, queue: asyncio.Queue) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                outcomes = await sync_to_async(_store, thread_sensitive=False)([item for item, _ in batch])
            except Exception as error:
                logger.exception("webhook store failed")
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_item, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
            # The answers go out while the batch's tasks are sent (and the next batch is stored).
            to_send = [outcome for outcome in outcomes if outcome.tenant is not None]
            if to_send:
                sending = asyncio.get_running_loop().create_task(
                    sync_to_async(_enqueue, thread_sensitive=False)(to_send)
                )
                self.sending.add(sending)
                sending.add_done_callback(self.sending.discard)


_writer = _GroupCommit()


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
        header, check = PATHS[scope["path"]]
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
        checked = await _checked(check, bytes(body), headers.get(header, ""))
        if isinstance(checked, intake.Outcome):
            return await self._answer(send, checked.status)
        try:
            outcome = await _writer.store(checked)
        except Exception:
            return await self._answer(send, 503)  # not stored: the provider delivers it again
        await self._answer(send, outcome.status)

    @staticmethod
    async def _answer(send, status: int) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
